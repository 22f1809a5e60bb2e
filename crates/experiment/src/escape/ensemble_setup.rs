//! The frozen tensors and the initial LoRA factors of one ensemble.
//!
//! Everything a run starts from is drawn from addresses made of its seed: the teacher, the
//! frozen weight of its pre-training strength, the test set, and its LoRA factors, with V
//! optionally set at the prescribed initial overlap m0 with the teacher or aligned with the
//! loss gradient at W0. The tensors carry the group axis G and the run axis R.

use burn::tensor::{backend::Backend, Int, Tensor, TensorData};
use goldilocks_lora::{gradient_aligned_factors, initial_factors, FactorSettings, InitialFactors};
use goldilocks_model::gaussian::{generator, standard_normal_rows, Stream};
use goldilocks_model::gaussian_batch::{draw_inputs, with_label_noise};
use goldilocks_model::teacher::{norm, random_unit_orthogonal, vector_at_overlap};
use goldilocks_model::SingleIndexEnsemble;

use crate::escape::ensemble_records::to_f64;
use crate::escape::plan::{EnsemblePlan, Variant};
use crate::escape::EscapeConfig;
use crate::ExperimentError;

/// Frozen per-ensemble tensors.
///
/// Shapes: teacher [G, K, N], frozen [G, R, K, N], learning_rates [1, R, 1, 1],
/// test_inputs [G, T, N] and test_labels [G, T, R] for T test samples.
pub(super) struct Setup<B: Backend> {
    pub(super) teacher: Tensor<B, 3>,
    pub(super) frozen: Tensor<B, 4>,
    pub(super) learning_rates: Tensor<B, 4>,
    pub(super) test_inputs: Tensor<B, 3>,
    pub(super) test_labels: Tensor<B, 3>,
}

impl<B: Backend> Setup<B> {
    /// The setup of the runs `kept` (indices along the run axis) of every group.
    pub(super) fn select_runs(self, kept: &Tensor<B, 1, Int>) -> Self {
        Self {
            teacher: self.teacher,
            frozen: self.frozen.select(1, kept.clone()),
            learning_rates: self.learning_rates.select(1, kept.clone()),
            test_inputs: self.test_inputs,
            test_labels: self.test_labels.select(2, kept.clone()),
        }
    }
}

/// The frozen tensors of `plan`, from the teacher rows of every seed (group-major).
pub(super) fn build_setup<B: Backend>(
    config: &EscapeConfig,
    plan: &EnsemblePlan,
    student: &SingleIndexEnsemble,
    teachers: &[Vec<Vec<f64>>],
    device: &B::Device,
) -> Setup<B> {
    let model = &config.model;
    let (n, k) = (model.input_dim, model.width);
    let (groups, runs) = (plan.seeds.len(), plan.variants.len());
    let teacher_values: Vec<f32> = teachers.iter().flatten().flatten().map(|&x| x as f32).collect();
    let teacher =
        Tensor::<B, 3>::from_data(TensorData::new(teacher_values, [groups, k, n]), device);

    let mut frozen_values = Vec::with_capacity(groups * runs * k * n);
    for (g, &seed) in plan.seeds.iter().enumerate() {
        for variant in &plan.variants {
            let rows = model.source.frozen_rows(variant.mu, &teachers[g], seed);
            frozen_values.extend(rows.iter().flatten().map(|&x| x as f32));
        }
    }
    let frozen =
        Tensor::<B, 4>::from_data(TensorData::new(frozen_values, [groups, runs, k, n]), device);

    let rates: Vec<f32> = plan.variants.iter().map(|v| learning_rate(config, v) as f32).collect();
    let learning_rates = Tensor::<B, 4>::from_data(TensorData::new(rates, [1, runs, 1, 1]), device);

    let test_size = model.test_size;
    let mut test_values = Vec::with_capacity(groups * test_size * n);
    for &seed in &plan.seeds {
        test_values.extend(standard_normal_rows(seed, Stream::Test, 0, test_size, n));
    }
    let test_inputs =
        Tensor::<B, 3>::from_data(TensorData::new(test_values, [groups, test_size, n]), device);
    let test_labels = student.labels(&test_inputs, &teacher);
    Setup { teacher, frozen, learning_rates, test_inputs, test_labels }
}

