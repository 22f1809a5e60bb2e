//! Pre-training on the source task, with checkpoints at the configured steps in a
//! [`CheckpointStore`]. Stored checkpoints are reused; when one is missing or corrupted (the
//! warning names its file), pre-training reruns from scratch and rewrites the checkpoints
//! up to the last one needed, so that every checkpoint comes from one trajectory.
//!
//! Divergence is data: pre-training stops at the first step whose batch loss is non-finite
//! or above `pretrain.loss_bound`; that loss is the previous step's weights', so pre-training
//! diverged at the previous step. The checkpoints before it are kept and fine-tuned; the
//! step is written to `diverged.json` beside the store's manifest (with the store's config
//! hash), so that a rerun does not train again.

use std::collections::BTreeMap;
use std::time::Instant;

use burn::optim::AdamConfig;
use burn::tensor::backend::AutodiffBackend;
use goldilocks_model::Vit;
use goldilocks_schedule::LearningRateSchedule;
use goldilocks_store::CheckpointStore;
use serde::{Deserialize, Serialize};

use crate::divergence::loss_diverges;
use crate::interrupt::check_interrupt;
use crate::progress::EnsembleBar;
use crate::sweep::{module_tensors, optimizer_step, BatchSampler};
use crate::vit::task_data::TaskData;
use crate::vit::train::{batch_loss, evaluate};
use crate::vit::VitExperimentConfig;
use crate::{EnsembleProgress, ExperimentError};

/// The `source` tag of the checkpoints in the store.
pub const SOURCE_TAG: &str = "fashion-mnist";

/// The file that records where pre-training diverged.
const DIVERGED_FILE: &str = "diverged.json";

/// Where pre-training diverged, for the store of `config_hash`.
#[derive(Debug, Serialize, Deserialize)]
struct Divergence {
    config_hash: String,
    step: usize,
}

/// What pre-training had reached at a checkpoint (NaN where a store written before a
/// metric was recorded lacks it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceMetrics {
    /// Source test accuracy.
    pub accuracy: f64,
    /// Source test cross-entropy.
    pub loss: f64,
    /// Mean batch loss of the training steps since the previous checkpoint (NaN at step 0).
    pub train_loss: f64,
}

/// How the checkpoints came about.
#[derive(Debug, Clone, PartialEq)]
pub struct PretrainedVit {
    /// The step at which pre-training diverged and stopped, if it did.
    pub diverged_at: Option<usize>,
    /// The checkpoints there are (the scheduled ones, or those before the divergence), with
    /// the source metrics at each.
    pub source: BTreeMap<usize, SourceMetrics>,
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
    let marker = store.dir().join(DIVERGED_FILE);
    let recorded = std::fs::read(&marker)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Divergence>(&bytes).ok())
        .filter(|d| d.config_hash == store.config_hash())
        .map(|d| d.step);
    let before = |steps: Vec<usize>, diverged_at: Option<usize>| -> Vec<usize> {
        steps.into_iter().filter(|&s| diverged_at.is_none_or(|d| s < d)).collect()
    };
    let steps = before(config.checkpoint_steps(), recorded);
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
    let metrics_of = |store: &CheckpointStore, steps: &[usize]| -> BTreeMap<usize, SourceMetrics> {
        let metric = |step: usize, name: &str| {
            store.get(step).and_then(|e| e.metrics.get(name).copied()).unwrap_or(f64::NAN)
        };
        steps
            .iter()
            .map(|&s| {
                let metrics = SourceMetrics {
                    accuracy: metric(s, "source_accuracy"),
                    loss: metric(s, "source_loss"),
                    train_loss: metric(s, "train_loss"),
                };
                (s, metrics)
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
            source: metrics_of(store, &steps),
            diverged_at: recorded,
            computed: false,
            seconds: 0.0,
        });
    };
    let _ = std::fs::remove_file(&marker);
    let started = Instant::now();
    let p = &config.pretrain;
    let schedule = p
        .learning_rate
        .init()
        .map_err(|e| ExperimentError::invalid("pretrain.learning_rate", e.to_string()))?;
    B::seed(device, p.seed);
    let mut model: Vit<B> = source_model::<B>(config, device)?.unfreeze();
    let mut optimizer = AdamConfig::new().init::<B, Vit<B>>();
    let mut sampler = BatchSampler::new(source.len(), p.batch, p.seed);
    let mut bar = EnsembleBar::new(show_progress, 0, 1, "pre-training", 1, last);
    let mut losses = Vec::new();
    let mut save =
        |model: &Vit<B>, step: usize, losses: &mut Vec<f64>| -> Result<(), ExperimentError> {
            if step > last {
                return Ok(());
            }
            let source = evaluate(model, source_test, device);
            let train_loss = if losses.is_empty() {
                f64::NAN
            } else {
                losses.iter().sum::<f64>() / losses.len() as f64
            };
            losses.clear();
            let metrics = BTreeMap::from([
                ("source_accuracy".to_string(), source.accuracy),
                ("source_loss".to_string(), source.loss),
                ("train_loss".to_string(), train_loss),
            ]);
            store.save(step, &module_tensors(model), metrics, SOURCE_TAG)?;
            Ok(())
        };
    if steps.contains(&0) {
        save(&model, 0, &mut losses)?;
    }
    let mut diverged_at = None;
    for step in 1..=last {
        let batch = sampler.next_batch();
        let loss = batch_loss(&model, source, &batch, device);
        let (next, loss) = optimizer_step(model, &mut optimizer, schedule.lr(step), loss);
        model = next;
        if loss_diverges(loss, p.loss_bound) {
            // The loss is that of the weights after the previous step: they have diverged.
            let step = step - 1;
            store.remove(step)?;
            diverged_at = Some(step);
            let divergence = Divergence { config_hash: store.config_hash().to_string(), step };
            let bytes = serde_json::to_vec_pretty(&divergence).expect("serializes");
            goldilocks_store::write_atomic(&marker, &bytes)?;
            eprintln!("warning: pre-training diverged at step {step}; fine-tuning from the checkpoints before it");
            break;
        }
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
    let steps = before(steps, diverged_at);
    Ok(PretrainedVit { source: metrics_of(store, &steps), diverged_at, computed: true, seconds })
}

/// A fresh ViT as pre-training builds it: the configured shape with a head for the source
/// classes, drawn from burn's generator on `B`.
pub fn source_model<B: AutodiffBackend>(
    config: &VitExperimentConfig,
    device: &B::Device,
) -> Result<Vit<B>, ExperimentError> {
    Ok(config.model.with_classes(config.source.classes.len()).init::<B>(device)?)
}

/// The model stored at `step` (source head), built on `B`.
pub fn load_checkpoint<B: AutodiffBackend>(
    config: &VitExperimentConfig,
    store: &CheckpointStore,
    step: usize,
    device: &B::Device,
) -> Result<Vit<B>, ExperimentError> {
    crate::sweep::load_checkpoint(store, step, source_model::<B>(config, device)?)
}
