//! Runs a whole escape experiment: every ensemble of the plan (reusing stored records), then
//! the analysis outputs.

use goldilocks_kernels::EnsembleKernels;
use std::fmt;
use std::path::{Path, PathBuf};

use goldilocks_analysis::SummaryRow;

use crate::escape::memory::{check_fits, merge_chunks, split_for_memory};
use crate::escape::outputs::write_outputs;
use crate::escape::plan::plan_ensembles;
use crate::escape::plan::EnsemblePlan;
use crate::escape::{run_ensemble, EscapeConfig};
use crate::lock_results_folder;
use crate::progress::EnsembleBar;
use crate::results_folder::write_config;
use crate::stored_unit::{reuse_or_compute, Reuse, StoredUnit};
use crate::{EnsembleProgress, ExperimentError, ExperimentKind, RunOptions};
use goldilocks_analysis::RunRecord;

/// What a finished escape experiment produced.
#[derive(Debug, Clone)]
pub struct EscapeOutcome {
    /// The results folder.
    pub dir: PathBuf,
    /// The summary rows.
    pub rows: Vec<SummaryRow>,
    /// Every run's record.
    pub records: Vec<RunRecord>,
    /// Ensembles whose stored records were reused.
    pub reused_ensembles: usize,
    /// Ensembles computed now.
    pub computed_ensembles: usize,
    /// The report.
    pub report: PathBuf,
}

impl fmt::Display for EscapeOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ensembles computed, {} reused; report: {}",
            self.computed_ensembles,
            self.reused_ensembles,
            self.report.display()
        )
    }
}

/// Runs `config` on backend `B` and writes everything under `<results_root>/<name>/`.
pub(crate) fn run<B: EnsembleKernels>(
    config: &EscapeConfig,
    options: &RunOptions,
    device: &B::Device,
) -> Result<EscapeOutcome, ExperimentError> {
    config.validate()?;
    check_fits(config, &plan_ensembles(config), options.memory_limit)?;
    let dir = options.results_root.join(&config.name);
    let _lock = lock_results_folder(&dir, options.wait_for_folder)?;
    let ensembles = run_ensembles::<B>(config, &dir, options, device)?;
    let (rows, report) = write_outputs(config, &dir, &ensembles.records, &options.command)?;
    Ok(EscapeOutcome {
        dir,
        rows,
        records: ensembles.records,
        reused_ensembles: ensembles.reused,
        computed_ensembles: ensembles.computed,
        report,
    })
}

/// The records of every ensemble of a config, and how many ensembles were reused or computed.
pub(crate) struct EnsembleRecords {
    /// Every run's record, in plan order.
    pub records: Vec<RunRecord>,
    /// Ensembles whose stored records were reused.
    pub reused: usize,
    /// Ensembles computed now.
    pub computed: usize,
}

/// The stored unit of ensemble `plan` (number `index` of `count`) in the folder `dir`:
/// `dir/runs/<key>.jsonl`.
pub(crate) fn ensemble_unit(
    config: &EscapeConfig,
    plan: &EnsemblePlan,
    index: usize,
    count: usize,
    dir: &Path,
) -> StoredUnit {
    let key = plan.key(config);
    StoredUnit {
        index,
        count,
        path: dir.join("runs").join(format!("{key}.jsonl")),
        config_hash: plan.identity_hash(config),
        label: key,
        records: plan.run_count(),
        budget: config.training.max_steps,
    }
}

/// Runs `plan` as one ensemble, or in chunks of variants when it does not fit `limit`
/// bytes; the records are those of the whole ensemble, in its order.
pub(crate) fn run_in_chunks<B: EnsembleKernels>(
    config: &EscapeConfig,
    plan: &EnsemblePlan,
    limit: u64,
    device: &B::Device,
    bar: &mut EnsembleBar,
) -> Result<Vec<RunRecord>, ExperimentError> {
    let chunks = split_for_memory(config, plan, limit)?;
    let mut done = 0;
    let mut results = Vec::with_capacity(chunks.len());
    for (i, chunk) in chunks.iter().enumerate() {
        let first = i * chunks[0].variants.len();
        let records = run_ensemble::<B>(config, chunk, device, &mut |p| {
            bar.update(EnsembleProgress {
                finished_runs: done + p.finished_runs,
                runs: plan.run_count(),
                ..p
            })
        })?;
        done += records.len();
        results.push((first, records));
    }
    Ok(merge_chunks(results, plan.seeds.len()))
}

/// Writes `dir/config.toml` and runs every ensemble of the (validated) `config`, reusing
/// complete records stored under `dir/runs/` unless `options.fresh`; new records are stored
/// atomically as each ensemble finishes.
pub(crate) fn run_ensembles<B: EnsembleKernels>(
    config: &EscapeConfig,
    dir: &Path,
    options: &RunOptions,
    device: &B::Device,
) -> Result<EnsembleRecords, ExperimentError> {
    write_config(dir, config)?;
    let plans = plan_ensembles(config);
    let reuse = Reuse { stored: !options.fresh, show_progress: options.show_progress };
    let mut all = EnsembleRecords { records: Vec::new(), reused: 0, computed: 0 };
    for (index, plan) in plans.iter().enumerate() {
        let unit = ensemble_unit(config, plan, index, plans.len(), dir);
        let ensemble = reuse_or_compute(
            &unit,
            reuse,
            |_: &RunRecord| Ok(()),
            |bar| {
                let records = run_in_chunks::<B>(config, plan, options.memory_limit, device, bar)?;
                let censored = records.iter().filter(|r| r.censored).count();
                let steps = records.iter().map(|r| r.steps_run).max().unwrap_or(0);
                Ok((records, format!("{steps} steps, {censored} censored")))
            },
        )?;
        if ensemble.reused {
            all.reused += 1;
        } else {
            all.computed += 1;
        }
        all.records.extend(ensemble.records);
    }
    Ok(all)
}
