//! Fine-tuning from every checkpoint of a source, as one batched tensor program per method.
//!
//! Groups are the fine-tuning seeds (each its own data stream and LoRA init); runs are the
//! checkpoints. All runs of a group see the same batches and start from the same LoRA
//! factors, so checkpoints are compared under common random numbers. The test loss on the
//! fixed test set is evaluated after every step; a run is done at the first step where it
//! is at or below the target loss, or diverged at the first step where that loss is
//! non-finite or above `finetuning.loss_bound` (it is stopped there; the others go on).

use std::collections::BTreeSet;

use burn::tensor::{backend::Backend, Tensor, TensorData};
use goldilocks_analysis::FinetuneRun;
use goldilocks_lora::{initial_factors, LoraFactors};
use goldilocks_model::gaussian::{generator, Stream};
use goldilocks_model::gaussian_batch::{draw_inputs, draw_noise};
use goldilocks_model::teacher::teacher_rows;
use goldilocks_model::{ActivationPair, SingleIndexEnsemble};
use serde::Serialize;

use crate::divergence::loss_diverges;
use crate::identity_hash::identity_hash;
use crate::interrupt::check_interrupt;
use crate::pretrain::pretraining::{row_tensor, test_inputs};
use crate::pretrain::{CheckpointWeight, PretrainConfig, SourceTask};
use crate::{EnsembleProgress, ExperimentError, FinetuneMethod};

/// Steps between transfers of the test losses to the host (and checks of the stopping rule).
const SYNC_EVERY: usize = 25;

/// A file-name key for the records of `method` from `checkpoints`:
/// `<source>-<method>-<hash>`, the hash of [`ensemble_hash`] cut to 12 digits.
pub fn ensemble_key(
    config: &PretrainConfig,
    source: &SourceTask,
    method: FinetuneMethod,
    checkpoints: &[CheckpointWeight],
) -> String {
    let hash = ensemble_hash(config, method, checkpoints);
    format!("{}-{}-{}", source.name(), method.name(), &hash[..12])
}

/// SHA-256 (hex) of everything that affects the records of `method` from `checkpoints`
/// (including the checkpoints' contents).
pub fn ensemble_hash(
    config: &PretrainConfig,
    method: FinetuneMethod,
    checkpoints: &[CheckpointWeight],
) -> String {
    #[derive(Serialize)]
    struct Identity<'a> {
        format: u32,
        model: &'a crate::pretrain::PretrainModelConfig,
        lora: &'a crate::escape::AdapterConfig,
        learning_rate: f64,
        seeds: Vec<u64>,
        max_steps: usize,
        target_loss: f64,
        grid: &'a goldilocks_schedule::StepSchedule,
        method: FinetuneMethod,
        checkpoints: Vec<(usize, &'a str)>,
        #[serde(skip_serializing_if = "Option::is_none")]
        loss_bound: Option<f64>,
    }
    let fine = &config.finetuning;
    let identity = Identity {
        format: 1,
        model: &config.model,
        lora: &fine.lora,
        learning_rate: config.finetuning.learning_rate_of(method),
        seeds: fine.seed_list(),
        max_steps: fine.max_steps,
        target_loss: fine.target_loss,
        grid: &fine.grid,
        method,
        checkpoints: checkpoints.iter().map(|c| (c.step, c.sha256.as_str())).collect(),
        loss_bound: fine.loss_bound,
    };
    identity_hash(&identity)
}

/// The weights being trained.
enum Trainable<B: Backend> {
    Lora(LoraFactors<B>),
    Full(Tensor<B, 4>),
}

