//! Pre-training of the full weight on one source task, with checkpoints saved to a
//! [`CheckpointStore`] on the configured schedule.
//!
//! Resumable: a rerun verifies the stored checkpoints (a damaged one is named in a warning
//! and dropped), continues from the latest intact checkpoint before the first missing one,
//! and saves only what is missing. Every random draw is addressed by (seed, stream, step) and
//! the learning rate is a function of the step, so a resumed run computes the same weights
//! as an uninterrupted one.
//!
//! Divergence is data: pre-training diverged at step s when the weights after step s are
//! non-finite, or their loss (the batch loss of step s + 1, or the source test loss at a
//! scheduled checkpoint) is non-finite or above `pretraining.loss_bound`. It stops there;
//! the checkpoints before s are kept and fine-tuned, and s is recorded with the completed
//! store so that a rerun does not train again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use burn::tensor::{backend::Backend, Tensor, TensorData};
use goldilocks_model::gaussian::Stream;
use goldilocks_model::gaussian_batch::{draw_inputs, draw_noise};
use goldilocks_model::teacher::{dot, norm, standard_unit_vector, teacher_rows};
use goldilocks_model::{ActivationPair, SingleIndexEnsemble};
use goldilocks_schedule::LearningRateSchedule;
use goldilocks_store::{CheckpointStore, NamedTensor};
use serde::{Deserialize, Serialize};

use crate::divergence::loss_diverges;
use crate::identity_hash::identity_hash;
use crate::interrupt::check_interrupt;
use crate::pretrain::{PretrainConfig, SourceTask};
use crate::progress::EnsembleBar;
use crate::{EnsembleProgress, ExperimentError};

/// Name of the weight tensor in every checkpoint file: shape [1, N].
pub const WEIGHT_TENSOR: &str = "weight";

/// Name of the target teacher w* in every checkpoint file, for readers that want overlaps:
/// shape [1, N].
pub const TEACHER_TENSOR: &str = "target_teacher";

/// File in a store's folder that marks pre-training (and retention) as complete.
const COMPLETE_FILE: &str = "complete.json";

/// Steps between progress reports.
const REPORT_EVERY: usize = 50;

/// A checkpoint as fine-tuning and the report see it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointWeight {
    /// Pre-training step.
    pub step: usize,
    /// The weight, length N.
    pub weight: Vec<f32>,
    /// The file's SHA-256, from the manifest.
    pub sha256: String,
    /// Metrics recorded with it: `overlap` <w, w*>, `norm` |w|, `source_test_loss`,
    /// `target_test_loss`.
    pub metrics: BTreeMap<String, f64>,
}

/// The kept checkpoints of one source, after pre-training.
#[derive(Debug, Clone)]
pub struct PretrainedSource {
    /// The source task.
    pub source: SourceTask,
    /// The store's folder.
    pub dir: PathBuf,
    /// Checkpoints, ascending by step.
    pub checkpoints: Vec<CheckpointWeight>,
    /// Pre-training steps computed now (0 when everything was stored).
    pub steps_computed: usize,
    /// Step pre-training resumed from, if it resumed from a stored checkpoint.
    pub resumed_from: Option<usize>,
    /// The step at which pre-training diverged and stopped, if it did.
    pub diverged_at: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Completion {
    steps: usize,
    kept: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    diverged_at: Option<usize>,
}

/// The config hash of one source's store: everything that determines its checkpoints.
pub fn store_hash(config: &PretrainConfig, source: &SourceTask) -> String {
    #[derive(Serialize)]
    struct Identity<'a> {
        format: u32,
        model: &'a crate::pretrain::PretrainModelConfig,
        source: &'a SourceTask,
        pretraining: &'a crate::pretrain::PretrainingConfig,
    }
    let mut pretraining = config.pretraining.clone();
    pretraining.sources.clear();
    let identity = Identity { format: 1, model: &config.model, source, pretraining: &pretraining };
    identity_hash(&identity)
}

/// The store folder of `source` under the experiment folder `dir`.
pub fn store_dir(config: &PretrainConfig, source: &SourceTask, dir: &Path) -> PathBuf {
    dir.join("checkpoints").join(format!("{}-{}", source.name(), &store_hash(config, source)[..12]))
}

