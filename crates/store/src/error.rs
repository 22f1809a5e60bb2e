//! The store's error type: every variant names the file (or step) concerned.

use std::path::PathBuf;

/// Why a store operation failed. Every message names the file or folder concerned.
///
/// [`is_corruption`](Self::is_corruption) tells apart a damaged checkpoint (missing,
/// truncated, altered or unreadable file), which the caller should report as a warning
/// and recompute, from other failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An operating-system error while working on `path`.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "write" or "create folder".
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A path that cannot be written to atomically (it has no file name).
    #[error("{} is not a file path", path.display())]
    NotAFilePath {
        /// The path.
        path: PathBuf,
    },
    /// A manifest or other JSON file that could not be read or written as JSON.
    #[error("{} is not a valid manifest: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// The folder's manifest was written for another configuration; its checkpoints must not
    /// be reused.
    #[error(
        "{} belongs to config hash {found}, not {expected}: its checkpoints come from another \
         configuration; use another folder or delete this one",
        manifest.display()
    )]
    ConfigMismatch {
        /// The manifest file.
        manifest: PathBuf,
        /// The config hash the store was opened with.
        expected: String,
        /// The config hash recorded in the manifest.
        found: String,
    },
    /// The manifest has no checkpoint for this step.
    #[error("no checkpoint for step {step} in {}", dir.display())]
    NotFound {
        /// The step asked for.
        step: usize,
        /// The store's folder.
        dir: PathBuf,
    },
    /// The manifest lists a checkpoint whose file is gone.
    #[error("checkpoint file {} (step {step}) is missing", path.display())]
    MissingFile {
        /// The step.
        step: usize,
        /// The file.
        path: PathBuf,
    },
    /// A checkpoint file shorter or longer than the manifest records, e.g. cut off by a crash.
    #[error(
        "checkpoint file {} (step {step}) is truncated or altered: {actual} bytes, manifest \
         records {expected}",
        path.display()
    )]
    SizeMismatch {
        /// The step.
        step: usize,
        /// The file.
        path: PathBuf,
        /// The size recorded in the manifest.
        expected: u64,
        /// The size found.
        actual: u64,
    },
    /// A checkpoint file whose SHA-256 differs from the manifest's.
    #[error(
        "checkpoint file {} (step {step}) is corrupted: SHA-256 {actual}, manifest records {expected}",
        path.display()
    )]
    ChecksumMismatch {
        /// The step.
        step: usize,
        /// The file.
        path: PathBuf,
        /// The checksum recorded in the manifest.
        expected: String,
        /// The checksum of the file as found.
        actual: String,
    },
    /// A file that is not a valid safetensors file.
    #[error("{} is not a valid safetensors file: {source}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: safetensors::SafeTensorError,
    },
    /// A safetensors file holding a tensor of another type than f32.
    #[error("{}: tensor {name} has dtype {dtype}, expected F32", path.display())]
    WrongDtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The dtype found.
        dtype: String,
    },
    /// A tensor that cannot be stored (bad shape, duplicate or empty name).
    #[error("tensor {name:?}: {problem}")]
    InvalidTensor {
        /// The tensor's name.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A retention policy with a bad parameter.
    #[error("invalid retention policy: {field} {problem}")]
    InvalidRetention {
        /// The field, e.g. `n` or `of[1].metric`.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl StoreError {
    /// Whether this error means a checkpoint file is damaged or gone (missing, truncated,
    /// altered or unreadable): the caller should warn, naming the file, and recompute it.
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            Self::MissingFile { .. }
                | Self::SizeMismatch { .. }
                | Self::ChecksumMismatch { .. }
                | Self::Format { .. }
                | Self::WrongDtype { .. }
        )
    }

    /// A closure turning an I/O error on `path` into [`StoreError::Io`].
    pub(crate) fn io(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| Self::Io { action, path, source }
    }
}