/// Fine-tunes from every checkpoint with `method`, for every seed; records are seed-major.
pub fn finetune_from_checkpoints<B: Backend>(
    config: &PretrainConfig,
    source: &SourceTask,
    method: FinetuneMethod,
    checkpoints: &[CheckpointWeight],
    device: &B::Device,
    progress: &mut dyn FnMut(EnsembleProgress),
) -> Result<Vec<FinetuneRun>, ExperimentError> {
    let model = &config.model;
    let fine = &config.finetuning;
    let (n, batch) = (model.input_dim, model.batch);
    let seeds = fine.seed_list();
    let (groups, runs) = (seeds.len(), checkpoints.len());
    let pair = ActivationPair::matching(model.activation);
    let student = SingleIndexEnsemble::new(vec![pair; runs], 1)?;
    let test_student = SingleIndexEnsemble::new(vec![pair; groups * runs], 1)?;

    let target = teacher_rows(model.seed, 1, n).remove(0);
    let teacher = row_tensor::<B>(&target, device).repeat_dim(0, groups);
    let test_inputs = test_inputs::<B>(config, device);
    let test_labels = test_student.labels(&test_inputs, &row_tensor::<B>(&target, device));

    let frozen_values: Vec<f32> =
        checkpoints.iter().flat_map(|c| c.weight.iter().copied()).collect();
    let frozen = Tensor::<B, 4>::from_data(TensorData::new(frozen_values, [1, runs, 1, n]), device)
        .repeat_dim(0, groups);
    let learning_rate = config.finetuning.learning_rate_of(method);
    let mut trainable = match method {
        FinetuneMethod::Lora { rank } => {
            let options = fine.lora.lora_config(rank);
            options.validate_for(n)?;
            let lora_config = options.factor_settings()?;
            let mut factors = Vec::with_capacity(groups * runs);
            for &seed in &seeds {
                let mut rng = generator(seed, Stream::LoraInit, rank as u64, 0);
                let initial = initial_factors(&lora_config, 1, n, &mut rng);
                factors.extend(std::iter::repeat_n(initial, runs));
            }
            Trainable::Lora(LoraFactors::<B>::from_initial(&lora_config, &factors, groups, device)?)
        }
        FinetuneMethod::Full => Trainable::Full(frozen.clone()),
    };
    let rates = Tensor::<B, 4>::from_data(
        TensorData::new(vec![learning_rate as f32; runs], [1, runs, 1, 1]),
        device,
    );
    let weights_of = |trainable: &Trainable<B>| match trainable {
        Trainable::Lora(lora) => lora.effective_weight(&frozen),
        Trainable::Full(weight) => weight.clone(),
    };
    let test_loss = |weights: Tensor<B, 4>| {
        test_student.loss(&test_inputs, &weights.reshape([1, groups * runs, 1, n]), &test_labels)
    };

    let grid: BTreeSet<usize> = fine.grid.steps(fine.max_steps).into_iter().collect();
    let total = groups * runs;
    let mut reached: Vec<Option<usize>> = vec![None; total];
    let mut diverged_at: Vec<Option<usize>> = vec![None; total];
    let mut curves: Vec<(Vec<usize>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); total];
    // The effective weights after each step serve both its test loss and the next gradient.
    let mut weights = weights_of(&trainable);
    let mut pending: Vec<(usize, Tensor<B, 2>)> = vec![(0, test_loss(weights.clone()))];
    let mut step = 0;
    loop {
        if pending.len() >= SYNC_EVERY || step == fine.max_steps {
            let steps: Vec<usize> = pending.iter().map(|(s, _)| *s).collect();
            let losses: Vec<f64> =
                Tensor::cat(std::mem::take(&mut pending).into_iter().map(|(_, l)| l).collect(), 0)
                    .into_data()
                    .convert::<f64>()
                    .to_vec::<f64>()
                    .expect("float tensor");
            for (row, &at) in steps.iter().enumerate() {
                for run in 0..total {
                    let loss = losses[row * total + run];
                    if diverged_at[run].is_some() {
                        continue;
                    }
                    if reached[run].is_none() && loss_diverges(loss, fine.loss_bound) {
                        diverged_at[run] = Some(at);
                        continue;
                    }
                    if reached[run].is_none() && loss <= fine.target_loss {
                        reached[run] = Some(at);
                    }
                    // A run done at the target goes on with the others; its curve ends where
                    // its loss stops being finite.
                    if grid.contains(&at) && loss.is_finite() {
                        curves[run].0.push(at);
                        curves[run].1.push(loss);
                    }
                }
            }
            let finished_runs =
                (0..total).filter(|&r| reached[r].is_some() || diverged_at[r].is_some()).count();
            progress(EnsembleProgress { steps: step, finished_runs, runs: total });
            check_interrupt()?;
            if finished_runs == total || step == fine.max_steps {
                break;
            }
        }
        step += 1;
        let inputs = draw_inputs::<B>(&seeds, Stream::Data, step, batch, n, device);
        let mut labels = student.labels(&inputs, &teacher);
        if model.label_noise > 0.0 {
            labels = labels
                + draw_noise::<B>(&seeds, step, batch, model.label_noise, device)
                    .expand([groups, batch, runs]);
        }
        let gradient = student.loss_and_gradient(&inputs, &weights, &labels);
        match &mut trainable {
            Trainable::Lora(lora) => lora.sgd_step(&gradient.weight_gradient, &rates),
            Trainable::Full(weight) => {
                *weight = weight.clone() - gradient.weight_gradient.mul_scalar(learning_rate)
            }
        }
        weights = weights_of(&trainable);
        pending.push((step, test_loss(weights.clone())));
    }
    Ok((0..total)
        .map(|index| {
            let (curve_steps, curve_test_loss) = std::mem::take(&mut curves[index]);
            FinetuneRun {
                source: source.name(),
                method: method.name(),
                rank: method.rank(),
                checkpoint_step: checkpoints[index % runs].step,
                seed: seeds[index / runs],
                learning_rate,
                target_loss: fine.target_loss,
                max_steps: fine.max_steps,
                steps_run: step,
                steps_to_target: reached[index],
                censored: reached[index].is_none() && diverged_at[index].is_none(),
                diverged_at: diverged_at[index],
                curve_steps,
                curve_test_loss,
            }
        })
        .collect())
}
