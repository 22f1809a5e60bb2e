//! One ensemble of runs executed as a single batched tensor program.
//!
//! Tensors carry a group axis G (one per seed: the runs of a group share the seed's teacher,
//! inputs and test set) and a run axis R (one per variant). Every random quantity of a run is
//! drawn from an address made of its seed, so a run's trajectory does not depend on which
//! other runs share its ensemble. Under the stopping rule a variant leaves the tensors once
//! every seed's run of it has finished. A run whose state becomes non-finite (m_V, or a
//! quantity of the record grid), or whose loss at a grid step exceeds `training.loss_bound`,
//! is diverged: its records end there, it counts as finished, and the others go on (its
//! values stay in its own slice of the tensors). The tensors a run starts from are built in
//! `ensemble_setup.rs`, its records in `ensemble_records.rs`.

use std::collections::BTreeSet;

use burn::tensor::{backend::Backend, Int, Tensor, TensorData};
use goldilocks_kernels::{EnsembleKernels, OnlineStep};
use goldilocks_lora::{LoraFactors, LoraInit};
use goldilocks_model::gaussian::Stream;
use goldilocks_model::gaussian_batch::{draw_inputs, with_label_noise};
use goldilocks_model::observables::order_parameter;
use goldilocks_model::teacher::teacher_rows;
use goldilocks_model::{ProjectedInputs, SingleIndexEnsemble};

use crate::escape::ensemble_records::{assemble_records, record_grid};
pub use crate::escape::ensemble_setup::learning_rate;
use crate::escape::ensemble_setup::{
    align_with_gradient, build_setup, freeze_u_at_one, initial_lora, Setup,
};
use crate::escape::plan::EnsemblePlan;
use crate::escape::{EscapeConfig, InputSampling, ModelConfig};
use crate::interrupt::check_interrupt;
use crate::{EnsembleProgress, ExperimentError};
use goldilocks_analysis::{GridRecord, RunRecord};

/// Steps between transfers of m_V to the host (and checks of the stopping rule).
const SYNC_EVERY: usize = 50;

