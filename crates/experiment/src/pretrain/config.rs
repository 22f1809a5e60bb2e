//! The config of a pre-training experiment (`kind = "pretrain"`): pre-train the full weight on
//! source tasks with checkpoints on a schedule, then fine-tune from every checkpoint with
//! LoRA at several ranks and with full fine-tuning. See `configs/pretrain.toml`.

use goldilocks_kernels::EnsembleKernels;
use goldilocks_model::Activation;
use goldilocks_schedule::{LrScheduleConfig, StepSchedule};
use goldilocks_store::RetentionPolicy;
use serde::{Deserialize, Serialize};

use crate::escape::AdapterConfig;
use crate::field_checks::{
    at_least_one, lists_at_least_one, non_negative_number, positive_number, validate_name,
};
use crate::pretrain::PretrainOutcome;
use crate::pretrain::SourceTask;
use crate::{
    ExperimentError, ExperimentKind, ExperimentPlan, FinetuneMethod, PlannedUnit, RunOptions,
    ShardOutcome, ShardRun,
};
use std::path::Path;

/// A whole pre-training experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PretrainConfig {
    /// Name; results go to `results/<name>/`.
    pub name: String,
    /// One or two sentences on what the experiment shows.
    #[serde(default)]
    pub description: String,
    /// The target task and the data.
    pub model: PretrainModelConfig,
    /// Pre-training of the full weight.
    pub pretraining: PretrainingConfig,
    /// Fine-tuning from every checkpoint.
    pub finetuning: FinetuningConfig,
}

/// The target task: a single-index teacher y = phi(<w*, x>) on Gaussian inputs, learnt by a
/// student sigma(<w, x>) with sigma = phi.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PretrainModelConfig {
    /// Input dimension N.
    pub input_dim: usize,
    /// Batch size B of one-pass SGD (pre-training and fine-tuning).
    pub batch: usize,
    /// Size of the fixed test set on which fine-tuning's target loss is measured.
    pub test_size: usize,
    /// The activation of teacher and student.
    pub activation: Activation,
    /// Standard deviation of Gaussian label noise on training labels.
    #[serde(default)]
    pub label_noise: f64,
    /// Seed of the target teacher w*, the source teachers, the test set and pre-training.
    #[serde(default)]
    pub seed: u64,
}

/// Pre-training of the full weight w (no LoRA) on each source task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PretrainingConfig {
    /// The source tasks; each is pre-trained separately.
    pub sources: Vec<SourceTask>,
    /// Pre-training steps.
    pub steps: usize,
    /// The learning-rate schedule.
    pub learning_rate: LrScheduleConfig,
    /// Norm of the random initial weight (it must not be 0 for activations with a flat
    /// region at 0, such as relu).
    pub init_norm: f64,
    /// The steps at which checkpoints are saved.
    pub checkpoints: StepSchedule,
    /// Which checkpoints the store keeps once pre-training is done; fine-tuning starts
    /// from every kept checkpoint.
    #[serde(default = "keep_all")]
    pub retention: RetentionPolicy,
    /// Pre-training stops, recorded as diverged, at the first step whose batch loss (or a
    /// checkpoint's source test loss) exceeds this. Absent (the default): only a non-finite
    /// loss or weight counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_bound: Option<f64>,
}

/// Fine-tuning from every checkpoint on the target task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinetuningConfig {
    /// LoRA ranks (the frozen weight is the checkpoint; U and V are trained).
    pub ranks: Vec<usize>,
    /// Also fine-tune the full weight, as a baseline.
    #[serde(default = "yes")]
    pub full: bool,
    /// The adapter's init and scaling.
    #[serde(default)]
    pub lora: AdapterConfig,
    /// Learning rate of LoRA fine-tuning.
    pub learning_rate: f64,
    /// Learning rate of full fine-tuning.
    pub full_learning_rate: f64,
    /// Seeds (fine-tuning data and LoRA init): seeds first_seed, first_seed + 1, ...
    pub seeds: usize,
    /// The first seed.
    #[serde(default = "thousand")]
    pub first_seed: u64,
    /// Step budget; a run that has not reached the target loss by then is censored.
    pub max_steps: usize,
    /// Fine-tuning is done when the test loss is at or below this.
    pub target_loss: f64,
    /// Steps at which the test loss curve is recorded.
    #[serde(default = "default_grid")]
    pub grid: StepSchedule,
    /// A run whose test loss exceeds this is stopped there and recorded as diverged. Absent
    /// (the default): only a non-finite test loss counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_bound: Option<f64>,
}

fn keep_all() -> RetentionPolicy {
    RetentionPolicy::KeepAll
}
fn yes() -> bool {
    true
}
fn thousand() -> u64 {
    1000
}
fn default_grid() -> StepSchedule {
    StepSchedule::Log { points: 40, include_zero: true }
}

impl FinetuningConfig {
    /// Every method: the LoRA ranks, then full fine-tuning.
    pub fn methods(&self) -> Vec<FinetuneMethod> {
        FinetuneMethod::list(&self.ranks, self.full)
    }

    /// The learning rate of `method`.
    pub fn learning_rate_of(&self, method: FinetuneMethod) -> f64 {
        match method {
            FinetuneMethod::Lora { .. } => self.learning_rate,
            FinetuneMethod::Full => self.full_learning_rate,
        }
    }

    /// The seeds of fine-tuning.
    pub fn seed_list(&self) -> Vec<u64> {
        (0..self.seeds as u64).map(|i| self.first_seed + i).collect()
    }
}

