//! Errors of the LoRA crate: [`LoraError`] for options and shapes, [`AdapterFileError`] for
//! reading and writing PEFT adapter files.

use std::path::PathBuf;

/// What can go wrong when configuring or applying an adapter.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LoraError {
    /// The rank is 0 or larger than the layer's input width.
    #[error("rank must be between 1 and the input width {in_features}, got {rank}")]
    Rank {
        /// Requested rank.
        rank: usize,
        /// The layer's input width.
        in_features: usize,
    },
    /// A non-positive or non-finite alpha.
    #[error("lora_alpha must be a positive number, got {0}")]
    Alpha(f64),
    /// A dropout probability outside [0, 1).
    #[error("lora_dropout must be in [0, 1), got {0}")]
    Dropout(f64),
    /// Shapes that do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// `target_modules` matched none of the model's LoRA-capable layers.
    #[error("target_modules {targets} match none of the layers {available:?}")]
    NoTargetMatched {
        /// The target pattern(s), as written in the config.
        targets: String,
        /// The module paths the model offers.
        available: Vec<String>,
    },
    /// A `modules_to_save` entry that matches no module with parameters.
    #[error("modules_to_save names {module:?}, which matches no module with parameters")]
    NoSavedModule {
        /// The entry.
        module: String,
    },
    /// A `target_modules` regular expression that does not compile.
    #[error("target_modules regex {pattern:?} is invalid: {message}")]
    TargetRegex {
        /// The pattern.
        pattern: String,
        /// The regex crate's message.
        message: String,
    },
    /// An option this crate does not implement (e.g. DoRA, `fan_in_fan_out`, a bias mode).
    #[error("unsupported option {option} = {value}")]
    Unsupported {
        /// PEFT's name of the option.
        option: String,
        /// Its value.
        value: String,
    },
    /// An init that needs data (the gradient) was asked for without it.
    #[error("init_lora_weights {0:?} needs the gradient of the full weight; use LoraLinear::attach_gradient_aligned")]
    NeedsGradient(String),
}

/// What can go wrong when reading or writing PEFT adapter files; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum AdapterFileError {
    /// A file that is not there.
    #[error("missing file {path}")]
    MissingFile {
        /// The file.
        path: PathBuf,
    },
    /// Any other I/O failure.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// adapter_config.json is not valid JSON or lacks a required field.
    #[error("invalid adapter config {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// `peft_type` other than "LORA".
    #[error("{path}: unsupported peft_type {found:?}, expected \"LORA\"")]
    UnsupportedPeftType {
        /// The file.
        path: PathBuf,
        /// The peft_type found.
        found: String,
    },
    /// The safetensors file cannot be parsed or written.
    #[error("{path}: invalid safetensors: {message}")]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// The safetensors crate's message.
        message: String,
    },
    /// A tensor the adapter needs is absent.
    #[error("{path}: missing tensor {key}")]
    MissingKey {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        key: String,
    },
    /// A tensor that is not a LoRA factor, or that belongs to no targeted layer.
    #[error("{path}: unexpected tensor {key}")]
    UnexpectedKey {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        key: String,
    },
    /// A tensor of the wrong shape.
    #[error("{path}: tensor {key} has shape {found:?}, expected {expected:?}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        key: String,
        /// The shape required.
        expected: Vec<usize>,
        /// The shape found.
        found: Vec<usize>,
    },
    /// A tensor of a dtype other than F32, F64, F16 or BF16.
    #[error("{path}: tensor {key} has unsupported dtype {dtype}")]
    Dtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        key: String,
        /// The dtype found.
        dtype: String,
    },
    /// The options in the file cannot be applied.
    #[error("{path}: {source}")]
    Config {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: LoraError,
    },
}
