//! Errors of the data crate: each names the file and what is wrong with it.

use std::path::PathBuf;

/// What can go wrong when reading a data set.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The data folder does not exist.
    #[error("data folder {dir} does not exist; install Fashion-MNIST with `apt-get install dataset-fashion-mnist` or pass another folder")]
    MissingDir {
        /// The folder.
        dir: PathBuf,
    },
    /// A file of the data set is missing from its folder.
    #[error("data file {path} is missing (expected {expected}); install Fashion-MNIST with `apt-get install dataset-fashion-mnist`")]
    MissingFile {
        /// The path looked for.
        path: PathBuf,
        /// The file names accepted.
        expected: String,
    },
    /// The file could not be read (or not decompressed).
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The first bytes are not an IDX header of unsigned bytes.
    #[error("{path} is not an IDX file of unsigned bytes: magic number {found:#010x}, expected 0x0000080N with N the number of dimensions")]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The magic number read.
        found: u32,
    },
    /// The dimensions are not the ones the data set calls for.
    #[error("{path} has dimensions {found:?}, expected {expected}")]
    WrongDims {
        /// The file.
        path: PathBuf,
        /// The dimensions read from the header.
        found: Vec<usize>,
        /// The dimensions expected, in words.
        expected: String,
    },
    /// The file holds fewer (or more) bytes than its header announces.
    #[error("{path} is truncated or too long: the header announces {expected} data bytes, the file holds {found}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Data bytes announced by the header.
        expected: usize,
        /// Data bytes present.
        found: usize,
    },
    /// A label outside the class range.
    #[error("{path}: label {label} at index {index} is outside 0..{classes}")]
    LabelOutOfRange {
        /// The file.
        path: PathBuf,
        /// The position of the label.
        index: usize,
        /// The label.
        label: u8,
        /// The number of classes.
        classes: usize,
    },
    /// The image and label files of a split hold different numbers of items.
    #[error("{images} holds {image_count} images but {labels} holds {label_count} labels")]
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// Its item count.
        image_count: usize,
        /// The label file.
        labels: PathBuf,
        /// Its item count.
        label_count: usize,
    },
    /// A task that selects no class, a class twice, or a class outside the data set.
    #[error("invalid task classes {classes:?}: {reason}")]
    BadTask {
        /// The classes asked for.
        classes: Vec<u8>,
        /// What is wrong.
        reason: String,
    },
}
