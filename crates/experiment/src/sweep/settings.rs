//! [`SweepSettings`]: how every run of the checkpoint sweep fine-tunes.

use goldilocks_lora::LoraConfig;
use serde::Serialize;

use crate::field_checks::{at_least_one, lists_at_least_one, positive_number};
use crate::{ExperimentError, FinetuneMethod};

/// How the sweep fine-tunes from each checkpoint: the methods and seeds, the adapters, Adam's
/// learning rates, the step budget, and the target of the task's metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepSettings {
    /// The methods, in the order they run (LoRA ranks, full fine-tuning).
    pub methods: Vec<FinetuneMethod>,
    /// The seeds; a seed fixes the batch order, what the task draws for the target and the
    /// adapters' init, the same at every checkpoint.
    pub seeds: Vec<u64>,
    /// The adapters' options (targets, alpha, init, `modules_to_save`); each LoRA method runs
    /// them at its own rank (PEFT's `r`).
    pub lora: LoraConfig,
    /// Training examples per step.
    pub batch: usize,
    /// Adam's learning rate for LoRA runs.
    pub lora_learning_rate: f64,
    /// Adam's learning rate for full fine-tuning.
    pub full_learning_rate: f64,
    /// Step budget per run; a run that has not reached the target by then is censored.
    pub max_steps: usize,
    /// Evaluate the metric every this many steps (and at the last step).
    pub eval_every: usize,
    /// The metric's value that counts as "reached".
    pub target: f64,
    /// Whether a run stops once it reaches the target (true) or trains its whole budget.
    pub stop_at_target: bool,
    /// A run whose batch loss exceeds this before it reaches the target is stopped there and
    /// recorded as diverged; `None`: only a non-finite loss counts.
    pub loss_bound: Option<f64>,
}

impl SweepSettings {
    /// The adapters of the LoRA runs of rank `rank`.
    pub fn lora_config(&self, rank: usize) -> LoraConfig {
        LoraConfig { r: rank, ..self.lora.clone() }
    }

    /// Adam's learning rate for `method`.
    pub fn learning_rate(&self, method: FinetuneMethod) -> f64 {
        match method {
            FinetuneMethod::Lora { .. } => self.lora_learning_rate,
            FinetuneMethod::Full => self.full_learning_rate,
        }
    }

    /// Checks every setting, naming the first one that is wrong.
    pub fn validate(&self) -> Result<(), ExperimentError> {
        self.validate_fields("")
    }

    /// [`Self::validate`] with every field named after `prefix`, for a config that holds the
    /// settings in a section of its own (the ViT config's `"finetune."`).
    pub fn validate_fields(&self, prefix: &str) -> Result<(), ExperimentError> {
        let field = |name: &str| format!("{prefix}{name}");
        lists_at_least_one(&field("methods"), self.methods.len(), "method")?;
        lists_at_least_one(&field("seeds"), self.seeds.len(), "seed")?;
        for method in &self.methods {
            if let FinetuneMethod::Lora { rank } = *method {
                self.lora_config(rank)
                    .validate()
                    .map_err(|e| ExperimentError::invalid(field("lora"), e.to_string()))?;
            }
        }
        at_least_one(&field("batch"), self.batch)?;
        positive_number(&field("lora_learning_rate"), self.lora_learning_rate)?;
        positive_number(&field("full_learning_rate"), self.full_learning_rate)?;
        at_least_one(&field("max_steps"), self.max_steps)?;
        at_least_one(&field("eval_every"), self.eval_every)?;
        if !self.target.is_finite() {
            return Err(ExperimentError::invalid(field("target"), "must be a finite number"));
        }
        if let Some(bound) = self.loss_bound {
            positive_number(&field("loss_bound"), bound)?;
        }
        Ok(())
    }
}
