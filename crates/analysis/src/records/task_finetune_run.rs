//! What one fine-tuning run of a burn model from a pre-training checkpoint measured
//! ([`TaskFinetuneRun`]): a run of the checkpoint sweep over a fine-tuning task with a metric
//! (goldilocks-experiment's `sweep`), stored by the vit kind as JSON lines.

use serde::{Deserialize, Serialize};

/// One fine-tuning run: from one checkpoint, one method (LoRA rank or full), one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskFinetuneRun {
    /// Hash of the config the run belongs to; stored runs of another config are recomputed.
    pub config_hash: String,
    /// The source task of the checkpoint's pre-training, as the checkpoint store names it.
    pub source: String,
    /// The pre-training step of the checkpoint it started from (0: random initialisation).
    pub pretrain_step: usize,
    /// `lora-r<rank>` or `full`.
    pub method: String,
    /// The LoRA rank, or `None` for full fine-tuning.
    pub rank: Option<usize>,
    /// The seed (anything the task draws for the target, the adapters, the batch order).
    pub seed: u64,
    /// Trainable parameters (adapters and whatever the task trains besides for LoRA,
    /// everything for full).
    pub trainable_params: usize,
    /// Steps at which the target metric was measured (0: before training).
    pub eval_steps: Vec<usize>,
    /// The task's metric at those steps (the ViT's: target test accuracy); higher is better.
    pub metric: Vec<f64>,
    /// Mean training loss over the steps since the previous evaluation (none at step 0).
    pub train_loss: Vec<Option<f64>>,
    /// Training wall time in seconds up to those steps (evaluation time left out).
    pub seconds: Vec<f64>,
    /// The first evaluated step with the metric at or above the target, if any.
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

impl TaskFinetuneRun {
    /// The record without its wall times, which differ between otherwise identical runs: for
    /// checking that a run repeats exactly.
    pub fn untimed(&self) -> Self {
        Self { seconds: vec![], seconds_to_target: None, ..self.clone() }
    }
}
