//! Runs a whole experiment: ensembles (reusing stored records), then the analysis outputs.

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use goldilocks_analysis::SummaryRow;
use serde::de::DeserializeOwned;

use crate::escape::outputs::write_outputs;
use crate::escape::plan::plan_ensembles;
use crate::escape::record::{read_json_lines, to_json_lines, RunRecord};
use crate::progress::EnsembleBar;
use crate::{run_ensemble, ExperimentConfig, ExperimentError};

/// Where results go and how to treat stored records.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Results root; the experiment writes to `<root>/<name>/`.
    pub results_root: PathBuf,
    /// Recompute every ensemble even when its records are stored.
    pub fresh: bool,
    /// Show progress on stderr.
    pub show_progress: bool,
    /// The command line that reproduces the run, for the report.
    pub command: String,
}

impl RunOptions {
    /// Defaults: reuse stored records, show progress.
    pub fn new(results_root: impl Into<PathBuf>) -> Self {
        Self {
            results_root: results_root.into(),
            fresh: false,
            show_progress: true,
            command: "cargo xtask experiment".into(),
        }
    }
}

/// What a finished experiment produced.
#[derive(Debug, Clone)]
pub struct ExperimentOutcome {
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

/// Runs `config` on backend `B` and writes everything under `<results_root>/<name>/`.
pub fn run_experiment<B: Backend>(
    config: &ExperimentConfig,
    options: &RunOptions,
    device: &B::Device,
) -> Result<ExperimentOutcome, ExperimentError> {
    config.validate()?;
    let dir = options.results_root.join(&config.name);
    let ensembles = run_ensembles::<B>(config, &dir, options, device)?;
    let (rows, report) = write_outputs(config, &dir, &ensembles.records, &options.command)?;
    Ok(ExperimentOutcome {
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

/// Writes `dir/config.toml` and runs every ensemble of the (validated) `config`, reusing
/// complete records stored under `dir/runs/` unless `options.fresh`; new records are stored
/// atomically as each ensemble finishes.
pub(crate) fn run_ensembles<B: Backend>(
    config: &ExperimentConfig,
    dir: &Path,
    options: &RunOptions,
    device: &B::Device,
) -> Result<EnsembleRecords, ExperimentError> {
    write(&dir.join("config.toml"), config.to_toml().as_bytes())?;
    let plans = plan_ensembles(config);
    let mut records = Vec::new();
    let (mut reused, mut computed) = (0, 0);
    for (index, plan) in plans.iter().enumerate() {
        let key = plan.key(config);
        let path = dir.join("runs").join(format!("{key}.jsonl"));
        if !options.fresh {
            if let Some(stored) = load_stored::<RunRecord>(&path, plan.run_count()) {
                if options.show_progress {
                    eprintln!(
                        "[{}/{}] {key}: reusing {} stored runs",
                        index + 1,
                        plans.len(),
                        stored.len()
                    );
                }
                records.extend(stored);
                reused += 1;
                continue;
            }
        }
        let mut bar = EnsembleBar::new(
            options.show_progress,
            index,
            plans.len(),
            &key,
            plan.run_count(),
            config.training.max_steps,
        );
        let ensemble_records =
            run_ensemble::<B>(config, plan, device, &mut |progress| bar.update(progress))?;
        let censored = ensemble_records.iter().filter(|r| r.censored).count();
        let steps = ensemble_records.iter().map(|r| r.steps_run).max().unwrap_or(0);
        bar.finish(&format!("{steps} steps, {censored} censored"));
        write(&path, to_json_lines(&ensemble_records).as_bytes())?;
        records.extend(ensemble_records);
        computed += 1;
    }
    Ok(EnsembleRecords { records, reused, computed })
}

/// Stored records when they are complete and readable; a damaged file is named in a warning
/// and recomputed.
pub(crate) fn load_stored<T: DeserializeOwned>(
    path: &Path,
    expected_runs: usize,
) -> Option<Vec<T>> {
    if !path.exists() {
        return None;
    }
    match read_json_lines::<T>(path) {
        Ok(records) if records.len() == expected_runs => Some(records),
        Ok(records) => {
            eprintln!(
                "warning: {} holds {} runs, expected {expected_runs}; recomputing",
                path.display(),
                records.len()
            );
            None
        }
        Err(error) => {
            eprintln!("warning: stored records are unreadable ({error}); recomputing");
            None
        }
    }
}

/// Writes a results file atomically.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), ExperimentError> {
    goldilocks_store::write_atomic(path, bytes).map_err(|error| ExperimentError::Write {
        path: path.to_path_buf(),
        message: error.to_string(),
    })
}
