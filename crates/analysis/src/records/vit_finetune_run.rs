//! What one fine-tuning run of the ViT from a pre-training checkpoint measured
//! ([`VitFinetuneRun`]), stored by the vit kind as JSON lines.

use serde::{Deserialize, Serialize};

/// One fine-tuning run: from one checkpoint, one method (LoRA rank or full), one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VitFinetuneRun {
    /// Hash of the config the run belongs to; stored runs of another config are recomputed.
    pub config_hash: String,
    /// The pre-training step of the checkpoint it started from (0: random initialisation).
    pub pretrain_step: usize,
    /// `lora-r<rank>` or `full`.
    pub method: String,
    /// The LoRA rank, or `None` for full fine-tuning.
    pub rank: Option<usize>,
    /// The seed (head, adapters, batch order).
    pub seed: u64,
    /// Trainable parameters (adapters and head for LoRA, everything for full).
    pub trainable_params: usize,
    /// Steps at which the target test accuracy was measured (0: before training).
    pub eval_steps: Vec<usize>,
    /// Target test accuracy at those steps.
    pub accuracy: Vec<f64>,
    /// Mean training loss over the steps since the previous evaluation (none at step 0).
    pub train_loss: Vec<Option<f64>>,
    /// Training wall time in seconds up to those steps (evaluation time left out).
    pub seconds: Vec<f64>,
    /// The first evaluated step with accuracy at or above the target, if any.
    pub steps_to_target: Option<usize>,
    /// Training seconds up to that step.
    pub seconds_to_target: Option<f64>,
    /// Steps trained.
    pub steps_run: usize,
    /// Step budget.
    pub max_steps: usize,
    /// The step at which its training loss became non-finite or passed the configured bound,
    /// before it reached the target: it was stopped there. Left out of the stored line when
    /// None.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diverged_at: Option<usize>,
    /// The digest of the folder the run's trained weights were saved in (when the config
    /// saves them): the run is reused only while that folder matches it. Left out of the
    /// stored line when None.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_sha256: Option<String>,
}
