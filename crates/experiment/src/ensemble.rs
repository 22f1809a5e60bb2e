//! One ensemble of runs executed as a single batched tensor program.
//!
//! Tensors carry a group axis G (one per seed: the runs of a group share the seed's teacher,
//! inputs and test set) and a run axis R (one per variant). Every random quantity of a run is
//! drawn from an address made of its seed, so a run's trajectory does not depend on which
//! other runs share its ensemble.

use std::collections::BTreeSet;

use burn::tensor::{backend::Backend, Tensor, TensorData};
use goldilocks_analysis::escape_step;
use goldilocks_lora::{gradient_aligned_factors, initial_factors, InitialFactors, LoraConfig, LoraFactors, LoraInit};
use goldilocks_model::gaussian::{generator, standard_normal_rows, Stream};
use goldilocks_model::teacher::{norm, random_unit_orthogonal, teacher_rows, vector_at_overlap};
use goldilocks_model::SingleIndexEnsemble;

use crate::config::ExperimentConfig;
use crate::gaussian_batch::{draw_inputs, draw_noise};
use crate::plan::EnsemblePlan;
use crate::record::{GridRecord, RunRecord};
use crate::ExperimentError;

/// Steps between transfers of m_V to the host (and checks of the stopping rule).
const SYNC_EVERY: usize = 50;

/// Progress of a running ensemble, reported after every transfer.
#[derive(Debug, Clone, Copy)]
pub struct EnsembleProgress {
    /// Steps done.
    pub steps: usize,
    /// Runs that have finished (see the stopping rule).
    pub finished_runs: usize,
    /// Runs in the ensemble.
    pub runs: usize,
}

/// Frozen per-ensemble tensors.
struct Setup<B: Backend> {
    teacher: Tensor<B, 3>,
    frozen: Tensor<B, 4>,
    learning_rates: Tensor<B, 4>,
    test_inputs: Tensor<B, 3>,
    test_labels: Tensor<B, 3>,
}

/// Runs every run of `plan` and returns their records, group-major.
pub fn run_ensemble<B: Backend>(
    config: &ExperimentConfig,
    plan: &EnsemblePlan,
    device: &B::Device,
    progress: &mut dyn FnMut(EnsembleProgress),
) -> Result<Vec<RunRecord>, ExperimentError> {
    let model = &config.model;
    let (n, k, batch) = (model.input_dim, model.width, model.batch);
    let (groups, runs) = (plan.seeds.len(), plan.variants.len());
    let student = SingleIndexEnsemble::new(plan.variants.iter().map(|v| v.pair).collect(), k)?;
    let lora_config = LoraConfig { rank: plan.rank, alpha: config.lora.alpha, use_rslora: config.lora.use_rslora, init: config.lora.init };
    lora_config.validate(n)?;

    let teachers: Vec<Vec<Vec<f64>>> = plan.seeds.iter().map(|&seed| teacher_rows(seed, k, n)).collect();
    let setup = build_setup::<B>(config, plan, &student, &teachers, device);
    let mut factors = initial_lora(&lora_config, plan, &teachers, k, n);
    if config.lora.train_only_v {
        freeze_u_at_one(&mut factors);
    }
    if lora_config.init == LoraInit::Gradient {
        align_with_gradient(config, plan, &student, &setup, &lora_config, &mut factors, device)?;
    }
    let mut lora = LoraFactors::<B>::from_initial(&lora_config, &factors, groups, device)?;

    let max_steps = config.training.max_steps;
    let grid: BTreeSet<usize> = config.record.grid.steps(max_steps).into_iter().collect();
    let finish_levels: Vec<f64> = plan.variants.iter().map(|v| config.record.threshold.max(v.mu + config.record.band)).collect();
    let mut m_v: Vec<Vec<f32>> = vec![Vec::new(); groups * runs];
    let mut above: Vec<usize> = vec![0; groups * runs];
    let mut grids: Vec<GridRecord> = vec![GridRecord::default(); groups * runs];
    let mut pending: Vec<Tensor<B, 2>> = Vec::new();

    if grid.contains(&0) {
        let weights = lora.effective_weight(&setup.frozen);
        record_grid(&mut grids, 0, None, &setup, &student, &lora, &weights);
    }
    let mut step = 0;
    while step < max_steps {
        step += 1;
        let inputs = draw_inputs::<B>(&plan.seeds, Stream::Data, step, batch, n, device);
        let mut labels = student.labels(&inputs, &setup.teacher);
        if model.label_noise > 0.0 {
            labels = labels + draw_noise::<B>(&plan.seeds, step, batch, model.label_noise, device).expand([groups, batch, runs]);
        }
        let frozen_u = config.lora.train_only_v.then(|| lora.u.clone());
        let loss = sgd_step(&student, &mut lora, &setup, &inputs, &labels);
        if let Some(u) = frozen_u {
            lora.u = u;
        }
        pending.push(order_parameter(&lora, &setup.teacher));
        if grid.contains(&step) {
            let weights = lora.effective_weight(&setup.frozen);
            record_grid(&mut grids, step, Some(loss), &setup, &student, &lora, &weights);
        }
        if pending.len() == SYNC_EVERY || step == max_steps {
            let chunk = Tensor::stack::<3>(std::mem::take(&mut pending), 2).into_data().convert::<f32>().to_vec::<f32>().expect("m_V is float");
            let width = chunk.len() / (groups * runs);
            for (run, values) in chunk.chunks(width).enumerate() {
                let level = finish_levels[run % runs];
                for &value in values {
                    above[run] = if f64::from(value) >= level { above[run] + 1 } else { 0 };
                }
                m_v[run].extend_from_slice(values);
            }
            let finished_runs = above.iter().filter(|&&count| count >= config.training.settle_steps).count();
            progress(EnsembleProgress { steps: step, finished_runs, runs: groups * runs });
            if config.training.stop_when_finished && finished_runs == groups * runs {
                break;
            }
        }
    }
    Ok(assemble_records(config, plan, &lora_config, m_v, grids, step))
}

