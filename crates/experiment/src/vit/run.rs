//! Runs the whole ViT experiment: pre-training with checkpoints (reused when stored), then
//! every method and seed fine-tuned from each checkpoint (one stored unit per checkpoint),
//! then the summary and the report.

use std::fmt;
use std::path::PathBuf;

use burn::backend::Autodiff;
use burn::tensor::backend::{AutodiffBackend, Backend};
use goldilocks_analysis::{FinetuneRow, TaskFinetuneRun};
use goldilocks_data::FashionMnist;
use goldilocks_store::CheckpointStore;

use crate::identity_hash::identity_hash;
use crate::lock_results_folder;
use crate::results_folder::write_config;
use crate::stored_unit::{reuse_or_compute, Reuse, StoredUnit};
use crate::sweep::{finetune_checkpoint, RunSpec, CHECKPOINT_LAYOUT};
use crate::vit::memory::check_fits;
use crate::vit::outputs::summarize;
use crate::vit::{
    ensure_checkpoints, run_weights_dir, run_weights_match, save_run_weights, write_report,
    ReportContext, TaskData, VitExperimentConfig, VitTargetTask,
};
use crate::{EnsembleProgress, ExperimentError, ExperimentKind, RunOptions};

/// What a finished ViT experiment produced.
#[derive(Debug, Clone)]
pub struct VitOutcome {
    /// The results folder.
    pub dir: PathBuf,
    /// The fine-tuning table, one row per (method, checkpoint).
    pub rows: Vec<FinetuneRow>,
    /// Every fine-tuning run.
    pub records: Vec<TaskFinetuneRun>,
    /// Fine-tuning runs computed now.
    pub computed_runs: usize,
    /// Fine-tuning runs reused from storage.
    pub reused_runs: usize,
    /// The report.
    pub report: PathBuf,
}

/// The source and target tasks, as configured.
#[derive(Debug, Clone)]
pub struct VitTasks {
    /// Source training images.
    pub source: TaskData,
    /// Source test images.
    pub source_test: TaskData,
    /// Target training images.
    pub target: TaskData,
    /// Target test images.
    pub target_test: TaskData,
}

impl VitTasks {
    /// Reads Fashion-MNIST from the config's data folder and cuts out both tasks.
    pub fn load(config: &VitExperimentConfig) -> Result<Self, ExperimentError> {
        let data = FashionMnist::load(&config.data_dir)?;
        let cut = |split: &goldilocks_data::Split,
                   classes: &[u8],
                   n: usize|
         -> Result<TaskData, ExperimentError> {
            let task = split.task(classes)?;
            Ok(TaskData::from_split(&if n == 0 { task } else { task.take(n) }))
        };
        Ok(Self {
            source: cut(&data.train, &config.source.classes, config.source.train_images)?,
            source_test: cut(&data.test, &config.source.classes, config.source.test_images)?,
            target: cut(&data.train, &config.target.classes, config.target.train_images)?,
            target_test: cut(&data.test, &config.target.classes, config.target.test_images)?,
        })
    }
}

impl fmt::Display for VitOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} fine-tuning runs computed, {} reused; report: {}",
            self.computed_runs,
            self.reused_runs,
            self.report.display()
        )
    }
}

/// The checkpoint store of the experiment in `dir`, tied to the parts of `config` that
/// pre-training depends on.
pub fn open_checkpoints(
    config: &VitExperimentConfig,
    dir: &std::path::Path,
) -> Result<CheckpointStore, ExperimentError> {
    let pretrain_hash =
        identity_hash(&(CHECKPOINT_LAYOUT, &config.model, &config.source, &config.pretrain));
    Ok(CheckpointStore::open(dir.join("checkpoints"), &pretrain_hash)?)
}

/// Whether the weights that `record`'s run saved are in their folder under `dir`, unchanged.
fn saved_weights_verify(dir: &std::path::Path, record: &TaskFinetuneRun) -> bool {
    let folder = run_weights_dir(dir, &RunSpec::of(record));
    record.weights_sha256.as_deref().is_some_and(|digest| run_weights_match(&folder, digest))
}

/// Runs the whole ViT experiment, training on the autodiff backend over `B`, and writes
/// everything under `<results_root>/<name>/`.
pub(crate) fn run<B: Backend>(
    config: &VitExperimentConfig,
    options: &RunOptions,
    device: &B::Device,
) -> Result<VitOutcome, ExperimentError> {
    run_on::<Autodiff<B>>(config, options, device)
}

