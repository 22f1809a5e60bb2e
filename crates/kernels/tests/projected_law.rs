//! A step on projected inputs has the law of a step on inputs drawn in full, through the
//! generic tensor code and through the fused host loop.

use burn::backend::NdArray;
use burn::tensor::{Tensor, TensorData};
use goldilocks_kernels::{
    fused_projected_lora_step, generic_drawn_lora_step, generic_projected_lora_step,
    projected_lora_step_on, EnsembleStep, HostMemory, StepOutput,
};
use goldilocks_lora::{InitialFactors, LoraConfig, LoraFactors, LoraInit};
use goldilocks_model::gaussian::{standard_normal_rows, Stream};
use goldilocks_model::teacher::norm;
use goldilocks_model::{Activation, ActivationPair, ProjectedInputs, SingleIndexEnsemble};

type B = NdArray;

const N: usize = 8;
const GROUPS: usize = 4000;
const BATCH: usize = 4;

fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(values, shape), &Default::default())
}

fn unit(values: [f64; N]) -> Vec<f64> {
    let length = norm(&values);
    values.iter().map(|x| x / length).collect()
}

/// An ensemble's fixed tensors: teacher [G, 1, N], frozen [G, 2, 1, N], rates [1, 2, 1, 1].
struct Fixed {
    student: SingleIndexEnsemble,
    teacher: Tensor<B, 3>,
    frozen: Tensor<B, 4>,
    learning_rates: Tensor<B, 4>,
    seeds: Vec<u64>,
}

/// Two runs per group: relu with a frozen row along the teacher (a dependent spanning
/// row), erf with an unrelated one; rank 2, batch 4; every group in the same state.
fn ensemble() -> (Fixed, LoraFactors<B>) {
    let pairs = [Activation::Relu, Activation::Erf].map(ActivationPair::matching);
    let student = SingleIndexEnsemble::new(pairs.to_vec(), 1).unwrap();
    let teacher = unit([1.0, 0.5, -0.3, 0.0, 0.2, 0.0, 0.1, -0.4]);
    let other = unit([0.0, 0.3, 0.8, -0.5, 0.0, 0.6, 0.0, 0.2]);
    let frozen_rows = [teacher.iter().map(|x| 0.3 * x).collect::<Vec<_>>(), other];
    let repeat = |rows: &[Vec<f64>]| -> Vec<f32> {
        (0..GROUPS).flat_map(|_| rows.iter().flatten().map(|&x| x as f32)).collect()
    };
    let fixed = Fixed {
        student,
        teacher: tensor(repeat(std::slice::from_ref(&teacher)), [GROUPS, 1, N]),
        frozen: tensor(repeat(&frozen_rows), [GROUPS, 2, 1, N]),
        learning_rates: tensor(vec![0.5, 0.8], [1, 2, 1, 1]),
        seeds: (0..GROUPS as u64).collect(),
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
    (fixed, lora)
}

/// How the test draws a step's inputs.
#[derive(Clone, Copy, Debug)]
enum Sampler {
    Full,
    Projected,
    FusedProjected,
    /// Projected inputs whose update lacks its part orthogonal to the span: a wrong law.
    ProjectedWithoutRemainder,
}

/// Every run's U and V after one step, and its loss: one row of 2 * 8 + 2 + 1 values per
/// (group, run).
fn one_step(sampler: Sampler) -> Vec<Vec<f64>> {
    let (fixed, mut lora) = ensemble();
    let step = EnsembleStep {
        student: &fixed.student,
        frozen: &fixed.frozen,
        teacher: &fixed.teacher,
        learning_rates: &fixed.learning_rates,
        seeds: &fixed.seeds,
        step: 1,
        batch: BATCH,
        label_noise: 0.1,
    };
    let StepOutput { loss, .. } = match sampler {
        Sampler::Full => generic_drawn_lora_step(&mut lora, &step),
        Sampler::Projected => generic_projected_lora_step(&mut lora, &step),
        Sampler::FusedProjected => fused_projected_lora_step(&mut lora, &step),
        Sampler::ProjectedWithoutRemainder => {
            let d = 2 + 2;
            let coordinates: Vec<f32> = fixed
                .seeds
                .iter()
                .flat_map(|&seed| standard_normal_rows(seed, Stream::SpanInputs, 1, 1, BATCH * d))
                .collect();
            let coordinates = tensor::<3>(coordinates, [GROUPS, BATCH, d]);
            let zero = Tensor::<B, 3>::zeros([GROUPS, 2, N], &Default::default());
            let fixed_rows = ProjectedInputs::fixed_rows(&fixed.teacher, &fixed.frozen);
            let inputs = ProjectedInputs::new(&fixed_rows, &lora.v, coordinates, zero);
            projected_lora_step_on(&mut lora, &step, &inputs)
        }
    };
    let (u, v, loss) = (B::into_host(lora.u), B::into_host(lora.v), B::into_host(loss));
    (0..2 * GROUPS)
        .map(|run| {
            [&v[run * 2 * N..(run + 1) * 2 * N], &u[run * 2..(run + 1) * 2], &loss[run..run + 1]]
                .concat()
                .into_iter()
                .map(f64::from)
                .collect()
        })
        .collect()
}

/// z-scores of the differences of the means and of the variances of every column.
fn moment_z_scores(a: &[Vec<f64>], b: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let moments = |rows: &[Vec<f64>], column: usize| {
        let n = rows.len() as f64;
        let mean = rows.iter().map(|row| row[column]).sum::<f64>() / n;
        let central = |p: i32| rows.iter().map(|row| (row[column] - mean).powi(p)).sum::<f64>() / n;
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
            let pick =
                |rows: &[Vec<f64>]| rows.iter().skip(run).step_by(2).cloned().collect::<Vec<_>>();
            let (mean_z, variance_z) = moment_z_scores(&pick(a), &pick(b));
            let largest = |z: Vec<f64>| z.into_iter().map(f64::abs).fold(0.0, f64::max);
            (largest(mean_z), largest(variance_z))
        })
        .collect()
}

/// Over 4000 groups in one state, the means and variances of every entry of the new U and V
/// and of the loss agree within 4.5 standard errors between a step on drawn inputs and one on
/// projected inputs, generic or fused, for both runs (one with a dependent frozen row); the
/// fused step draws the generic one's numbers, to float rounding.
#[test]
fn projected_steps_have_the_law_of_full_steps() {
    let full = one_step(Sampler::Full);
    let generic = one_step(Sampler::Projected);
    let fused = one_step(Sampler::FusedProjected);
    for (sampler, projected) in [(Sampler::Projected, &generic), (Sampler::FusedProjected, &fused)]
    {
        for (run, (mean_z, variance_z)) in
            largest_z_scores(&full, projected).into_iter().enumerate()
        {
            assert!(
                mean_z < 4.5 && variance_z < 4.5,
                "{sampler:?}, run {run}: largest mean z {mean_z:.2}, variance z {variance_z:.2}"
            );
        }
    }
    let largest_gap = generic
        .iter()
        .flatten()
        .zip(fused.iter().flatten())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(largest_gap < 1e-5, "the fused step differs from the generic by {largest_gap:e}");
    // The same comparison rejects a wrong law: without the orthogonal part of the update.
    for (run, (_, variance_z)) in
        largest_z_scores(&full, &one_step(Sampler::ProjectedWithoutRemainder))
            .into_iter()
            .enumerate()
    {
        assert!(variance_z > 10.0, "run {run}: largest variance z {variance_z:.2}");
    }
}