impl ExperimentKind for PretrainConfig {
    const KIND: &'static str = "pretrain";
    type Outcome = PretrainOutcome;

    fn name(&self) -> &str {
        &self.name
    }

    fn run<B: EnsembleKernels>(
        &self,
        options: &RunOptions,
        device: &B::Device,
    ) -> Result<PretrainOutcome, ExperimentError> {
        super::run::run::<B>(self, options, device)
    }

    fn run_shard<B: EnsembleKernels>(
        &self,
        options: &RunOptions,
        run: ShardRun,
        device: &B::Device,
    ) -> Result<ShardOutcome, ExperimentError> {
        super::shard::run_shard::<B>(self, options, run, device)
    }

    fn gather_shards(&self, experiment_dir: &Path, shards: usize) -> Result<(), ExperimentError> {
        super::shard::gather_shards(self, experiment_dir, shards)
    }

    fn plan(&self) -> ExperimentPlan {
        let pre = &self.pretraining;
        let fine = &self.finetuning;
        let checkpoints = pre.checkpoints.steps(pre.steps).len() as u64;
        let pretraining = pre.sources.iter().map(|source| PlannedUnit {
            label: format!("pre-training {}", source.name()),
            max_steps: pre.steps as u64,
            stage: crate::Stage::PreTraining,
        });
        let finetuning = pre.sources.iter().flat_map(|source| {
            fine.methods().into_iter().map(move |method| PlannedUnit {
                label: format!(
                    "fine-tuning {} with {} from {checkpoints} checkpoints ({} seeds)",
                    source.name(),
                    method.name(),
                    fine.seeds
                ),
                max_steps: fine.seeds as u64 * checkpoints * fine.max_steps as u64,
                stage: crate::Stage::FineTuning,
            })
        });
        ExperimentPlan {
            units: pretraining.chain(finetuning).collect(),
            peak_bytes: super::memory::pretrain_bytes(self),
        }
    }

    fn validate(&self) -> Result<(), ExperimentError> {
        validate_name(&self.name)?;
        let model = &self.model;
        let n = model.input_dim;
        at_least_one("model.input_dim", n)?;
        at_least_one("model.batch", model.batch)?;
        at_least_one("model.test_size", model.test_size)?;
        non_negative_number("model.label_noise", model.label_noise)?;
        if model.activation == Activation::Sign {
            return Err(ExperimentError::invalid(
                "model.activation",
                "sign has no useful derivative; it can only be a teacher",
            ));
        }
        let pre = &self.pretraining;
        lists_at_least_one("pretraining.sources", pre.sources.len(), "source task")?;
        for (i, source) in pre.sources.iter().enumerate() {
            source.validate().map_err(|message| {
                ExperimentError::invalid(format!("pretraining.sources[{i}]"), message)
            })?;
            if pre.sources[..i].iter().any(|other| other.name() == source.name()) {
                return Err(ExperimentError::invalid(
                    format!("pretraining.sources[{i}]"),
                    format!("{} is listed twice", source.name()),
                ));
            }
        }
        at_least_one("pretraining.steps", pre.steps)?;
        pre.learning_rate
            .init()
            .map_err(|e| ExperimentError::invalid("pretraining.learning_rate", e.to_string()))?;
        non_negative_number("pretraining.init_norm", pre.init_norm)?;
        pre.checkpoints
            .validate()
            .map_err(|e| ExperimentError::invalid("pretraining.checkpoints", e.to_string()))?;
        if pre.checkpoints.steps(pre.steps).is_empty() {
            return Err(ExperimentError::invalid(
                "pretraining.checkpoints",
                format!("selects no step in 0..={}", pre.steps),
            ));
        }
        pre.retention
            .validate()
            .map_err(|e| ExperimentError::invalid("pretraining.retention", e.to_string()))?;
        if let Some(bound) = pre.loss_bound {
            positive_number("pretraining.loss_bound", bound)?;
        }
        let fine = &self.finetuning;
        if fine.ranks.is_empty() && !fine.full {
            return Err(ExperimentError::invalid(
                "finetuning.ranks",
                "must list at least one rank when finetuning.full is false",
            ));
        }
        for (i, &rank) in fine.ranks.iter().enumerate() {
            fine.lora.lora_config(rank).validate_rank(n).map_err(|e| {
                ExperimentError::invalid(
                    format!("finetuning.ranks[{i}]"),
                    format!("{e} (model.input_dim)"),
                )
            })?;
            if fine.ranks[..i].contains(&rank) {
                return Err(ExperimentError::invalid(
                    format!("finetuning.ranks[{i}]"),
                    format!("rank {rank} is listed twice"),
                ));
            }
        }
        if fine.lora.init == goldilocks_lora::LoraInit::Gradient {
            return Err(ExperimentError::invalid(
                "finetuning.lora.init",
                "the gradient init is not supported here; use paper, gaussian or kaiming",
            ));
        }
        fine.lora.validate("finetuning.lora")?;
        positive_number("finetuning.learning_rate", fine.learning_rate)?;
        positive_number("finetuning.full_learning_rate", fine.full_learning_rate)?;
        positive_number("finetuning.target_loss", fine.target_loss)?;
        at_least_one("finetuning.seeds", fine.seeds)?;
        at_least_one("finetuning.max_steps", fine.max_steps)?;
        fine.grid
            .validate()
            .map_err(|e| ExperimentError::invalid("finetuning.grid", e.to_string()))?;
        if let Some(bound) = fine.loss_bound {
            positive_number("finetuning.loss_bound", bound)?;
        }
        Ok(())
    }
}
