//! The ViT experiment on real data: a tiny ViT pre-trained on a source task of
//! Fashion-MNIST with checkpoints on a schedule, then fine-tuned on a target task from every
//! checkpoint with LoRA at several ranks and fully, over several seeds; the report gives the
//! steps and wall time to a target accuracy versus pre-training steps.
//!
//! Results go to `<results_root>/<name>/`: `config.toml`, `checkpoints/` (a
//! [`goldilocks_store::CheckpointStore`]), `runs/step-<step>.jsonl` (one
//! [`FinetuneRecord`] per line), `summary.csv`, SVG plots and `report.md`. A rerun reuses
//! stored checkpoints and runs of the same config.
//!
//! ```no_run
//! use burn::backend::{Autodiff, NdArray};
//! use goldilocks_experiment::vit::{run_vit_experiment, VitExperimentConfig};
//! use goldilocks_experiment::RunOptions;
//!
//! let config = VitExperimentConfig::load("configs/vit-fashion-mnist.toml".as_ref()).unwrap();
//! let outcome = run_vit_experiment::<Autodiff<NdArray>>(&config, &RunOptions::new("results"), &Default::default()).unwrap();
//! println!("report: {}", outcome.report.display());
//! ```

mod config;
mod finetune;
mod outputs;
mod pretrain;
mod record;
mod task_data;
mod train;
mod weights;

use std::path::{Path, PathBuf};

use burn::tensor::backend::AutodiffBackend;
use goldilocks_data::FashionMnist;
use goldilocks_store::CheckpointStore;
use sha2::{Digest, Sha256};

pub use config::{FinetuneConfig, PretrainConfig, TaskConfig, VitExperimentConfig, VitShape};
pub use finetune::{finetune, Method, RunSpec};
pub use outputs::{summarize, verdict, write_report, ReportContext, VitSummaryRow};
pub use pretrain::{ensure_checkpoints, load_checkpoint, PretrainOutcome};
pub use record::FinetuneRecord;
pub use task_data::{BatchSampler, TaskData};
pub use train::{accuracy, train_step};
pub use weights::{load_module_tensors, module_tensors};

use crate::escape::run::write;
use crate::progress::EnsembleBar;
use crate::{EnsembleProgress, ExperimentError, RunOptions};

/// What a finished ViT experiment produced.
#[derive(Debug, Clone)]
pub struct VitOutcome {
    /// The results folder.
    pub dir: PathBuf,
    /// The summary rows.
    pub rows: Vec<VitSummaryRow>,
    /// Every fine-tuning run.
    pub records: Vec<FinetuneRecord>,
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

/// SHA-256 of the JSON of `value`.
fn hash_of<T: serde::Serialize>(value: &T) -> String {
    let text = serde_json::to_string(value).expect("config parts serialize");
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs the whole ViT experiment on backend `B` and writes everything under
/// `<results_root>/<name>/`.
pub fn run_vit_experiment<B: AutodiffBackend>(
    config: &VitExperimentConfig,
    options: &RunOptions,
    device: &B::Device,
) -> Result<VitOutcome, ExperimentError> {
    config.validate()?;
    let tasks = VitTasks::load(config)?;
    let dir = options.results_root.join(&config.name);
    if options.fresh {
        for sub in ["checkpoints", "runs"] {
            let _ = std::fs::remove_dir_all(dir.join(sub));
        }
    }
    write(&dir.join("config.toml"), config.to_toml().as_bytes())?;
    let pretrain_hash = hash_of(&(&config.model, &config.source, &config.pretrain));
    let mut store = CheckpointStore::open(dir.join("checkpoints"), &pretrain_hash)?;
    let pretrained = ensure_checkpoints::<B>(
        config,
        &tasks.source,
        &tasks.source_test,
        &mut store,
        options.show_progress,
        device,
    )?;
    let run_hash = hash_of(&(
        &config.model,
        &config.source,
        &config.target,
        &config.pretrain,
        &config.finetune,
    ));

    let methods = Method::all(config);
    let checkpoints = config.checkpoint_steps();
    let per_checkpoint = methods.len() * config.finetune.seeds.len();
    let mut records = Vec::new();
    let (mut computed, mut reused) = (0, 0);
    for (index, &step) in checkpoints.iter().enumerate() {
        let path = dir.join("runs").join(format!("step-{step:08}.jsonl"));
        if !(pretrained.computed || options.fresh) {
            if let Some(stored) = load_stored(&path, per_checkpoint, &run_hash) {
                if options.show_progress {
                    eprintln!(
                        "[{}/{}] checkpoint {step}: reusing {} stored runs",
                        index + 1,
                        checkpoints.len(),
                        stored.len()
                    );
                }
                reused += stored.len();
                records.extend(stored);
                continue;
            }
        }
        let label = format!("fine-tuning from checkpoint {step}");
        let budget = per_checkpoint * config.finetune.max_steps;
        let mut bar = EnsembleBar::new(
            options.show_progress,
            index,
            checkpoints.len(),
            &label,
            per_checkpoint,
            budget,
        );
        let mut group = Vec::new();
        let mut steps_done = 0;
        for &method in &methods {
            for &seed in &config.finetune.seeds {
                let model = load_checkpoint::<B>(config, &store, step, device)?;
                let spec = RunSpec { pretrain_step: step, method, seed };
                let record = finetune::<B>(
                    config,
                    &run_hash,
                    model,
                    spec,
                    &tasks.target,
                    &tasks.target_test,
                    device,
                )?;
                steps_done += config.finetune.max_steps;
                group.push(record);
                bar.update(EnsembleProgress {
                    steps: steps_done,
                    finished_runs: group.len(),
                    runs: per_checkpoint,
                });
            }
        }
        let reached = group.iter().filter(|r| r.steps_to_target.is_some()).count();
        bar.finish(&format!("{reached}/{} runs reached the target", group.len()));
        write(&path, crate::escape::record::to_json_lines(&group).as_bytes())?;
        computed += group.len();
        records.extend(group);
    }
    let rows = summarize(config, &records, &pretrained.source_accuracy);
    let context = ReportContext {
        command: &options.command,
        pretrain_seconds: pretrained.seconds,
        computed_runs: computed,
        reused_runs: reused,
    };
    let report = write_report(config, &dir, &rows, &records, &context)?;
    Ok(VitOutcome { dir, rows, records, computed_runs: computed, reused_runs: reused, report })
}

/// Stored runs of one checkpoint when complete, readable and of this config; otherwise
/// `None` (a damaged file is named in a warning).
fn load_stored(path: &Path, expected: usize, run_hash: &str) -> Option<Vec<FinetuneRecord>> {
    if !path.exists() {
        return None;
    }
    match crate::escape::record::read_json_lines::<FinetuneRecord>(path) {
        Ok(records)
            if records.len() == expected && records.iter().all(|r| r.config_hash == run_hash) =>
        {
            Some(records)
        }
        Ok(_) => {
            eprintln!(
                "warning: {} holds runs of another config or an incomplete set; recomputing",
                path.display()
            );
            None
        }
        Err(error) => {
            eprintln!("warning: stored runs are unreadable ({error}); recomputing");
            None
        }
    }
}