/// Runs every run of `plan` and returns their records, group-major.
pub fn run_ensemble<B: EnsembleKernels>(
    config: &EscapeConfig,
    plan: &EnsemblePlan,
    device: &B::Device,
    progress: &mut dyn FnMut(EnsembleProgress),
) -> Result<Vec<RunRecord>, ExperimentError> {
    let model = &config.model;
    let (n, k) = (model.input_dim, model.width);
    let (groups, runs) = (plan.seeds.len(), plan.variants.len());
    let mut student = SingleIndexEnsemble::new(plan.variants.iter().map(|v| v.pair).collect(), k)?;
    let options = config.lora.lora_config(plan.rank);
    options.validate_for(n)?;
    let lora_config = options.factor_settings()?;

    let teachers: Vec<Vec<Vec<f64>>> =
        plan.seeds.iter().map(|&seed| teacher_rows(seed, k, n)).collect();
    let mut setup = build_setup::<B>(config, plan, &student, &teachers, device);
    let mut factors = initial_lora(&lora_config, plan, &teachers, k, n);
    if config.lora.train_only_v {
        freeze_u_at_one(&mut factors);
    }
    if *lora_config.init() == LoraInit::Gradient {
        align_with_gradient(config, plan, &student, &setup, &lora_config, &mut factors, device)?;
    }
    let mut lora = LoraFactors::<B>::from_initial(&lora_config, &factors, groups, device)?;

    let max_steps = config.training.max_steps;
    let grid: BTreeSet<usize> = config.record.grid.steps(max_steps).into_iter().collect();
    let finish_levels: Vec<f64> = plan
        .variants
        .iter()
        .map(|v| config.record.threshold.max(v.mu + config.record.band))
        .collect();
    let mut m_v: Vec<Vec<f32>> = vec![Vec::new(); groups * runs];
    let mut above: Vec<usize> = vec![0; groups * runs];
    let mut steps_run: Vec<usize> = vec![0; groups * runs];
    // The step at which a run's state was first seen non-finite: it is stopped there.
    let mut diverged_at: Vec<Option<usize>> = vec![None; groups * runs];
    let mut grids: Vec<GridRecord> = vec![GridRecord::default(); groups * runs];
    let mut pending: Vec<Tensor<B, 2>> = Vec::new();
    // The variants still trained, as indices into plan.variants.
    let mut live: Vec<usize> = (0..runs).collect();
    let finished = |above: &[usize], diverged_at: &[Option<usize>], run: usize| {
        above[run] >= config.training.settle_steps || diverged_at[run].is_some()
    };

    if grid.contains(&0) {
        let weights = lora.effective_weight(&setup.frozen);
        record_grid(
            &mut grids,
            &mut diverged_at,
            &run_indices(groups, runs, &live),
            0,
            None,
            &setup,
            &student,
            &lora,
            &weights,
            config.training.loss_bound,
        );
    }
    let mut step = 0;
    while step < max_steps {
        step += 1;
        let frozen_u = config.lora.train_only_v.then(|| lora.u.clone());
        let (loss, order) = step_on_drawn_batch(
            config.training.inputs,
            &student,
            &mut lora,
            &setup,
            &plan.seeds,
            step,
            model,
        );
        if let Some(u) = frozen_u {
            lora.u = u;
        }
        pending.push(order);
        if grid.contains(&step) {
            let weights = lora.effective_weight(&setup.frozen);
            record_grid(
                &mut grids,
                &mut diverged_at,
                &run_indices(groups, runs, &live),
                step,
                Some(loss),
                &setup,
                &student,
                &lora,
                &weights,
                config.training.loss_bound,
            );
        }
        if pending.len() == SYNC_EVERY || step == max_steps {
            let chunk = Tensor::stack::<3>(std::mem::take(&mut pending), 2)
                .into_data()
                .convert::<f32>()
                .to_vec::<f32>()
                .expect("m_V is float");
            let indices = run_indices(groups, runs, &live);
            let width = chunk.len() / indices.len();
            let first_step = step + 1 - width;
            for (&run, values) in indices.iter().zip(chunk.chunks(width)) {
                let level = finish_levels[run % runs];
                for (offset, &value) in values.iter().enumerate() {
                    let at = first_step + offset;
                    if diverged_at[run].is_some_and(|d| at >= d) {
                        break;
                    }
                    if !value.is_finite() {
                        diverged_at[run] = Some(at);
                        break;
                    }
                    above[run] = if f64::from(value) >= level { above[run] + 1 } else { 0 };
                    m_v[run].push(value);
                }
                steps_run[run] = m_v[run].len();
            }
            let finished_runs =
                (0..groups * runs).filter(|&run| finished(&above, &diverged_at, run)).count();
            progress(EnsembleProgress { steps: step, finished_runs, runs: groups * runs });
            check_interrupt()?;
            if config.training.stop_when_finished {
                // A variant leaves the ensemble once every seed's run of it has finished, so the
                // curves of one variant keep a common length (the seed-mean curve needs them all).
                let still_running: Vec<usize> = live
                    .iter()
                    .copied()
                    .filter(|&variant| {
                        (0..groups).any(|g| !finished(&above, &diverged_at, g * runs + variant))
                    })
                    .collect();
                if still_running.is_empty() {
                    break;
                }
                if still_running.len() < live.len() {
                    let kept: Vec<usize> = still_running
                        .iter()
                        .map(|variant| {
                            live.iter().position(|v| v == variant).expect("a live variant")
                        })
                        .collect();
                    let kept = Tensor::<B, 1, Int>::from_data(
                        TensorData::new(
                            kept.iter().map(|&i| i as i64).collect::<Vec<_>>(),
                            [kept.len()],
                        ),
                        device,
                    );
                    setup = setup.select_runs(&kept);
                    lora.u = lora.u.clone().select(1, kept.clone());
                    lora.v = lora.v.clone().select(1, kept);
                    student = SingleIndexEnsemble::new(
                        still_running.iter().map(|&variant| plan.variants[variant].pair).collect(),
                        k,
                    )?;
                    live = still_running;
                }
            }
        }
    }
    Ok(assemble_records(config, plan, &lora_config, m_v, grids, steps_run, diverged_at))
}

