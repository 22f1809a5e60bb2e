//! Errors of the LoRA crate.

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
    /// Shapes that do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
}