/// The learning rate of a variant's runs: its own rate or the configured one, divided by
/// k! * k for a Hermite student of degree k.
pub fn learning_rate(config: &EscapeConfig, variant: &Variant) -> f64 {
    let student = variant.pair.student;
    let divisor = if config.training.hermite_lr_rule { student.hermite_lr_divisor() } else { 1.0 };
    variant.base_learning_rate.unwrap_or(config.training.learning_rate) / divisor
}

/// Initial factors of every run, group-major. They depend on the seed (and rank) only, so the
/// variants of a group start from the same V, as in the paper's runs.
pub(super) fn initial_lora(
    config: &FactorSettings,
    plan: &EnsemblePlan,
    teachers: &[Vec<Vec<f64>>],
    k: usize,
    n: usize,
) -> Vec<InitialFactors> {
    let mut all = Vec::with_capacity(plan.run_count());
    for (g, &seed) in plan.seeds.iter().enumerate() {
        let mut rng = generator(seed, Stream::LoraInit, config.rank() as u64, 0);
        let mut factors = initial_factors(config, k, n, &mut rng);
        if let Some(m0) = plan.start.initial_overlap {
            let target = &teachers[g][0];
            for (j, row) in factors.v.iter_mut().enumerate() {
                let length = norm(row);
                let orthogonal = random_unit_orthogonal(
                    seed,
                    Stream::InitialOverlap,
                    j as u64,
                    n,
                    &teachers[g][..1],
                );
                *row = vector_at_overlap(target, m0, &orthogonal)
                    .into_iter()
                    .map(|x| x * length)
                    .collect();
            }
        }
        for _ in 0..plan.variants.len() {
            all.push(factors.clone());
        }
    }
    all
}

/// The "V only" mode: every entry of U is 1 (and stays there: the training loop restores it).
pub(super) fn freeze_u_at_one(factors: &mut [InitialFactors]) {
    for run in factors {
        run.u.iter_mut().flatten().for_each(|x| *x = 1.0);
    }
}

/// The data-aware init: every run's V starts along the top singular directions of its loss
/// gradient with respect to the full weight at W0, on one batch (the data stream's index 0,
/// which training never uses: its steps count from 1).
pub(super) fn align_with_gradient<B: Backend>(
    config: &EscapeConfig,
    plan: &EnsemblePlan,
    student: &SingleIndexEnsemble,
    setup: &Setup<B>,
    lora_config: &FactorSettings,
    factors: &mut [InitialFactors],
    device: &B::Device,
) -> Result<(), ExperimentError> {
    let model = &config.model;
    let (n, k, batch, runs) = (model.input_dim, model.width, model.batch, plan.variants.len());
    let inputs = draw_inputs::<B>(&plan.seeds, Stream::Data, 0, batch, n, device);
    let labels = with_label_noise(
        student.labels(&inputs, &setup.teacher),
        2,
        &plan.seeds,
        0,
        model.label_noise,
    );
    let gradient =
        to_f64(student.loss_and_gradient(&inputs, &setup.frozen, &labels).weight_gradient);
    for (run, run_factors) in factors.iter_mut().enumerate() {
        let rows: Vec<Vec<f64>> =
            gradient[run * k * n..(run + 1) * k * n].chunks(n).map(<[f64]>::to_vec).collect();
        let seed = plan.seeds[run / runs];
        let mut rng =
            generator(seed, Stream::LoraInit, lora_config.rank() as u64, 1 + (run % runs) as u64);
        run_factors.v = gradient_aligned_factors(&rows, lora_config.rank(), &mut rng)?.v;
    }
    Ok(())
}
