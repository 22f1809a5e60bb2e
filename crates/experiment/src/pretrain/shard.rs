//! Sharded pre-training experiments. The units are one pre-training per source (stage
//! pre-training), then one fine-tuning unit per (source, method) (stage fine-tuning), which
//! starts from the checkpoints that its source's owner shard stored: run the pre-training
//! stage of every shard first (`--stage pre-training`, a dependency in the generated Slurm
//! scripts), then the fine-tuning stage.

use std::path::Path;

use burn::tensor::backend::Backend;
use goldilocks_analysis::FinetuneRun;

use crate::escape::shard::unit_problem;
use crate::pretrain::memory::check_fits;
use crate::pretrain::pretraining::{load_pretrained, pretrain_source, store_dir};
use crate::pretrain::run::{finetune_or_reuse, finetune_unit};
use crate::pretrain::PretrainConfig;
use crate::results_folder::{remove_stale_temp_files, write, write_config};
use crate::shard::MergeProblems;
use crate::stored_unit::{store_records, verified_records, Reuse};
use crate::{
    lock_results_folder, ExperimentError, ExperimentKind, RunOptions, Shard, ShardOutcome,
    ShardRun, Stage,
};

/// Runs the units of `run.shard` (of `run.stage`, when given) into its folder under
/// `<results_root>/<name>/shards/`.
pub(crate) fn run_shard<B: Backend>(
    config: &PretrainConfig,
    options: &RunOptions,
    run: ShardRun,
    device: &B::Device,
) -> Result<ShardOutcome, ExperimentError> {
    config.validate()?;
    check_fits(config, options.memory_limit)?;
    let experiment_dir = options.results_root.join(&config.name);
    let dir = run.shard.folder(&experiment_dir);
    let _lock = lock_results_folder(&dir, options.wait_for_folder)?;
    remove_stale_temp_files(&dir, &["runs"])?;
    write_config(&dir, config)?;
    let sources = &config.pretraining.sources;
    let methods = config.finetuning.methods();
    let plan = config.plan();
    let reuse = Reuse { stored: !options.fresh, show_progress: options.show_progress };
    let mut outcome = ShardOutcome::new(dir.clone(), run.shard);
    for (s, source) in sources.iter().enumerate() {
        if run.runs(s, Stage::PreTraining) {
            let pretrained =
                pretrain_source::<B>(config, source, &dir, options.show_progress, device)?;
            outcome.count(pretrained.steps_computed == 0);
        }
    }
    for (s, source) in sources.iter().enumerate() {
        let owned: Vec<_> = methods
            .iter()
            .enumerate()
            .map(|(m, &method)| (sources.len() + s * methods.len() + m, method))
            .filter(|&(unit, _)| run.runs(unit, Stage::FineTuning))
            .collect();
        let Some(&(first, _)) = owned.first() else { continue };
        let owner = Shard::owner(s, run.shard.count);
        let Some(pretrained) = load_pretrained(config, source, &owner.folder(&experiment_dir))?
        else {
            return Err(ExperimentError::DependencyUnfinished {
                unit: first,
                label: plan.units[first].label.clone(),
                needed: s,
                needed_label: plan.units[s].label.clone(),
                shard: owner,
            });
        };
        // Pre-training that diverged before its first checkpoint leaves nothing to fine-tune.
        if pretrained.checkpoints.is_empty() {
            continue;
        }
        for (index, method) in owned {
            let unit = finetune_unit(config, &pretrained, method, index, plan.units.len(), &dir);
            let records =
                finetune_or_reuse::<B>(config, &pretrained, method, &unit, reuse, device)?;
            outcome.count(records.reused);
        }
    }
    Ok(outcome)
}

/// Checks every source's finished store and every fine-tuning unit in their owners' folders
/// and copies them where a one-machine run keeps them; writes nothing when one is missing,
/// unfinished or damaged.
pub(crate) fn gather_shards(
    config: &PretrainConfig,
    experiment_dir: &Path,
    shards: usize,
) -> Result<(), ExperimentError> {
    let sources = &config.pretraining.sources;
    let methods = config.finetuning.methods();
    let plan = config.plan();
    let mut problems = MergeProblems::default();
    let mut stores = Vec::new();
    let mut records = Vec::new();
    for (s, source) in sources.iter().enumerate() {
        let owner = Shard::owner(s, shards);
        let folder = owner.folder(experiment_dir);
        let pretrained = match load_pretrained(config, source, &folder) {
            Ok(Some(pretrained)) => pretrained,
            Ok(None) => {
                let store = store_dir(config, source, &folder);
                let why =
                    format!("missing or unfinished (no finished store in {})", store.display());
                problems.add(s, &plan.units[s].label, owner, &why);
                continue;
            }
            Err(error) => {
                problems.add(s, &plan.units[s].label, owner, &error.to_string());
                continue;
            }
        };
        let methods_here = if pretrained.checkpoints.is_empty() { &[][..] } else { &methods[..] };
        for (m, &method) in methods_here.iter().enumerate() {
            let index = sources.len() + s * methods.len() + m;
            let owner = Shard::owner(index, shards);
            let from = owner.folder(experiment_dir);
            let unit = finetune_unit(config, &pretrained, method, index, plan.units.len(), &from);
            match verified_records::<FinetuneRun>(&unit, |_| Ok(())) {
                Ok(runs) => records.push((
                    finetune_unit(
                        config,
                        &pretrained,
                        method,
                        index,
                        plan.units.len(),
                        experiment_dir,
                    ),
                    runs,
                )),
                Err(why) => {
                    problems.add(index, &plan.units[index].label, owner, &unit_problem(&unit, why))
                }
            }
        }
        stores.push((pretrained.dir.clone(), store_dir(config, source, experiment_dir)));
    }
    problems.into_result(experiment_dir)?;
    for (from, to) in stores {
        copy_store(&from, &to)?;
    }
    for (unit, runs) in records {
        store_records(&unit, &runs)?;
    }
    Ok(())
}

/// Copies a verified store's files (not the temporary files of writes in flight), each
/// atomically.
fn copy_store(from: &Path, to: &Path) -> Result<(), ExperimentError> {
    let read_error = |path: &Path, error: std::io::Error| ExperimentError::Write {
        path: path.to_path_buf(),
        message: format!("cannot read it to merge: {error}"),
    };
    let entries = std::fs::read_dir(from).map_err(|e| read_error(from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| read_error(from, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || !entry.path().is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(|e| read_error(&entry.path(), e))?;
        write(&to.join(&name), &bytes)?;
    }
    Ok(())
}