/// The plan indices (group-major) of the runs of the live variants, in ensemble order.
fn run_indices(groups: usize, runs: usize, live: &[usize]) -> Vec<usize> {
    (0..groups).flat_map(|g| live.iter().map(move |&variant| g * runs + variant)).collect()
}

/// One SGD step of every run on the batch of step `step`, drawn in full or projected (see
/// [`ProjectedInputs`]); returns the loss of each run on the batch and its m_V after the
/// step (each [G, R]). A batch of one drawn in full is the backend's online kernel
/// ([`EnsembleKernels::online_lora_step`]).
fn step_on_drawn_batch<B: EnsembleKernels>(
    sampling: InputSampling,
    student: &SingleIndexEnsemble,
    lora: &mut LoraFactors<B>,
    setup: &Setup<B>,
    seeds: &[u64],
    step: usize,
    model: &ModelConfig,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let loss = match sampling {
        InputSampling::Full if model.batch == 1 => {
            let online = OnlineStep {
                student,
                frozen: &setup.frozen,
                teacher: &setup.teacher,
                learning_rates: &setup.learning_rates,
                seeds,
                step,
                label_noise: model.label_noise,
            };
            let output = B::online_lora_step(lora, &online);
            return (output.loss, output.order_parameter);
        }
        InputSampling::Full => {
            let device = setup.teacher.device();
            let inputs =
                draw_inputs::<B>(seeds, Stream::Data, step, model.batch, model.input_dim, &device);
            let labels = with_label_noise(
                student.labels(&inputs, &setup.teacher),
                2,
                seeds,
                step,
                model.label_noise,
            );
            sgd_step(student, lora, setup, &inputs, &labels)
        }
        InputSampling::Projected => {
            let fixed_rows = setup
                .fixed_span_rows
                .as_ref()
                .expect("the setup of projected inputs holds the fixed rows");
            let inputs = ProjectedInputs::draw(seeds, step, model.batch, fixed_rows, &lora.v);
            sgd_step_on_projected(student, lora, setup, &inputs, seeds, step, model)
        }
    };
    (loss, order_parameter(lora, &setup.teacher))
}

/// One SGD step of every run on the projected batch `inputs` of step `step`.
fn sgd_step_on_projected<B: Backend>(
    student: &SingleIndexEnsemble,
    lora: &mut LoraFactors<B>,
    setup: &Setup<B>,
    inputs: &ProjectedInputs<B>,
    seeds: &[u64],
    step: usize,
    model: &ModelConfig,
) -> Tensor<B, 2> {
    let labels = with_label_noise(
        student.labels_by_run(&inputs.teacher_projections()),
        1,
        seeds,
        step,
        model.label_noise,
    );
    let projections = inputs.lora_projections();
    let preactivations =
        inputs.frozen_projections() + lora.update_preactivations_by_run(&projections);
    let (loss, gradient) = student.loss_and_preactivation_gradient_by_run(&preactivations, &labels);
    lora.sgd_step_by_run(&projections, &gradient, &setup.learning_rates, |weights| {
        inputs.input_sums(weights)
    });
    loss
}

