//! What one fine-tuning run from a pre-training checkpoint measured, and what the checkpoint
//! itself was.

use serde::{Deserialize, Serialize};

/// One fine-tuning run: a method (LoRA at a rank, or full fine-tuning) from one checkpoint
/// with one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneRun {
    /// Source task of pre-training.
    pub source: String,
    /// `lora-r<rank>` or `full`.
    pub method: String,
    /// LoRA rank; None for full fine-tuning.
    pub rank: Option<usize>,
    /// Pre-training step of the checkpoint it started from.
    pub checkpoint_step: usize,
    /// Seed (fine-tuning data and LoRA init).
    pub seed: u64,
    /// Learning rate.
    pub learning_rate: f64,
    /// Target test loss.
    pub target_loss: f64,
    /// Step budget.
    pub max_steps: usize,
    /// Steps actually run.
    pub steps_run: usize,
    /// First step at which the test loss was at or below the target (0: the checkpoint
    /// already was); None when censored.
    pub steps_to_target: Option<usize>,
    /// Whether the run never reached the target within the steps run.
    pub censored: bool,
    /// Steps of the recorded test-loss curve.
    pub curve_steps: Vec<usize>,
    /// Test loss at those steps.
    pub curve_test_loss: Vec<f64>,
}

impl FinetuneRun {
    /// Steps to the target, counting a censored run at its budget (a lower bound).
    pub fn steps_or_budget(&self) -> f64 {
        self.steps_to_target.unwrap_or(self.max_steps) as f64
    }
}

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