/// One SGD step of every run; returns the loss of each run on the batch ([G, R]).
///
/// Two exact routes, chosen by cost. With a batch of one, the gradient with respect to the
/// effective weight is an outer product per run, which matrix kernels compute slowly, so
/// the step goes through the pre-activations, h = x W0^T + s (x V^T) U^T, and updates V with
/// a broadcast product, never forming either weight. With larger batches, forming the
/// effective weight and its gradient (R x K x N values each) costs little beside the two
/// products with the batch, and saves a third.
fn sgd_step<B: Backend>(
    student: &SingleIndexEnsemble,
    lora: &mut LoraFactors<B>,
    setup: &Setup<B>,
    inputs: &Tensor<B, 3>,
    labels: &Tensor<B, 3>,
) -> Tensor<B, 2> {
    if inputs.dims()[1] == 1 {
        let projections = lora.project(inputs);
        let preactivations = student.preactivations(inputs, &setup.frozen) + lora.update_preactivations(&projections);
        let gradient = student.loss_and_preactivation_gradient(&preactivations, labels);
        lora.sgd_step_from_preactivations(inputs, &projections, &gradient.gradient, &setup.learning_rates);
        gradient.loss
    } else {
        let weights = lora.effective_weight(&setup.frozen);
        let gradient = student.loss_and_gradient(inputs, &weights, labels);
        lora.sgd_step(&gradient.weight_gradient, &setup.learning_rates);
        gradient.loss
    }
}

fn build_setup<B: Backend>(
    config: &ExperimentConfig,
    plan: &EnsemblePlan,
    student: &SingleIndexEnsemble,
    teachers: &[Vec<Vec<f64>>],
    device: &B::Device,
) -> Setup<B> {
    let model = &config.model;
    let (n, k) = (model.input_dim, model.width);
    let (groups, runs) = (plan.seeds.len(), plan.variants.len());
    let teacher_values: Vec<f32> = teachers.iter().flatten().flatten().map(|&x| x as f32).collect();
    let teacher = Tensor::<B, 3>::from_data(TensorData::new(teacher_values, [groups, k, n]), device);

    let mut frozen_values = Vec::with_capacity(groups * runs * k * n);
    for (g, &seed) in plan.seeds.iter().enumerate() {
        for variant in &plan.variants {
            let rows = model.source.frozen_rows(variant.mu, &teachers[g], seed);
            frozen_values.extend(rows.iter().flatten().map(|&x| x as f32));
        }
    }
    let frozen = Tensor::<B, 4>::from_data(TensorData::new(frozen_values, [groups, runs, k, n]), device);

    let rates: Vec<f32> = plan.variants.iter().map(|v| learning_rate(config, v.pair.student) as f32).collect();
    let learning_rates = Tensor::<B, 4>::from_data(TensorData::new(rates, [1, runs, 1, 1]), device);

    let test_size = model.test_size;
    let mut test_values = Vec::with_capacity(groups * test_size * n);
    for &seed in &plan.seeds {
        test_values.extend(standard_normal_rows(seed, Stream::Test, 0, test_size, n));
    }
    let test_inputs = Tensor::<B, 3>::from_data(TensorData::new(test_values, [groups, test_size, n]), device);
    let test_labels = student.labels(&test_inputs, &teacher);
    Setup { teacher, frozen, learning_rates, test_inputs, test_labels }
}

