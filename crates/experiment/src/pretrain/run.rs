//! Runs a whole pre-training experiment: pre-training per source (resuming from stored
//! checkpoints), fine-tuning from every kept checkpoint per method (reusing stored records),
//! then the analysis outputs.

use std::fmt;
use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use goldilocks_analysis::{CheckpointSummary, FinetuneRun};

use crate::lock_results_folder;
use crate::pretrain::finetuning::{ensemble_hash, ensemble_key, finetune_from_checkpoints};
use crate::pretrain::memory::check_fits;
use crate::pretrain::outputs::write_pretrain_outputs;
use crate::pretrain::pretraining::{pretrain_source, PretrainedSource};
use crate::pretrain::{PretrainConfig, SourceTask};
use crate::results_folder::{remove_stale_temp_files, write_config};
use crate::stored_unit::{reuse_or_compute, Reuse, StoredUnit, UnitRecords};
use crate::{ExperimentError, ExperimentKind, FinetuneMethod, RunOptions};

/// What a finished pre-training experiment produced.
#[derive(Debug, Clone)]
pub struct PretrainOutcome {
    /// The results folder.
    pub dir: PathBuf,
    /// Every fine-tuning run.
    pub runs: Vec<FinetuneRun>,
    /// Every kept checkpoint of every source.
    pub checkpoints: Vec<CheckpointSummary>,
    /// Sources whose pre-training diverged, with the step it stopped at.
    pub pretraining_diverged: Vec<(String, usize)>,
    /// Pre-training steps computed now, over all sources.
    pub pretraining_steps_computed: usize,
    /// Fine-tuning ensembles whose stored records were reused.
    pub reused_ensembles: usize,
    /// Fine-tuning ensembles computed now.
    pub computed_ensembles: usize,
    /// The report.
    pub report: PathBuf,
}

impl fmt::Display for PretrainOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} pre-training steps computed; {} fine-tuning ensembles computed, {} reused; report: {}",
            self.pretraining_steps_computed,
            self.computed_ensembles,
            self.reused_ensembles,
            self.report.display()
        )
    }
}

/// Runs `config` on backend `B` and writes everything under `<results_root>/<name>/`.
pub(crate) fn run<B: Backend>(
    config: &PretrainConfig,
    options: &RunOptions,
    device: &B::Device,
) -> Result<PretrainOutcome, ExperimentError> {
    config.validate()?;
    check_fits(config, options.memory_limit)?;
    let dir = options.results_root.join(&config.name);
    let _lock = lock_results_folder(&dir, options.wait_for_folder)?;
    remove_stale_temp_files(&dir, &["runs", "plots"])?;
    write_config(&dir, config)?;
    let methods = config.finetuning.methods();
    let total = config.pretraining.sources.len() * methods.len();
    let reuse = Reuse { stored: !options.fresh, show_progress: options.show_progress };
    let (mut runs, mut checkpoints, mut diverged) = (Vec::new(), Vec::new(), Vec::new());
    let (mut reused, mut computed, mut pretraining_steps) = (0, 0, 0);
    for (s, source) in config.pretraining.sources.iter().enumerate() {
        let pretrained = pretrain_source::<B>(config, source, &dir, options.show_progress, device)?;
        pretraining_steps += pretrained.steps_computed;
        if let Some(step) = pretrained.diverged_at {
            diverged.push((source.name(), step));
        }
        if options.show_progress && pretrained.steps_computed == 0 {
            eprintln!(
                "pre-training {}: reusing {} stored checkpoints",
                source.name(),
                pretrained.checkpoints.len()
            );
        }
        checkpoints.extend(checkpoint_summaries(source, &pretrained));
        // Pre-training that diverged before its first checkpoint leaves nothing to fine-tune.
        let methods_here = if pretrained.checkpoints.is_empty() { &[][..] } else { &methods[..] };
        for (m, &method) in methods_here.iter().enumerate() {
            let unit =
                finetune_unit(config, &pretrained, method, s * methods.len() + m, total, &dir);
            let ensemble =
                finetune_or_reuse::<B>(config, &pretrained, method, &unit, reuse, device)?;
            if ensemble.reused {
                reused += 1;
            } else {
                computed += 1;
            }
            runs.extend(ensemble.records);
        }
    }
    let report =
        write_pretrain_outputs(config, &dir, &runs, &checkpoints, &diverged, &options.command)?;
    Ok(PretrainOutcome {
        dir,
        runs,
        checkpoints,
        pretraining_diverged: diverged,
        pretraining_steps_computed: pretraining_steps,
        reused_ensembles: reused,
        computed_ensembles: computed,
        report,
    })
}

/// The summaries of a source's kept checkpoints, for the report.
fn checkpoint_summaries<'a>(
    source: &SourceTask,
    pretrained: &'a PretrainedSource,
) -> impl Iterator<Item = CheckpointSummary> + 'a {
    let name = source.name();
    pretrained.checkpoints.iter().map(move |c| CheckpointSummary {
        source: name.clone(),
        step: c.step,
        overlap: c.metrics.get("overlap").copied().unwrap_or(f64::NAN),
        norm: c.metrics.get("norm").copied().unwrap_or(f64::NAN),
        source_test_loss: c.metrics.get("source_test_loss").copied().unwrap_or(f64::NAN),
        target_test_loss: c.metrics.get("target_test_loss").copied().unwrap_or(f64::NAN),
    })
}

/// The stored unit of fine-tuning with `method` from every checkpoint of `pretrained`
/// (number `index` of `count`), in `dir/runs/`.
pub(crate) fn finetune_unit(
    config: &PretrainConfig,
    pretrained: &PretrainedSource,
    method: FinetuneMethod,
    index: usize,
    count: usize,
    dir: &Path,
) -> StoredUnit {
    let key = ensemble_key(config, &pretrained.source, method, &pretrained.checkpoints);
    StoredUnit {
        index,
        count,
        path: dir.join("runs").join(format!("{key}.jsonl")),
        config_hash: ensemble_hash(config, method, &pretrained.checkpoints),
        label: key,
        records: config.finetuning.seeds * pretrained.checkpoints.len(),
        budget: config.finetuning.max_steps,
    }
}

/// Fine-tunes with `method` from every checkpoint of `pretrained`, or reuses `unit`'s stored
/// records.
pub(crate) fn finetune_or_reuse<B: Backend>(
    config: &PretrainConfig,
    pretrained: &PretrainedSource,
    method: FinetuneMethod,
    unit: &StoredUnit,
    reuse: Reuse,
    device: &B::Device,
) -> Result<UnitRecords<FinetuneRun>, ExperimentError> {
    reuse_or_compute(
        unit,
        reuse,
        |_: &FinetuneRun| Ok(()),
        |bar| {
            let runs = finetune_from_checkpoints::<B>(
                config,
                &pretrained.source,
                method,
                &pretrained.checkpoints,
                device,
                &mut |p| bar.update(p),
            )?;
            let censored = runs.iter().filter(|r| r.censored).count();
            let diverged = runs.iter().filter(|r| r.diverged_at.is_some()).count();
            let steps = runs.first().map_or(0, |r| r.steps_run);
            let mut summary = format!("{steps} steps, {censored} censored");
            if diverged > 0 {
                summary.push_str(&format!(", {diverged} diverged"));
            }
            Ok((runs, summary))
        },
    )
}
