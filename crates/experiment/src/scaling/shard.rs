//! Sharded scaling runs: a unit is one (target, N) point with all its seeds, stored in the
//! shard's `points/<target>-n<N>/` folder exactly as a one-machine run stores it.

use goldilocks_kernels::EnsembleKernels;
use std::path::Path;

use goldilocks_analysis::RunRecord;

use crate::escape::plan_ensembles;
use crate::escape::run::{ensemble_unit, run_ensembles};
use crate::escape::shard::unit_problem;
use crate::results_folder::write_config;
use crate::scaling::run::{check_points_fit, point_folder};
use crate::scaling::ScalingConfig;
use crate::shard::MergeProblems;
use crate::stored_unit::{store_records, verified_records};
use crate::{
    lock_results_folder, ExperimentError, ExperimentKind, RunOptions, Shard, ShardOutcome,
    ShardRun, Stage,
};

/// Runs the points of `run.shard` into its folder under `<results_root>/<name>/shards/`.
pub(crate) fn run_shard<B: EnsembleKernels>(
    config: &ScalingConfig,
    options: &RunOptions,
    run: ShardRun,
    device: &B::Device,
) -> Result<ShardOutcome, ExperimentError> {
    config.validate()?;
    check_points_fit(config, options.memory_limit)?;
    let dir = run.shard.folder(&options.results_root.join(&config.name));
    let _lock = lock_results_folder(&dir, options.wait_for_folder)?;
    write_config(&dir, config)?;
    let mut outcome = ShardOutcome::new(dir.clone(), run.shard);
    for (index, &(t, n)) in config.points().iter().enumerate() {
        if !run.runs(index, Stage::FineTuning) {
            continue;
        }
        let point_config = config.point_config(t, n);
        let ensembles =
            run_ensembles::<B>(&point_config, &point_folder(config, &dir, t, n), options, device)?;
        outcome.count(ensembles.computed == 0);
    }
    Ok(outcome)
}

/// Checks every point's ensemble files in its owner's folder and stores them under
/// `experiment_dir/points/`; writes nothing when one is missing or damaged.
pub(crate) fn gather_shards(
    config: &ScalingConfig,
    experiment_dir: &Path,
    shards: usize,
) -> Result<(), ExperimentError> {
    let mut problems = MergeProblems::default();
    let mut gathered = Vec::new();
    for (index, &(t, n)) in config.points().iter().enumerate() {
        let owner = Shard::owner(index, shards);
        let point_config = config.point_config(t, n);
        let plans = plan_ensembles(&point_config);
        let from = point_folder(config, &owner.folder(experiment_dir), t, n);
        let to = point_folder(config, experiment_dir, t, n);
        for (i, plan) in plans.iter().enumerate() {
            let unit = ensemble_unit(&point_config, plan, i, plans.len(), &from);
            match verified_records::<RunRecord>(&unit, |_| Ok(())) {
                Ok(records) => gathered
                    .push((ensemble_unit(&point_config, plan, i, plans.len(), &to), records)),
                Err(why) => {
                    problems.add(index, &config.point_name(t, n), owner, &unit_problem(&unit, why))
                }
            }
        }
    }
    problems.into_result(experiment_dir)?;
    for (unit, records) in gathered {
        store_records(&unit, &records)?;
    }
    Ok(())
}