/// The learning rate of a run: the configured one, divided by k! * k for a Hermite student of degree k.
pub fn learning_rate(config: &ExperimentConfig, student: goldilocks_model::Activation) -> f64 {
    let divisor = if config.training.hermite_lr_rule { student.hermite_lr_divisor() } else { 1.0 };
    config.training.learning_rate / divisor
}

/// Initial factors of every run, group-major. They depend on the seed (and rank) only, so the
/// variants of a group start from the same V, as in the paper's runs.
fn initial_lora(config: &LoraConfig, plan: &EnsemblePlan, teachers: &[Vec<Vec<f64>>], k: usize, n: usize) -> Vec<InitialFactors> {
    let mut all = Vec::with_capacity(plan.run_count());
    for (g, &seed) in plan.seeds.iter().enumerate() {
        let mut rng = generator(seed, Stream::LoraInit, config.rank as u64, 0);
        let mut factors = initial_factors(config, k, n, &mut rng);
        if let Some(m0) = plan.start.initial_overlap {
            let target = &teachers[g][0];
            for (j, row) in factors.v.iter_mut().enumerate() {
                let length = norm(row);
                let orthogonal = random_unit_orthogonal(seed, Stream::InitialOverlap, j as u64, n, &teachers[g][..1]);
                *row = vector_at_overlap(target, m0, &orthogonal).into_iter().map(|x| x * length).collect();
            }
        }
        for _ in 0..plan.variants.len() {
            all.push(factors.clone());
        }
    }
    all
}

/// The "V only" mode: every entry of U is 1 (and stays there: the training loop restores it).
fn freeze_u_at_one(factors: &mut [InitialFactors]) {
    for run in factors {
        run.u.iter_mut().flatten().for_each(|x| *x = 1.0);
    }
}

/// The data-aware init: every run's V starts along the top singular directions of its loss
/// gradient with respect to the full weight at W0, on one batch (the data stream's index 0,
/// which training never uses: its steps count from 1).
fn align_with_gradient<B: Backend>(
    config: &ExperimentConfig,
    plan: &EnsemblePlan,
    student: &SingleIndexEnsemble,
    setup: &Setup<B>,
    lora_config: &LoraConfig,
    factors: &mut [InitialFactors],
    device: &B::Device,
) -> Result<(), ExperimentError> {
    let model = &config.model;
    let (n, k, batch, runs) = (model.input_dim, model.width, model.batch, plan.variants.len());
    let inputs = draw_inputs::<B>(&plan.seeds, Stream::Data, 0, batch, n, device);
    let mut labels = student.labels(&inputs, &setup.teacher);
    if model.label_noise > 0.0 {
        labels = labels + draw_noise::<B>(&plan.seeds, 0, batch, model.label_noise, device).expand([plan.seeds.len(), batch, runs]);
    }
    let gradient = to_f64(student.loss_and_gradient(&inputs, &setup.frozen, &labels).weight_gradient);
    for (run, run_factors) in factors.iter_mut().enumerate() {
        let rows: Vec<Vec<f64>> = gradient[run * k * n..(run + 1) * k * n].chunks(n).map(<[f64]>::to_vec).collect();
        let seed = plan.seeds[run / runs];
        let mut rng = generator(seed, Stream::LoraInit, lora_config.rank as u64, 1 + (run % runs) as u64);
        run_factors.v = gradient_aligned_factors(&rows, lora_config.rank, &mut rng)?.v;
    }
    Ok(())
}

