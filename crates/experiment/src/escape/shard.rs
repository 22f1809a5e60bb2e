//! Sharded escape runs. A unit is one variant (activation, mu) of an ensemble with all its
//! seeds. A shard runs the variants it owns of each ensemble together as one smaller ensemble
//! (a variant's records do not depend on the variants beside it: the inputs are drawn per
//! seed, and a variant leaves the ensemble once all its seeds have finished) and stores each
//! variant's records in a file of its own; the merge interleaves them back into the
//! one-machine run's ensemble files.

use goldilocks_kernels::EnsembleKernels;
use std::path::Path;

use goldilocks_analysis::RunRecord;

use crate::escape::memory::check_fits;
use crate::escape::plan::{plan_ensembles, EnsemblePlan};
use crate::escape::run::{ensemble_unit, run_in_chunks};
use crate::escape::EscapeConfig;
use crate::interrupt::check_interrupt;
use crate::progress::EnsembleBar;
use crate::results_folder::write_config;
use crate::shard::MergeProblems;
use crate::stored_unit::{load_stored, store_records, verified_records, StoredUnit};
use crate::{
    lock_results_folder, ExperimentError, ExperimentKind, RunOptions, Shard, ShardOutcome,
    ShardRun, Stage,
};

/// Runs the units of `run.shard` into its folder under `<results_root>/<name>/shards/`.
pub(crate) fn run_shard<B: EnsembleKernels>(
    config: &EscapeConfig,
    options: &RunOptions,
    run: ShardRun,
    device: &B::Device,
) -> Result<ShardOutcome, ExperimentError> {
    config.validate()?;
    check_fits(config, &plan_ensembles(config), options.memory_limit)?;
    let dir = run.shard.folder(&options.results_root.join(&config.name));
    let _lock = lock_results_folder(&dir, options.wait_for_folder)?;
    write_config(&dir, config)?;
    let mut outcome = ShardOutcome::new(dir, run.shard);
    let owns = |unit| run.runs(unit, Stage::FineTuning);
    run_variants::<B>(config, &owns, options, device, &mut outcome)?;
    Ok(outcome)
}

/// The stored unit of variant `v` of `plan` (unit `index` of `count`) in folder `dir`.
fn variant_unit(
    config: &EscapeConfig,
    plan: &EnsemblePlan,
    v: usize,
    index: usize,
    count: usize,
    dir: &Path,
) -> StoredUnit {
    let mut unit = ensemble_unit(config, &plan.only_variant(v), index, count, dir);
    unit.label = plan.unit_label(&plan.variants[v]);
    unit
}

/// Units of each ensemble: its variants.
fn width(plans: &[EnsemblePlan]) -> usize {
    plans.first().map_or(0, |plan| plan.variants.len())
}

/// Runs the variant units for which `owns(unit index)` holds, each ensemble's missing ones
/// together, stores each unit's records in `outcome.dir/runs/` and counts them in `outcome`.
fn run_variants<B: EnsembleKernels>(
    config: &EscapeConfig,
    owns: &dyn Fn(usize) -> bool,
    options: &RunOptions,
    device: &B::Device,
    outcome: &mut ShardOutcome,
) -> Result<(), ExperimentError> {
    let dir = outcome.dir.clone();
    let plans = plan_ensembles(config);
    let width = width(&plans);
    let count = plans.len() * width;
    for (e, plan) in plans.iter().enumerate() {
        let mut missing = Vec::new();
        for v in (0..width).filter(|v| owns(e * width + v)) {
            let unit = variant_unit(config, plan, v, e * width + v, count, &dir);
            if !options.fresh && load_stored(&unit, |_: &RunRecord| Ok(())).is_some() {
                if options.show_progress {
                    eprintln!(
                        "[{}/{count}] {}: reusing its stored runs",
                        unit.index + 1,
                        unit.label
                    );
                }
                outcome.count(true);
            } else {
                missing.push((v, unit));
            }
        }
        if missing.is_empty() {
            continue;
        }
        check_interrupt()?;
        let owned = EnsemblePlan {
            variants: missing.iter().map(|(v, _)| plan.variants[*v]).collect(),
            ..plan.clone()
        };
        let label = format!("{}, rank {}: {} units", plan.start.name, plan.rank, missing.len());
        let mut bar = EnsembleBar::new(
            options.show_progress,
            e,
            plans.len(),
            &label,
            owned.run_count(),
            config.training.max_steps,
        );
        let records = run_in_chunks::<B>(config, &owned, options.memory_limit, device, &mut bar)?;
        bar.finish(&format!("{} runs", records.len()));
        // The ensemble's record g * width + j is seed g's run of its variant j.
        let mut columns: Vec<Vec<RunRecord>> = missing.iter().map(|_| Vec::new()).collect();
        for (i, record) in records.into_iter().enumerate() {
            columns[i % missing.len()].push(record);
        }
        for ((_, unit), column) in missing.iter().zip(&columns) {
            store_records(unit, column)?;
            outcome.count(false);
        }
    }
    Ok(())
}

/// Checks every variant unit in the folder of its owner among `shards` shards and writes the
/// ensemble files of a one-machine run under `experiment_dir/runs/`; writes nothing when a
/// unit is missing or damaged.
pub(crate) fn gather_shards(
    config: &EscapeConfig,
    experiment_dir: &Path,
    shards: usize,
) -> Result<(), ExperimentError> {
    let plans = plan_ensembles(config);
    let width = width(&plans);
    let count = plans.len() * width;
    let mut problems = MergeProblems::default();
    let mut ensembles = Vec::new();
    for (e, plan) in plans.iter().enumerate() {
        let mut columns = Vec::with_capacity(width);
        for v in 0..width {
            let index = e * width + v;
            let owner = Shard::owner(index, shards);
            let unit = variant_unit(config, plan, v, index, count, &owner.folder(experiment_dir));
            match verified_records::<RunRecord>(&unit, |_| Ok(())) {
                Ok(records) => columns.push(records.into_iter()),
                Err(why) => problems.add(index, &unit.label, owner, &unit_problem(&unit, why)),
            }
        }
        if columns.len() == width {
            let mut records = Vec::with_capacity(plan.run_count());
            for _ in &plan.seeds {
                records.extend(columns.iter_mut().filter_map(Iterator::next));
            }
            ensembles.push((ensemble_unit(config, plan, e, plans.len(), experiment_dir), records));
        }
    }
    problems.into_result(experiment_dir)?;
    for (unit, records) in ensembles {
        store_records(&unit, &records)?;
    }
    Ok(())
}

/// What is wrong with a unit's file, for a merge's error (None: the file is missing).
pub(crate) fn unit_problem(unit: &StoredUnit, why: Option<String>) -> String {
    why.unwrap_or_else(|| format!("missing (no {})", unit.path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_the_variants_of_every_ensemble_in_plan_order() {
        let config = EscapeConfig::default_config();
        let plans = plan_ensembles(&config);
        let plan = config.plan();
        assert_eq!(plan.units.len(), plans.len() * width(&plans));
        let dir = Path::new("x");
        let unit = variant_unit(&config, &plans[0], 1, 1, plan.units.len(), dir);
        assert_eq!(unit.label, plan.units[1].label);
        assert_eq!(unit.records, plans[0].seeds.len());
        let other = variant_unit(&config, &plans[0], 2, 2, plan.units.len(), dir);
        assert_ne!(unit.path, other.path, "every unit has a file of its own");
    }
}
