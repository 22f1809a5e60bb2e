//! Runs a whole pre-training experiment: pre-training per source (resuming from stored
//! checkpoints), fine-tuning from every kept checkpoint per method (reusing stored records),
//! then the analysis outputs.

use std::path::PathBuf;

use burn::tensor::backend::Backend;
use goldilocks_analysis::{CheckpointSummary, FinetuneRun};

use crate::escape::record::to_json_lines;
use crate::escape::run::{load_stored, write};
use crate::pretrain::finetuning::{ensemble_key, finetune_from_checkpoints, FinetuneMethod};
use crate::pretrain::outputs::write_pretrain_outputs;
use crate::pretrain::pretraining::pretrain_source;
use crate::pretrain::PretrainConfig;
use crate::progress::EnsembleBar;
use crate::{ExperimentError, RunOptions};

/// What a finished pre-training experiment produced.
#[derive(Debug, Clone)]
pub struct PretrainOutcome {
    /// The results folder.
    pub dir: PathBuf,
    /// Every fine-tuning run.
    pub runs: Vec<FinetuneRun>,
    /// Every kept checkpoint of every source.
    pub checkpoints: Vec<CheckpointSummary>,
    /// Pre-training steps computed now, over all sources.
    pub pretraining_steps_computed: usize,
    /// Fine-tuning ensembles whose stored records were reused.
    pub reused_ensembles: usize,
    /// Fine-tuning ensembles computed now.
    pub computed_ensembles: usize,
    /// The report.
    pub report: PathBuf,
}

/// Runs `config` on backend `B` and writes everything under `<results_root>/<name>/`.
pub fn run_pretrain_experiment<B: Backend>(
    config: &PretrainConfig,
    options: &RunOptions,
    device: &B::Device,
) -> Result<PretrainOutcome, ExperimentError> {
    config.validate()?;
    let dir = options.results_root.join(&config.name);
    for folder in [dir.clone(), dir.join("runs"), dir.join("plots")] {
        if folder.is_dir() {
            goldilocks_store::remove_stale_temp_files(&folder).map_err(|error| {
                ExperimentError::Write { path: folder.clone(), message: error.to_string() }
            })?;
        }
    }
    write(&dir.join("config.toml"), config.to_toml().as_bytes())?;
    let methods = FinetuneMethod::all(config);
    let total = config.pretraining.sources.len() * methods.len();
    let (mut runs, mut checkpoints) = (Vec::new(), Vec::new());
    let (mut reused, mut computed, mut pretraining_steps) = (0, 0, 0);
    for (s, source) in config.pretraining.sources.iter().enumerate() {
        let pretrained = pretrain_source::<B>(config, source, &dir, options.show_progress, device)?;
        pretraining_steps += pretrained.steps_computed;
        if options.show_progress && pretrained.steps_computed == 0 {
            eprintln!(
                "pre-training {}: reusing {} stored checkpoints",
                source.name(),
                pretrained.checkpoints.len()
            );
        }
        checkpoints.extend(pretrained.checkpoints.iter().map(|c| CheckpointSummary {
            source: source.name(),
            step: c.step,
            overlap: c.metrics.get("overlap").copied().unwrap_or(f64::NAN),
            norm: c.metrics.get("norm").copied().unwrap_or(f64::NAN),
            source_test_loss: c.metrics.get("source_test_loss").copied().unwrap_or(f64::NAN),
            target_test_loss: c.metrics.get("target_test_loss").copied().unwrap_or(f64::NAN),
        }));
        for (m, &method) in methods.iter().enumerate() {
            let index = s * methods.len() + m;
            let key = ensemble_key(config, source, method, &pretrained.checkpoints);
            let path = dir.join("runs").join(format!("{key}.jsonl"));
            let expected = config.finetuning.seeds * pretrained.checkpoints.len();
            if !options.fresh {
                if let Some(stored) = load_stored::<FinetuneRun>(&path, expected) {
                    if options.show_progress {
                        eprintln!(
                            "[{}/{total}] {key}: reusing {} stored runs",
                            index + 1,
                            stored.len()
                        );
                    }
                    runs.extend(stored);
                    reused += 1;
                    continue;
                }
            }
            let mut bar = EnsembleBar::new(
                options.show_progress,
                index,
                total,
                &key,
                expected,
                config.finetuning.max_steps,
            );
            let ensemble = finetune_from_checkpoints::<B>(
                config,
                source,
                method,
                &pretrained.checkpoints,
                device,
                &mut |p| bar.update(p),
            )?;
            let censored = ensemble.iter().filter(|r| r.censored).count();
            let steps = ensemble.first().map_or(0, |r| r.steps_run);
            bar.finish(&format!("{steps} steps, {censored} censored"));
            write(&path, to_json_lines(&ensemble).as_bytes())?;
            runs.extend(ensemble);
            computed += 1;
        }
    }
    let report = write_pretrain_outputs(config, &dir, &runs, &checkpoints, &options.command)?;
    Ok(PretrainOutcome {
        dir,
        runs,
        checkpoints,
        pretraining_steps_computed: pretraining_steps,
        reused_ensembles: reused,
        computed_ensembles: computed,
        report,
    })
}