/// |<V_j, T_k>| / |V_j| for the teacher rows T ([G, K, N]). Shape [G, R, r, K].
fn row_overlaps<B: Backend>(lora: &LoraFactors<B>, teacher: &Tensor<B, 3>) -> Tensor<B, 4> {
    let [groups, runs, rank, n] = lora.v.dims();
    let k = teacher.dims()[1];
    let products = lora.v.clone().reshape([groups, runs * rank, n]).matmul(teacher.clone().swap_dims(1, 2));
    (products.reshape([groups, runs, rank, k]) / lora.row_norms()).abs()
}

/// m_V = max over rows j and teacher rows k of |<V_j, T_k>| / |V_j|. Shape [G, R].
fn order_parameter<B: Backend>(lora: &LoraFactors<B>, teacher: &Tensor<B, 3>) -> Tensor<B, 2> {
    let [groups, runs, _, _] = lora.v.dims();
    row_overlaps(lora, teacher).max_dim(3).max_dim(2).reshape([groups, runs])
}

fn to_f64<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f64> {
    tensor.into_data().convert::<f64>().to_vec::<f64>().expect("float tensor")
}

#[allow(clippy::too_many_arguments)]
fn record_grid<B: Backend>(
    grids: &mut [GridRecord],
    step: usize,
    train_loss: Option<Tensor<B, 2>>,
    setup: &Setup<B>,
    student: &SingleIndexEnsemble,
    lora: &LoraFactors<B>,
    weights: &Tensor<B, 4>,
) {
    let [groups, runs, rank, _] = lora.v.dims();
    let test_loss = to_f64(student.loss(&setup.test_inputs, weights, &setup.test_labels));
    let train_loss = train_loss.map(to_f64);
    let rows = to_f64(row_overlaps(lora, &setup.teacher).max_dim(3).reshape([groups, runs, rank]));
    let u_norm = to_f64((lora.u.clone() * lora.u.clone()).sum_dim(3).sum_dim(2).sqrt().reshape([groups, runs]));
    let n = lora.v.dims()[3];
    let first_teacher_row = setup.teacher.clone().narrow(1, 0, 1).swap_dims(1, 2);
    let first_unit = |tensor: Tensor<B, 4>| {
        to_f64(tensor.narrow(2, 0, 1).reshape([groups, runs, n]).matmul(first_teacher_row.clone()).reshape([groups, runs]))
    };
    let along = first_unit(lora.delta());
    let overlap = first_unit(weights.clone());
    for (run, grid) in grids.iter_mut().enumerate() {
        grid.step.push(step);
        grid.test_loss.push(test_loss[run]);
        grid.train_loss.push(train_loss.as_ref().map(|loss| loss[run]));
        grid.m_v_rows.push(rows[run * rank..(run + 1) * rank].to_vec());
        grid.u_norm.push(u_norm[run]);
        grid.lora_along_teacher.push(along[run]);
        grid.student_overlap.push(overlap[run]);
    }
}

fn assemble_records(
    config: &ExperimentConfig,
    plan: &EnsemblePlan,
    lora_config: &LoraConfig,
    m_v: Vec<Vec<f32>>,
    grids: Vec<GridRecord>,
    steps_run: usize,
) -> Vec<RunRecord> {
    let runs = plan.variants.len();
    m_v.into_iter()
        .zip(grids)
        .enumerate()
        .map(|(index, (m_v, grid))| {
            let variant = plan.variants[index % runs];
            let curve: Vec<f64> = m_v.iter().map(|&x| f64::from(x)).collect();
            let escape = escape_step(&curve, config.record.threshold);
            RunRecord {
                activation: variant.pair.to_string(),
                teacher: variant.pair.teacher.to_string(),
                student: variant.pair.student.to_string(),
                mu: variant.mu,
                rank: lora_config.rank,
                start: plan.start.name.clone(),
                initial_overlap: plan.start.initial_overlap,
                seed: plan.seeds[index / runs],
                learning_rate: learning_rate(config, variant.pair.student),
                max_steps: config.training.max_steps,
                steps_run,
                escape_step: escape,
                censored: escape.is_none(),
                m_v,
                grid,
            }
        })
        .collect()
}