fn run_on<B: AutodiffBackend>(
    config: &VitExperimentConfig,
    options: &RunOptions,
    device: &B::Device,
) -> Result<VitOutcome, ExperimentError> {
    config.validate()?;
    check_fits(config, options.memory_limit)?;
    let tasks = VitTasks::load(config)?;
    let dir = options.results_root.join(&config.name);
    let _lock = lock_results_folder(&dir, options.wait_for_folder)?;
    if options.fresh {
        for sub in ["checkpoints", "runs", "adapters"] {
            let _ = std::fs::remove_dir_all(dir.join(sub));
        }
    }
    write_config(&dir, config)?;
    let mut store = open_checkpoints(config, &dir)?;
    let pretrained = ensure_checkpoints::<B>(
        config,
        &tasks.source,
        &tasks.source_test,
        &mut store,
        options.show_progress,
        device,
    )?;
    let run_hash = identity_hash(&(
        &config.model,
        &config.source,
        &config.target,
        &config.pretrain,
        &config.finetune,
    ));

    let settings = config.finetune.sweep_settings();
    let task = VitTargetTask { config, train: &tasks.target, test: &tasks.target_test };
    let checkpoints: Vec<usize> = pretrained.source.keys().copied().collect();
    let per_checkpoint = settings.methods.len() * settings.seeds.len();
    // Runs stored before a fresh pre-training started from other weights.
    let reuse = Reuse {
        stored: !(pretrained.computed || options.fresh),
        show_progress: options.show_progress,
    };
    let mut records = Vec::new();
    let (mut computed, mut reused) = (0, 0);
    for (index, &step) in checkpoints.iter().enumerate() {
        let unit = StoredUnit {
            index,
            count: checkpoints.len(),
            label: format!("fine-tuning from checkpoint {step}"),
            path: dir.join("runs").join(format!("step-{step:08}.jsonl")),
            config_hash: run_hash.clone(),
            records: per_checkpoint,
            budget: per_checkpoint * config.finetune.max_steps,
        };
        let save_weights = config.record.save_adapters;
        let belongs = |record: &TaskFinetuneRun| {
            if record.config_hash != run_hash {
                Err("belongs to another config".to_string())
            } else if save_weights && !saved_weights_verify(&dir, record) {
                Err(format!(
                    "saved no weights, or weights that are missing or changed since ({} seed {} \
                     from checkpoint {})",
                    record.method, record.seed, record.pretrain_step
                ))
            } else {
                Ok(())
            }
        };
        let group = reuse_or_compute(&unit, reuse, belongs, |bar| {
            let mut finished = 0;
            let group = finetune_checkpoint::<B, _, _>(
                &task,
                &settings,
                &store,
                step,
                &run_hash,
                device,
                |record: &mut TaskFinetuneRun, trained: &goldilocks_model::Vit<B>| {
                    if save_weights {
                        let spec = RunSpec::of(record);
                        let folder = run_weights_dir(&dir, &spec);
                        record.weights_sha256 =
                            Some(save_run_weights(config, trained, &spec, &folder)?);
                    }
                    finished += 1;
                    bar.update(EnsembleProgress {
                        steps: finished * config.finetune.max_steps,
                        finished_runs: finished,
                        runs: per_checkpoint,
                    });
                    Ok(())
                },
            )?;
            let reached = group.iter().filter(|r| r.steps_to_target.is_some()).count();
            let diverged = group.iter().filter(|r| r.diverged_at.is_some()).count();
            let mut account = format!("{reached}/{} runs reached the target", group.len());
            if diverged > 0 {
                account.push_str(&format!(", {diverged} diverged"));
            }
            Ok((group, account))
        })?;
        if group.reused {
            reused += group.records.len();
        } else {
            computed += group.records.len();
        }
        records.extend(group.records);
    }
    let rows = summarize(&records);
    let context = ReportContext {
        command: &options.command,
        pretrain_seconds: pretrained.seconds,
        computed_runs: computed,
        reused_runs: reused,
        checkpoints: &checkpoints,
        pretraining_diverged: pretrained.diverged_at,
    };
    let report = write_report(config, &dir, &records, &pretrained.source, &context)?;
    Ok(VitOutcome { dir, rows, records, computed_runs: computed, reused_runs: reused, report })
}
