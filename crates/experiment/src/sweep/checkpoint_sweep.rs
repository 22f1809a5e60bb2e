//! The sweep itself: every method and seed fine-tuned from every checkpoint of a store, and
//! the Goldilocks checkpoint of each method.

use goldilocks_analysis::{
    find_goldilocks, summarize_finetuning, FinetuneRow, Goldilocks, TaskFinetuneRun,
};
use goldilocks_store::CheckpointStore;

use crate::identity_hash::identity_hash;
use crate::sweep::checkpoint_tensors::checkpoint_origin;
use crate::sweep::{finetune_run, load_module_tensors, FinetuneTask, RunSpec, SweepSettings};
use crate::ExperimentError;
use burn::tensor::backend::AutodiffBackend;

/// What a sweep measured.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    /// Every run: checkpoints ascending, then methods and seeds in the settings' order.
    pub records: Vec<TaskFinetuneRun>,
    /// The fine-tuning table: per (method, checkpoint), steps to the target with 95%
    /// intervals over seeds (censored runs counted at their budget).
    pub rows: Vec<FinetuneRow>,
    /// Per method, the Goldilocks checkpoint: the fastest to fine-tune, with its bootstrap
    /// interval over seeds and whether more pre-training slows fine-tuning.
    pub goldilocks: Vec<Goldilocks>,
}

impl SweepOutcome {
    /// The Goldilocks checkpoint of `method` (`lora-r<rank>` or `full`), if it ran.
    pub fn goldilocks_of(&self, method: &str) -> Option<&Goldilocks> {
        self.goldilocks.iter().find(|g| g.method == method)
    }
}

/// Fine-tunes every method and seed of `settings` from checkpoint `step` of `store` (loaded
/// and verified once), tagging the records with `config_hash`; `after_run` sees each record
/// with its trained model as it finishes (to save weights, or show progress) and may fill in
/// the record. Records come in the settings' order: methods, then seeds.
pub fn finetune_checkpoint<B, T, F>(
    task: &T,
    settings: &SweepSettings,
    store: &CheckpointStore,
    step: usize,
    config_hash: &str,
    device: &B::Device,
    mut after_run: F,
) -> Result<Vec<TaskFinetuneRun>, ExperimentError>
where
    B: AutodiffBackend,
    T: FinetuneTask<B>,
    F: FnMut(&mut TaskFinetuneRun, &T::Model) -> Result<(), ExperimentError>,
{
    let checkpoint = store.load(step)?;
    let origin = checkpoint_origin(store, step);
    let mut records = Vec::with_capacity(settings.methods.len() * settings.seeds.len());
    for &method in &settings.methods {
        for &seed in &settings.seeds {
            let pretrained = load_module_tensors(
                task.pretrained_model(device)?,
                checkpoint.tensors.clone(),
                &origin,
            )?;
            let spec = RunSpec { pretrain_step: step, method, seed };
            let (mut record, trained) = finetune_run(
                task,
                settings,
                pretrained,
                spec,
                &checkpoint.entry.source,
                config_hash,
                device,
            )?;
            after_run(&mut record, &trained)?;
            records.push(record);
        }
    }
    Ok(records)
}

/// Fine-tunes every method and seed of `settings` from every checkpoint in `store` on
/// `task`, and names each method's Goldilocks checkpoint. The records are tagged with the
/// hash of the settings and the store's config hash.
pub fn sweep<B: AutodiffBackend, T: FinetuneTask<B>>(
    task: &T,
    settings: &SweepSettings,
    store: &CheckpointStore,
    device: &B::Device,
) -> Result<SweepOutcome, ExperimentError> {
    settings.validate()?;
    let steps = store.steps();
    if steps.is_empty() {
        return Err(ExperimentError::invalid(
            "store",
            format!("{} holds no checkpoint to fine-tune from", store.dir().display()),
        ));
    }
    let config_hash = identity_hash(&(settings, store.config_hash()));
    let mut records = Vec::new();
    for step in steps {
        records.extend(finetune_checkpoint(
            task,
            settings,
            store,
            step,
            &config_hash,
            device,
            |_, _| Ok(()),
        )?);
    }
    let rows = summarize_finetuning(&records, &[]);
    let goldilocks = find_goldilocks(&records);
    Ok(SweepOutcome { records, rows, goldilocks })
}