/// One SGD step of every run on a drawn batch larger than one; returns the loss of each run
/// on the batch ([G, R]). Forming the effective weight and its gradient (R x K x N values
/// each) costs little beside the two products with the batch.
fn sgd_step<B: Backend>(
    student: &SingleIndexEnsemble,
    lora: &mut LoraFactors<B>,
    setup: &Setup<B>,
    inputs: &Tensor<B, 3>,
    labels: &Tensor<B, 3>,
) -> Tensor<B, 2> {
    let weights = lora.effective_weight(&setup.frozen);
    let gradient = student.loss_and_gradient(inputs, &weights, labels);
    lora.sgd_step(&gradient.weight_gradient, &setup.learning_rates);
    gradient.loss
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escape::ensemble_records::to_f64;
    use burn::backend::NdArray;
    use goldilocks_lora::InitialFactors;
    use goldilocks_lora::LoraConfig;
    use goldilocks_model::gaussian::standard_normal_rows;
    use goldilocks_model::teacher::norm;
    use goldilocks_model::{Activation, ActivationPair};

    type B = NdArray;

    const N: usize = 8;
    const GROUPS: usize = 4000;

    fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> Tensor<B, D> {
        Tensor::from_data(TensorData::new(values, shape), &Default::default())
    }

    fn unit(values: [f64; N]) -> Vec<f64> {
        let length = norm(&values);
        values.iter().map(|x| x / length).collect()
    }

    /// Two runs per group: relu with a frozen row along the teacher (a dependent spanning
    /// row), erf with an unrelated one; rank 2, batch 4; every group in the same state.
    fn ensemble() -> (SingleIndexEnsemble, Setup<B>, LoraFactors<B>) {
        let pairs =
            [Activation::Relu, Activation::Erf].map(|a| ActivationPair { teacher: a, student: a });
        let student = SingleIndexEnsemble::new(pairs.to_vec(), 1).unwrap();
        let teacher = unit([1.0, 0.5, -0.3, 0.0, 0.2, 0.0, 0.1, -0.4]);
        let other = unit([0.0, 0.3, 0.8, -0.5, 0.0, 0.6, 0.0, 0.2]);
        let frozen_rows = [teacher.iter().map(|x| 0.3 * x).collect::<Vec<_>>(), other];
        let repeat = |rows: &[Vec<f64>]| -> Vec<f32> {
            (0..GROUPS).flat_map(|_| rows.iter().flatten().map(|&x| x as f32)).collect()
        };
        let setup = Setup {
            teacher: tensor(repeat(std::slice::from_ref(&teacher)), [GROUPS, 1, N]),
            frozen: tensor(repeat(&frozen_rows), [GROUPS, 2, 1, N]),
            learning_rates: tensor(vec![0.5, 0.8], [1, 2, 1, 1]),
            test_inputs: tensor(vec![0.0; N], [1, 1, N]),
            test_labels: tensor(vec![0.0; 2], [1, 1, 2]),
            fixed_span_rows: None,
        };
        let setup = Setup {
            fixed_span_rows: Some(ProjectedInputs::fixed_rows(&setup.teacher, &setup.frozen)),
            ..setup
        };
        let run = InitialFactors {
            u: vec![vec![0.7, -0.4]],
            v: vec![
                unit([0.2, -0.1, 0.4, 0.9, 0.0, -0.3, 0.5, 0.1]),
                unit([-0.6, 0.2, 0.0, 0.1, 0.7, 0.3, -0.2, 0.4]),
            ],
        };
        let config = LoraConfig {
            r: 2,
            lora_alpha: 2.0,
            use_rslora: false,
            init_lora_weights: LoraInit::Gaussian,
            ..LoraConfig::default()
        };
        let config = config.factor_settings().unwrap();
        let lora =
            LoraFactors::from_initial(&config, &vec![run; 2 * GROUPS], GROUPS, &Default::default())
                .unwrap();
        (student, setup, lora)
    }

    /// How the test draws a step's inputs.
    #[derive(Clone, Copy)]
    enum Sampler {
        Full,
        Projected,
        /// Projected inputs whose update lacks its part orthogonal to the span: a wrong law.
        ProjectedWithoutRemainder,
    }

    /// Every run's U and V after one step, and its loss: one row of 2 * 8 + 2 + 1 values per
    /// (group, run).
    fn one_step(sampler: Sampler) -> Vec<Vec<f64>> {
        let (student, setup, mut lora) = ensemble();
        let model = ModelConfig {
            input_dim: N,
            width: 1,
            batch: 4,
            test_size: 1,
            label_noise: 0.1,
            source: goldilocks_model::FrozenWeightSource::Aligned,
        };
        let seeds: Vec<u64> = (0..GROUPS as u64).collect();
        let loss = match sampler {
            Sampler::Full => {
                step_on_drawn_batch(
                    InputSampling::Full,
                    &student,
                    &mut lora,
                    &setup,
                    &seeds,
                    1,
                    &model,
                )
                .0
            }
            Sampler::Projected => {
                step_on_drawn_batch(
                    InputSampling::Projected,
                    &student,
                    &mut lora,
                    &setup,
                    &seeds,
                    1,
                    &model,
                )
                .0
            }
            Sampler::ProjectedWithoutRemainder => {
                let d = 2 + 2;
                let coordinates: Vec<f32> = seeds
                    .iter()
                    .flat_map(|&seed| standard_normal_rows(seed, Stream::SpanInputs, 1, 1, 4 * d))
                    .collect();
                let coordinates = tensor::<3>(coordinates, [GROUPS, 4, d]);
                let zero = Tensor::<B, 3>::zeros([GROUPS, 2, N], &Default::default());
                let inputs = ProjectedInputs::new(
                    setup.fixed_span_rows.as_ref().unwrap(),
                    &lora.v,
                    coordinates,
                    zero,
                );
                sgd_step_on_projected(&student, &mut lora, &setup, &inputs, &seeds, 1, &model)
            }
        };
        let (u, v, loss) = (to_f64(lora.u), to_f64(lora.v), to_f64(loss));
        (0..2 * GROUPS)
            .map(|run| {
                [
                    &v[run * 2 * N..(run + 1) * 2 * N],
                    &u[run * 2..(run + 1) * 2],
                    &loss[run..run + 1],
                ]
                .concat()
            })
            .collect()
    }

    /// z-scores of the differences of the means and of the variances of every column.
    fn moment_z_scores(a: &[Vec<f64>], b: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
        let moments = |rows: &[Vec<f64>], column: usize| {
            let n = rows.len() as f64;
            let mean = rows.iter().map(|row| row[column]).sum::<f64>() / n;
            let central =
                |p: i32| rows.iter().map(|row| (row[column] - mean).powi(p)).sum::<f64>() / n;
            let (variance, fourth) = (central(2), central(4));
            (mean, variance, variance / n, (fourth - variance * variance) / n)
        };
        (0..a[0].len())
            .map(|column| {
                let (mean_a, var_a, se_mean_a, se_var_a) = moments(a, column);
                let (mean_b, var_b, se_mean_b, se_var_b) = moments(b, column);
                (
                    (mean_a - mean_b) / (se_mean_a + se_mean_b).sqrt(),
                    (var_a - var_b) / (se_var_a + se_var_b).sqrt(),
                )
            })
            .unzip()
    }

    /// The largest |z| of the mean and of the variance comparisons over every column, per run.
    fn largest_z_scores(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<(f64, f64)> {
        (0..2)
            .map(|run| {
                let pick = |rows: &[Vec<f64>]| {
                    rows.iter().skip(run).step_by(2).cloned().collect::<Vec<_>>()
                };
                let (mean_z, variance_z) = moment_z_scores(&pick(a), &pick(b));
                let largest = |z: Vec<f64>| z.into_iter().map(f64::abs).fold(0.0, f64::max);
                (largest(mean_z), largest(variance_z))
            })
            .collect()
    }

    /// A step on projected inputs has the law of a step on drawn inputs: over 4000 groups in
    /// one state, the means and variances of every entry of the new U and V and of the loss
    /// agree within 4.5 standard errors, for both runs (one with a dependent frozen row).
    #[test]
    fn projected_steps_have_the_law_of_full_steps() {
        let full = one_step(Sampler::Full);
        for (run, (mean_z, variance_z)) in
            largest_z_scores(&full, &one_step(Sampler::Projected)).into_iter().enumerate()
        {
            assert!(
                mean_z < 4.5 && variance_z < 4.5,
                "run {run}: largest mean z {mean_z:.2}, variance z {variance_z:.2}"
            );
        }
        // The same comparison rejects a wrong law: without the orthogonal part of the update.
        for (run, (_, variance_z)) in
            largest_z_scores(&full, &one_step(Sampler::ProjectedWithoutRemainder))
                .into_iter()
                .enumerate()
        {
            assert!(variance_z > 10.0, "run {run}: largest variance z {variance_z:.2}");
        }
    }
}