/// Pre-trains on `source` (or reuses and completes what is stored) and returns the kept
/// checkpoints.
pub fn pretrain_source<B: Backend>(
    config: &PretrainConfig,
    source: &SourceTask,
    experiment_dir: &Path,
    show_progress: bool,
    device: &B::Device,
) -> Result<PretrainedSource, ExperimentError> {
    let dir = store_dir(config, source, experiment_dir);
    let hash = store_hash(config, source);
    if dir.is_dir() {
        goldilocks_store::remove_stale_temp_files(&dir)?;
    }
    let mut store = CheckpointStore::open(&dir, &hash)?;
    for (step, error) in store.verify_all() {
        eprintln!("warning: checkpoint at step {step} is damaged ({error}); recomputing it");
        store.remove(step)?;
        let _ = std::fs::remove_file(dir.join(COMPLETE_FILE));
    }
    let total = config.pretraining.steps;
    let complete = read_completion(&dir).filter(|c| c.steps == total && c.kept == store.steps());
    let (mut steps_computed, mut resumed_from) = (0, None);
    let mut diverged_at = complete.as_ref().and_then(|c| c.diverged_at);
    if complete.is_none() {
        let scheduled: BTreeSet<usize> =
            config.pretraining.checkpoints.steps(total).into_iter().collect();
        let stored: BTreeSet<usize> = store.steps().into_iter().collect();
        let missing: BTreeSet<usize> = scheduled.difference(&stored).copied().collect();
        if let Some(&first_missing) = missing.iter().next() {
            let start = stored.range(..first_missing).next_back().copied();
            resumed_from = start;
            let trained =
                train::<B>(config, source, &mut store, start, &missing, show_progress, device)?;
            steps_computed = trained.steps;
            diverged_at = trained.diverged_at;
        }
        store.apply_retention(&config.pretraining.retention)?;
        let completion = Completion { steps: total, kept: store.steps(), diverged_at };
        let bytes = serde_json::to_vec_pretty(&completion).expect("serializes");
        goldilocks_store::write_atomic(&dir.join(COMPLETE_FILE), &bytes)?;
    }
    let checkpoints = load_weights(&store, &dir)?;
    if let Some(step) = diverged_at {
        eprintln!(
            "warning: pre-training {} diverged at step {step}; fine-tuning from the {} \
             checkpoints before it",
            source.name(),
            checkpoints.len()
        );
    }
    Ok(PretrainedSource {
        source: *source,
        dir,
        checkpoints,
        steps_computed,
        resumed_from,
        diverged_at,
    })
}

/// The finished pre-training of `source` stored under the experiment (or shard) folder
/// `experiment_dir`, read without writing anything: None when it is missing or unfinished,
/// an error when a stored checkpoint is damaged.
pub fn load_pretrained(
    config: &PretrainConfig,
    source: &SourceTask,
    experiment_dir: &Path,
) -> Result<Option<PretrainedSource>, ExperimentError> {
    let dir = store_dir(config, source, experiment_dir);
    if !dir.join(goldilocks_store::MANIFEST_FILE).is_file() {
        return Ok(None);
    }
    let store = CheckpointStore::open(&dir, &store_hash(config, source))?;
    if let Some((step, error)) = store.verify_all().into_iter().next() {
        return Err(ExperimentError::Checkpoint {
            origin: format!("{} at step {step}", dir.display()),
            message: format!("is damaged: {error}"),
        });
    }
    let total = config.pretraining.steps;
    let Some(complete) =
        read_completion(&dir).filter(|c| c.steps == total && c.kept == store.steps())
    else {
        return Ok(None);
    };
    Ok(Some(PretrainedSource {
        source: *source,
        checkpoints: load_weights(&store, &dir)?,
        dir,
        steps_computed: 0,
        resumed_from: None,
        diverged_at: complete.diverged_at,
    }))
}

/// The weights of every checkpoint in `store` (folder `dir`), ascending by step.
fn load_weights(
    store: &CheckpointStore,
    dir: &Path,
) -> Result<Vec<CheckpointWeight>, ExperimentError> {
    let mut checkpoints = Vec::new();
    for entry in store.list() {
        let checkpoint = store.load(entry.step)?;
        let weight = checkpoint
            .tensor(WEIGHT_TENSOR)
            .ok_or_else(|| ExperimentError::Checkpoint {
                origin: dir.join(&entry.stored.file).display().to_string(),
                message: format!("has no tensor {WEIGHT_TENSOR:?}"),
            })?
            .data
            .clone();
        checkpoints.push(CheckpointWeight {
            step: entry.step,
            weight,
            sha256: entry.stored.sha256.clone(),
            metrics: entry.metrics.clone(),
        });
    }
    Ok(checkpoints)
}

