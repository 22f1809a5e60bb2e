//! A pre-training checkpoint of the single-index model as the fine-tuning report shows it.

use serde::{Deserialize, Serialize};

/// A pre-training checkpoint as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointSummary {
    /// Source task.
    pub source: String,
    /// Pre-training step.
    pub step: usize,
    /// <w, w*>: overlap with the target teacher.
    pub overlap: f64,
    /// |w|.
    pub norm: f64,
    /// Test loss on the source task.
    pub source_test_loss: f64,
    /// Test loss on the target task (before fine-tuning).
    pub target_test_loss: f64,
}
