//! The config of the ViT experiment: a tiny ViT pre-trained on a source task of
//! Fashion-MNIST, then fine-tuned (LoRA at several ranks, and fully) on a target task from
//! every checkpoint. Read from TOML with a top-level `kind = "vit"`; see
//! `configs/vit-fashion-mnist.toml` for an annotated example.

use goldilocks_kernels::EnsembleKernels;
use std::path::PathBuf;

use goldilocks_lora::{LoraConfig, LoraError, TargetModules};
use goldilocks_model::VitShape;
use goldilocks_schedule::{LrScheduleConfig, StepSchedule};
use serde::{Deserialize, Serialize};

use crate::field_checks::{
    at_least_one, lists_at_least_one, positive_number, unit_fraction, validate_name,
};
use crate::sweep::SweepSettings;
use crate::vit::VitOutcome;
use crate::{
    ExperimentError, ExperimentKind, ExperimentPlan, FinetuneMethod, PlannedUnit, RunOptions,
    ShardOutcome, ShardRun,
};
use std::path::Path;

fn not_sharded() -> ExperimentError {
    ExperimentError::invalid(
        "kind",
        "vit experiments do not run as shards: run them on one machine (without --shard)",
    )
}

/// The whole ViT experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VitExperimentConfig {
    /// Name; results go to `results/<name>/`.
    pub name: String,
    /// One or two sentences on what the experiment shows.
    #[serde(default)]
    pub description: String,
    /// The folder holding the Fashion-MNIST IDX files (default: Debian's package folder).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The shape of the ViT (the head's classes come from the tasks; images are 28 x 28).
    #[serde(default)]
    pub model: VitShape,
    /// The pre-training task.
    pub source: TaskConfig,
    /// The fine-tuning task.
    pub target: TaskConfig,
    /// Pre-training.
    pub pretrain: VitPretrainingConfig,
    /// Fine-tuning from every checkpoint.
    pub finetune: VitFinetuningConfig,
    /// What each fine-tuning run keeps besides its record.
    #[serde(default)]
    pub record: VitRecordConfig,
}

/// What each fine-tuning run keeps besides its record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VitRecordConfig {
    /// Save every run's trained weights under `adapters/step-<step>/<method>-seed<seed>/`: a
    /// LoRA run as a PEFT adapter folder (the new head as `modules_to_save`), a full run as
    /// `model.safetensors` in PyTorch's names and layout. A stored run is reused only when its
    /// folder is there and matches the digest its record holds.
    #[serde(default)]
    pub save_adapters: bool,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from(goldilocks_data::DEFAULT_FASHION_MNIST_DIR)
}

/// A classification task: a subset of the ten classes, relabelled `0..n`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskConfig {
    /// The Fashion-MNIST classes of the task (0 to 9, distinct).
    pub classes: Vec<u8>,
    /// How many of the task's training images to use (the first ones); 0: all.
    #[serde(default)]
    pub train_images: usize,
    /// How many of the task's test images to evaluate on (the first ones); 0: all.
    #[serde(default)]
    pub test_images: usize,
}

/// Pre-training on the source task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VitPretrainingConfig {
    /// Adam steps in all.
    pub steps: usize,
    /// Images per step.
    pub batch: usize,
    /// Adam's learning rate, as a schedule over the pre-training steps (e.g. `{ kind =
    /// "constant", lr = 1e-3 }`, or a cosine decay to train past saturation).
    pub learning_rate: LrScheduleConfig,
    /// Seed of the initial weights and the batch order.
    #[serde(default)]
    pub seed: u64,
    /// The steps to checkpoint at (step 0 is the random initialisation).
    pub checkpoints: StepSchedule,
    /// Pre-training stops, recorded as diverged, at the first step whose batch loss exceeds
    /// this. Absent (the default): only a non-finite loss counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_bound: Option<f64>,
}

/// Fine-tuning on the target task from every checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VitFinetuningConfig {
    /// LoRA ranks; adapters go on every attention and MLP linear.
    pub ranks: Vec<usize>,
    /// PEFT's `lora_alpha`; the update is scaled by alpha / r (see
    /// [`VitFinetuningConfig::lora_config`]).
    pub lora_alpha: f64,
    /// Whether full fine-tuning (every weight trained) runs as a baseline.
    #[serde(default = "yes")]
    pub full: bool,
    /// Seeds; each seed draws the new head, the adapters and the batch order.
    pub seeds: Vec<u64>,
    /// Images per step.
    pub batch: usize,
    /// Adam's learning rate for LoRA runs.
    pub lora_learning_rate: f64,
    /// Adam's learning rate for full fine-tuning.
    pub full_learning_rate: f64,
    /// Step budget per run; a run that has not reached the target by then is censored.
    pub max_steps: usize,
    /// Evaluate the target test accuracy every this many steps.
    pub eval_every: usize,
    /// The test accuracy that counts as "reached".
    pub target_accuracy: f64,
    /// Whether a run stops once it reaches the target (true) or trains its whole budget.
    #[serde(default = "yes")]
    pub stop_at_target: bool,
    /// A run whose batch loss exceeds this before it reaches the target is stopped there and
    /// recorded as diverged. Absent (the default): only a non-finite loss counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_bound: Option<f64>,
}

fn yes() -> bool {
    true
}

impl VitFinetuningConfig {
    /// Every method: the LoRA ranks, then full fine-tuning when enabled.
    pub fn methods(&self) -> Vec<FinetuneMethod> {
        FinetuneMethod::list(&self.ranks, self.full)
    }