fn read_completion(dir: &Path) -> Option<Completion> {
    let bytes = std::fs::read(dir.join(COMPLETE_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The tensors that pre-training and its checkpoint metrics need.
struct SourceSetup<B: Backend> {
    /// The pre-training student, with the source task's activation.
    student: SingleIndexEnsemble,
    /// The same weight read with the target's activation, for the target test loss.
    target_student: SingleIndexEnsemble,
    source_teacher: Tensor<B, 3>,
    target_teacher_row: Vec<f64>,
    test_inputs: Tensor<B, 3>,
    source_test_labels: Tensor<B, 3>,
    target_test_labels: Tensor<B, 3>,
}

impl<B: Backend> SourceSetup<B> {
    fn new(
        config: &PretrainConfig,
        source: &SourceTask,
        device: &B::Device,
    ) -> Result<Self, ExperimentError> {
        let model = &config.model;
        let n = model.input_dim;
        let student = SingleIndexEnsemble::new(
            vec![ActivationPair::matching(source.activation(model.activation))],
            1,
        )?;
        let target_student =
            SingleIndexEnsemble::new(vec![ActivationPair::matching(model.activation)], 1)?;
        let target = teacher_rows(model.seed, 1, n).remove(0);
        let source_row = source.teacher_direction(&target, model.seed);
        let source_teacher = row_tensor::<B>(&source_row, device);
        let target_teacher = row_tensor::<B>(&target, device);
        let test_inputs = test_inputs::<B>(config, device);
        let source_test_labels = source_labels(&student, source, &test_inputs, &source_teacher);
        let target_test_labels = target_student.labels(&test_inputs, &target_teacher);
        Ok(Self {
            student,
            target_student,
            source_teacher,
            target_teacher_row: target,
            test_inputs,
            source_test_labels,
            target_test_labels,
        })
    }

    fn metrics(&self, weight: &Tensor<B, 4>) -> BTreeMap<String, f64> {
        let host: Vec<f64> =
            weight.clone().into_data().convert::<f64>().to_vec::<f64>().expect("float tensor");
        let scalar = |t: Tensor<B, 2>| {
            t.into_data().convert::<f64>().to_vec::<f64>().expect("float tensor")[0]
        };
        BTreeMap::from([
            ("overlap".to_string(), dot(&host, &self.target_teacher_row)),
            ("norm".to_string(), norm(&host)),
            (
                "source_test_loss".to_string(),
                scalar(self.student.loss(&self.test_inputs, weight, &self.source_test_labels)),
            ),
            (
                "target_test_loss".to_string(),
                scalar(self.target_student.loss(
                    &self.test_inputs,
                    weight,
                    &self.target_test_labels,
                )),
            ),
        ])
    }
}

/// The fixed test set shared by pre-training metrics and fine-tuning: shape [1, T, N].
pub(crate) fn test_inputs<B: Backend>(config: &PretrainConfig, device: &B::Device) -> Tensor<B, 3> {
    let model = &config.model;
    draw_inputs::<B>(&[model.seed], Stream::Test, 0, model.test_size, model.input_dim, device)
}

/// A vector as a [1, 1, N] tensor.
pub(crate) fn row_tensor<B: Backend>(row: &[f64], device: &B::Device) -> Tensor<B, 3> {
    let values: Vec<f32> = row.iter().map(|&x| x as f32).collect();
    Tensor::from_data(TensorData::new(values, [1, 1, row.len()]), device)
}

fn source_labels<B: Backend>(
    student: &SingleIndexEnsemble,
    source: &SourceTask,
    inputs: &Tensor<B, 3>,
    teacher: &Tensor<B, 3>,
) -> Tensor<B, 3> {
    let labels = student.labels(inputs, teacher);
    if source.squares_labels() {
        labels.clone() * labels
    } else {
        labels
    }
}

/// What a call of [`train`] did.
struct Trained {
    /// Steps computed.
    steps: usize,
    /// The step at which training diverged and stopped.
    diverged_at: Option<usize>,
}

/// Runs SGD from `start` (a stored checkpoint, or the random initial weight) to the last
/// missing step, saving the missing checkpoints, or until it diverges.
fn train<B: Backend>(
    config: &PretrainConfig,
    source: &SourceTask,
    store: &mut CheckpointStore,
    start: Option<usize>,
    missing: &BTreeSet<usize>,
    show_progress: bool,
    device: &B::Device,
) -> Result<Trained, ExperimentError> {
    let dir = store.dir().to_path_buf();
    let bound = config.pretraining.loss_bound;
    let model = &config.model;
    let (n, batch) = (model.input_dim, model.batch);
    let setup = SourceSetup::<B>::new(config, source, device)?;
    let schedule = config
        .pretraining
        .learning_rate
        .init()
        .map_err(|e| ExperimentError::invalid("pretraining.learning_rate", e.to_string()))?;
    let (first_step, mut weight) = match start {
        Some(step) => {
            let checkpoint = store.load(step)?;
            let values =
                checkpoint.tensor(WEIGHT_TENSOR).map(|t| t.data.clone()).unwrap_or_default();
            if values.len() != n {
                let origin = dir.join(&checkpoint.entry.stored.file).display().to_string();
                return Err(ExperimentError::Checkpoint {
                    origin,
                    message: format!(
                        "tensor {WEIGHT_TENSOR:?} has {} values, expected {n}",
                        values.len()
                    ),
                });
            }
            (step, Tensor::<B, 4>::from_data(TensorData::new(values, [1, 1, 1, n]), device))
        }
        None => {
            let direction = standard_unit_vector(model.seed, Stream::PretrainingInit, 0, n);
            let values: Vec<f32> =
                direction.iter().map(|&x| (x * config.pretraining.init_norm) as f32).collect();
            (0, Tensor::<B, 4>::from_data(TensorData::new(values, [1, 1, 1, n]), device))
        }
    };
    if start.is_some() {
        eprintln!(
            "pre-training {}: resuming from the stored checkpoint at step {first_step}",
            source.name()
        );
    }
    let last = *missing.iter().next_back().expect("called with missing steps");
    let mut bar =
        EnsembleBar::new(show_progress, 0, 1, &format!("pre-training {}", source.name()), 1, last);
    // Saves the checkpoint at `step`; false, saving nothing, when the weight or its source
    // test loss has diverged.
    let save = |store: &mut CheckpointStore,
                step: usize,
                weight: &Tensor<B, 4>|
     -> Result<bool, ExperimentError> {
        let values: Vec<f32> =
            weight.clone().into_data().convert::<f32>().to_vec::<f32>().expect("float tensor");
        let metrics = setup.metrics(weight);
        if values.iter().any(|v| !v.is_finite())
            || loss_diverges(metrics["source_test_loss"], bound)
        {
            return Ok(false);
        }
        let tensor = NamedTensor::new(WEIGHT_TENSOR, vec![1, n], values)?;
        let teacher = NamedTensor::new(
            TEACHER_TENSOR,
            vec![1, n],
            setup.target_teacher_row.iter().map(|&x| x as f32).collect(),
        )?;
        store.save(step, &[tensor, teacher], metrics, &source.name())?;
        Ok(true)
    };
    let diverged =
        |step: usize| Trained { steps: step.saturating_sub(first_step), diverged_at: Some(step) };
    if first_step == 0 && missing.contains(&0) && !save(store, 0, &weight)? {
        return Ok(diverged(0));
    }
    for step in first_step + 1..=last {
        let inputs =
            draw_inputs::<B>(&[model.seed], Stream::PretrainingData, step, batch, n, device);
        let mut labels = source_labels(&setup.student, source, &inputs, &setup.source_teacher);
        if model.label_noise > 0.0 {
            labels =
                labels + draw_noise::<B>(&[model.seed], step, batch, model.label_noise, device);
        }
        let gradient = setup.student.loss_and_gradient(&inputs, &weight, &labels);
        let loss = gradient.loss.into_data().convert::<f64>().to_vec::<f64>().expect("float")[0];
        if loss_diverges(loss, bound) {
            // The loss is that of the weights after the previous step: they have diverged.
            store.remove(step - 1)?;
            bar.finish(&format!("diverged at step {}", step - 1));
            return Ok(diverged(step - 1));
        }
        weight = weight - gradient.weight_gradient.mul_scalar(schedule.lr(step));
        if missing.contains(&step) && !save(store, step, &weight)? {
            bar.finish(&format!("diverged at step {step}"));
            return Ok(diverged(step));
        }
        if step % REPORT_EVERY == 0 || step == last {
            bar.update(EnsembleProgress { steps: step, finished_runs: 0, runs: 1 });
            check_interrupt()?;
        }
    }
    bar.finish(&format!("{} steps, {} checkpoints saved", last - first_step, missing.len()));
    Ok(Trained { steps: last - first_step, diverged_at: None })
}
