//! Pre-training on the source task, with checkpoints at the configured steps in a
//! [`CheckpointStore`]. Stored checkpoints are reused; when one is missing or corrupted (the
//! warning names its file), pre-training reruns from scratch and rewrites the checkpoints
//! up to the last one needed, so that every checkpoint comes from one trajectory.

use std::collections::BTreeMap;
use std::time::Instant;

use burn::optim::AdamConfig;
use burn::tensor::backend::AutodiffBackend;
use goldilocks_model::Vit;
use goldilocks_store::CheckpointStore;

use crate::interrupt::check_interrupt;
use crate::progress::EnsembleBar;
use crate::vit::task_data::{BatchSampler, TaskData};
use crate::vit::train::{accuracy, train_step};
use crate::vit::weights::{load_module_tensors, module_tensors};
use crate::vit::VitExperimentConfig;
use crate::{EnsembleProgress, ExperimentError};

/// The `source` tag of the checkpoints in the store.
pub const SOURCE_TAG: &str = "fashion-mnist-source";

/// How the checkpoints came about.
#[derive(Debug, Clone, PartialEq)]
pub struct PretrainedVit {
    /// Checkpoint steps with the source test accuracy at each.
    pub source_accuracy: BTreeMap<usize, f64>,
    /// Whether pre-training ran now (false: every checkpoint was reused).
    pub computed: bool,
    /// Wall seconds pre-training took now (0 when reused).
    pub seconds: f64,
}

/// Makes sure `store` holds a valid checkpoint at every scheduled step.
pub fn ensure_checkpoints<B: AutodiffBackend>(
    config: &VitExperimentConfig,
    source: &TaskData,
    source_test: &TaskData,
    store: &mut CheckpointStore,
    show_progress: bool,
    device: &B::Device,
) -> Result<PretrainedVit, ExperimentError> {
    let steps = config.checkpoint_steps();
    let mut needed = Vec::new();
    for &step in &steps {
        match store.get(step) {
            None => needed.push(step),
            Some(_) => {
                if let Err(error) = store.verify(step) {
                    eprintln!(
                        "warning: checkpoint at step {step} is damaged ({error}); recomputing it"
                    );
                    needed.push(step);
                }
            }
        }
    }
    let accuracy_of = |store: &CheckpointStore| -> BTreeMap<usize, f64> {
        steps
            .iter()
            .map(|&s| {
                (
                    s,
                    store
                        .get(s)
                        .and_then(|e| e.metrics.get("source_accuracy").copied())
                        .unwrap_or(f64::NAN),
                )
            })
            .collect()
    };
    let Some(&last) = needed.iter().max() else {
        if show_progress {
            eprintln!(
                "pre-training: reusing {} stored checkpoints in {}",
                steps.len(),
                store.dir().display()
            );
        }
        return Ok(PretrainedVit {
            source_accuracy: accuracy_of(store),
            computed: false,
            seconds: 0.0,
        });
    };
    let started = Instant::now();
    let p = &config.pretrain;
    B::seed(device, p.seed);
    let mut model: Vit<B> =
        config.model.with_classes(config.source.classes.len()).init::<B>(device)?.unfreeze();
    let mut optimizer = AdamConfig::new().init::<B, Vit<B>>();
    let mut sampler = BatchSampler::new(source.len(), p.batch, p.seed);
    let mut bar = EnsembleBar::new(show_progress, 0, 1, "pre-training", 1, last);
    let mut losses = Vec::new();
    let mut save =
        |model: &Vit<B>, step: usize, losses: &mut Vec<f64>| -> Result<(), ExperimentError> {
            if step > last {
                return Ok(());
            }
            let source_accuracy = accuracy(model, source_test, device);
            let train_loss = if losses.is_empty() {
                f64::NAN
            } else {
                losses.iter().sum::<f64>() / losses.len() as f64
            };
            losses.clear();
            let metrics = BTreeMap::from([
                ("source_accuracy".to_string(), source_accuracy),
                ("train_loss".to_string(), train_loss),
            ]);
            store.save(step, &module_tensors(model), metrics, SOURCE_TAG)?;
            Ok(())
        };
    if steps.contains(&0) {
        save(&model, 0, &mut losses)?;
    }
    for step in 1..=last {
        let batch = sampler.next_batch();
        let (next, loss) =
            train_step(model, &mut optimizer, p.learning_rate, source, &batch, device);
        model = next;
        losses.push(loss);
        if steps.contains(&step) {
            save(&model, step, &mut losses)?;
        }
        bar.update(EnsembleProgress { steps: step, finished_runs: 0, runs: 1 });
        check_interrupt()?;
    }
    let seconds = started.elapsed().as_secs_f64();
    bar.finish(&format!(
        "{last} steps, {} checkpoints",
        steps.iter().filter(|&&s| s <= last).count()
    ));
    Ok(PretrainedVit { source_accuracy: accuracy_of(store), computed: true, seconds })
}

/// The model stored at `step` (source head), built on `B`.
pub fn load_checkpoint<B: AutodiffBackend>(
    config: &VitExperimentConfig,
    store: &CheckpointStore,
    step: usize,
    device: &B::Device,
) -> Result<Vit<B>, ExperimentError> {
    let checkpoint = store.load(step)?;
    let model = config.model.with_classes(config.source.classes.len()).init::<B>(device)?;
    let origin =
        store.path_of(step).map_or_else(|| format!("step {step}"), |p| p.display().to_string());
    load_module_tensors(model, &checkpoint.tensors, &origin)
}