    /// The LoRA options of the runs of rank `rank`: PEFT's defaults with `lora_alpha`, on every
    /// linear but the head (`target_modules = "all-linear"`); the new head is trained in full
    /// and saved with the adapters (`modules_to_save = ["head"]`).
    pub fn lora_config(&self, rank: usize) -> LoraConfig {
        LoraConfig::new(rank, self.lora_alpha, TargetModules::Pattern("all-linear".into()))
            .with_modules_to_save(["head"])
    }
}

impl VitFinetuningConfig {
    /// The settings of the checkpoint sweep that these options describe (the metric is the
    /// target test accuracy, so the target is `target_accuracy`).
    pub fn sweep_settings(&self) -> SweepSettings {
        SweepSettings {
            methods: self.methods(),
            seeds: self.seeds.clone(),
            lora: self.lora_config(1),
            batch: self.batch,
            lora_learning_rate: self.lora_learning_rate,
            full_learning_rate: self.full_learning_rate,
            max_steps: self.max_steps,
            eval_every: self.eval_every,
            target: self.target_accuracy,
            stop_at_target: self.stop_at_target,
            loss_bound: self.loss_bound,
        }
    }
}

impl VitExperimentConfig {
    /// The checkpoint steps of pre-training.
    pub fn checkpoint_steps(&self) -> Vec<usize> {
        self.pretrain.checkpoints.steps(self.pretrain.steps)
    }
}

impl ExperimentKind for VitExperimentConfig {
    const KIND: &'static str = "vit";
    type Outcome = VitOutcome;

    fn name(&self) -> &str {
        &self.name
    }

    fn run<B: EnsembleKernels>(
        &self,
        options: &RunOptions,
        device: &B::Device,
    ) -> Result<VitOutcome, ExperimentError> {
        super::run::run::<B>(self, options, device)
    }

    /// ViT experiments run on one machine: their pre-training is one unit that every
    /// fine-tuning unit needs, and a shard is refused with that reason.
    fn run_shard<B: EnsembleKernels>(
        &self,
        _options: &RunOptions,
        _run: ShardRun,
        _device: &B::Device,
    ) -> Result<ShardOutcome, ExperimentError> {
        Err(not_sharded())
    }

    fn gather_shards(&self, _experiment_dir: &Path, _shards: usize) -> Result<(), ExperimentError> {
        Err(not_sharded())
    }

    fn plan(&self) -> ExperimentPlan {
        let f = &self.finetune;
        let runs = (f.methods().len() * f.seeds.len()) as u64;
        let pretraining = PlannedUnit {
            label: "pre-training".into(),
            max_steps: self.pretrain.steps as u64,
            stage: crate::Stage::PreTraining,
        };
        let finetuning = self.checkpoint_steps().into_iter().map(|step| PlannedUnit {
            label: format!("fine-tuning from checkpoint {step} ({runs} runs)"),
            max_steps: runs * f.max_steps as u64,
            stage: crate::Stage::FineTuning,
        });
        ExperimentPlan {
            units: std::iter::once(pretraining).chain(finetuning).collect(),
            peak_bytes: super::memory::vit_bytes(self),
        }
    }

    fn validate(&self) -> Result<(), ExperimentError> {
        fn invalid(field: impl Into<String>, message: impl Into<String>) -> ExperimentError {
            ExperimentError::invalid(field, message)
        }
        validate_name(&self.name)?;
        if self.model.image_size != goldilocks_data::IMAGE_SIDE {
            return Err(invalid(
                "model.image_size",
                format!(
                    "must be {} (Fashion-MNIST images are {0} x {0}), got {}",
                    goldilocks_data::IMAGE_SIDE,
                    self.model.image_size
                ),
            ));
        }
        self.model.with_classes(1).validate().map_err(|e| invalid("model", e.to_string()))?;
        for (field, task) in [("source", &self.source), ("target", &self.target)] {
            lists_at_least_one(&format!("{field}.classes"), task.classes.len(), "class")?;
            if let Some(c) = task.classes.iter().find(|&&c| c > 9) {
                return Err(invalid(
                    format!("{field}.classes"),
                    format!("class {c} is outside 0..=9"),
                ));
            }
            if (1..task.classes.len()).any(|i| task.classes[..i].contains(&task.classes[i])) {
                return Err(invalid(format!("{field}.classes"), "lists a class twice"));
            }
        }
        let p = &self.pretrain;
        at_least_one("pretrain.batch", p.batch)?;
        p.learning_rate.init().map_err(|e| invalid("pretrain.learning_rate", e.to_string()))?;
        p.checkpoints.validate().map_err(|e| invalid("pretrain.checkpoints", e.to_string()))?;
        if p.checkpoints.steps(p.steps).is_empty() {
            return Err(invalid(
                "pretrain.checkpoints",
                format!("schedules no step within 0..={}", p.steps),
            ));
        }
        let f = &self.finetune;
        if f.ranks.is_empty() && !f.full {
            return Err(invalid(
                "finetune.ranks",
                "is empty and full fine-tuning is off: nothing to run",
            ));
        }
        for &r in &f.ranks {
            f.lora_config(r)
                .validate_rank(self.model.width)
                .map_err(|e| invalid("finetune.ranks", format!("{e} (the model width)")))?;
        }
        // The options other than the rank hold or fail at every rank alike.
        f.lora_config(1).validate().map_err(|e| match e {
            LoraError::Alpha(_) => invalid("finetune.lora_alpha", e.to_string()),
            _ => invalid("finetune", e.to_string()),
        })?;
        unit_fraction("finetune.target_accuracy", f.target_accuracy)?;
        f.sweep_settings().validate_fields("finetune.")?;
        if let Some(bound) = p.loss_bound {
            positive_number("pretrain.loss_bound", bound)?;
        }
        Ok(())
    }
}
