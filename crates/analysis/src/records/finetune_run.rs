//! What one fine-tuning run of the single-index model from a pre-training checkpoint
//! measured ([`FinetuneRun`]), stored by the pretrain kind as JSON lines.

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
    /// Whether the run never reached the target within the steps run (and did not diverge).
    pub censored: bool,
    /// The step at which its test loss became non-finite or passed the configured bound,
    /// before it reached the target: it was stopped there. Left out of the stored line when
    /// None.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diverged_at: Option<usize>,
    /// Steps of the recorded test-loss curve.
    pub curve_steps: Vec<usize>,
    /// Test loss at those steps.
    pub curve_test_loss: Vec<f64>,
}
