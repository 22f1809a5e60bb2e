//! The fused host steps against the generic tensor steps, on shared draws.

use burn::backend::{Flex, NdArray};
use burn::tensor::{backend::Backend, Tensor, TensorData};
use goldilocks_kernels::{
    fused_online_lora_step, fused_projected_lora_step, generic_drawn_lora_step,
    generic_projected_lora_step, EnsembleKernels, EnsembleStep, HostMemory, StepOutput,
};
use goldilocks_lora::{InitialFactors, LoraConfig, LoraFactors, LoraInit};
use goldilocks_model::gaussian::{standard_normal_rows, Stream};
use goldilocks_model::{Activation, ActivationPair, SingleIndexEnsemble};

const GROUPS: usize = 3;
const N: usize = 100;
const K: usize = 2;
const RANK: usize = 2;
const STEPS: usize = 300;

/// The pairs of a group's three runs: a sign teacher with a tanh student, relu and erf.
fn student() -> SingleIndexEnsemble {
    let pairs = vec![
        ActivationPair { teacher: Activation::Sign, student: Activation::Tanh },
        ActivationPair::matching(Activation::Relu),
        ActivationPair::matching(Activation::Erf),
    ];
    SingleIndexEnsemble::new(pairs, K).unwrap()
}

fn tensor<B: Backend, const D: usize>(values: Vec<f32>, shape: [usize; D]) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(values, shape), &Default::default())
}

/// An ensemble's fixed tensors and its LoRA factors at the start, drawn from `seed`.
struct Start<B: Backend> {
    frozen: Tensor<B, 4>,
    teacher: Tensor<B, 3>,
    learning_rates: Tensor<B, 4>,
    lora: LoraFactors<B>,
}

fn start<B: Backend>(init: LoraInit, seed: u64) -> Start<B> {
    let runs = student().runs_per_group();
    let unit_rows = |rows: Vec<f32>| -> Vec<f32> {
        rows.chunks(N)
            .flat_map(|row| {
                let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
                row.iter().map(move |x| x / norm).collect::<Vec<_>>()
            })
            .collect()
    };
    let teacher = unit_rows(standard_normal_rows(seed, Stream::Teacher, 0, GROUPS * K, N));
    let frozen: Vec<f32> =
        standard_normal_rows(seed, Stream::FrozenWeight, 0, GROUPS * runs * K, N)
            .into_iter()
            .map(|x| 0.05 * x)
            .collect();
    let config = LoraConfig {
        r: RANK,
        lora_alpha: 2.0,
        use_rslora: false,
        init_lora_weights: init,
        ..LoraConfig::default()
    };
    let settings = config.factor_settings().unwrap();
    let factors: Vec<InitialFactors> = (0..GROUPS * runs)
        .map(|run| {
            let v = standard_normal_rows(seed, Stream::LoraInit, run as u64, RANK, N);
            let u = standard_normal_rows(seed, Stream::LoraInit, 1000 + run as u64, K, RANK);
            InitialFactors {
                u: u.chunks(RANK)
                    .map(|row| row.iter().map(|&x| 0.3 * f64::from(x)).collect())
                    .collect(),
                v: v.chunks(N)
                    .map(|row| row.iter().map(|&x| f64::from(x) / 10.0).collect())
                    .collect(),
            }
        })
        .collect();
    Start {
        frozen: tensor(frozen, [GROUPS, runs, K, N]),
        teacher: tensor(teacher, [GROUPS, K, N]),
        learning_rates: tensor(vec![0.05, 0.08, 0.03], [1, runs, 1, 1]),
        lora: LoraFactors::from_initial(&settings, &factors, GROUPS, &Default::default()).unwrap(),
    }
}

/// m_V and the loss of every run at every step, and U and V at the end.
struct Trajectory {
    order: Vec<f32>,
    loss: Vec<f32>,
    u: Vec<f32>,
    v: Vec<f32>,
}

/// A step function of the kernels crate.
type StepFn<B> = fn(&mut LoraFactors<B>, &EnsembleStep<'_, B>) -> StepOutput<B>;

fn trajectory<B: HostMemory>(init: LoraInit, batch: usize, step_fn: StepFn<B>) -> Trajectory {
    let student = student();
    let Start { frozen, teacher, learning_rates, mut lora } = start::<B>(init, 7);
    let seeds: Vec<u64> = (0..GROUPS as u64).map(|g| 40 + g).collect();
    let (mut order, mut loss) = (Vec::new(), Vec::new());
    for step in 1..=STEPS {
        let online = EnsembleStep {
            student: &student,
            frozen: &frozen,
            teacher: &teacher,
            learning_rates: &learning_rates,
            seeds: &seeds,
            step,
            batch,
            label_noise: 0.1,
        };
        let output = step_fn(&mut lora, &online);
        order.extend(B::into_host(output.order_parameter));
        loss.extend(B::into_host(output.loss));
    }
    Trajectory { order, loss, u: B::into_host(lora.u), v: B::into_host(lora.v) }
}

fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max)
}

fn assert_agree(fused: &Trajectory, generic: &Trajectory, what: &str) {
    let order = largest_difference(&fused.order, &generic.order);
    assert!(order < 1e-6, "{what}: m_V differs by {order:e}");
    let loss = largest_difference(&fused.loss, &generic.loss);
    assert!(loss < 1e-5, "{what}: the loss differs by {loss:e}");
    let u = largest_difference(&fused.u, &generic.u);
    let v = largest_difference(&fused.v, &generic.v);
    assert!(u < 1e-5 && v < 1e-5, "{what}: U differs by {u:e}, V by {v:e}");
    // The runs learned: the comparison is over a moving trajectory.
    let first = &generic.order[..GROUPS * 3];
    let last = &generic.order[generic.order.len() - GROUPS * 3..];
    assert!(largest_difference(first, last) > 1e-2, "{what}: m_V did not move");
}

/// Over 300 steps of three activation pairs, K = 2 and rank 2, with label noise and per-run
/// learning rates, the fused step on ndarray follows the generic tensor step: m_V to 1e-6 at
/// every step (it moves from about 0.14 to 0.6), with and without the paper's row
/// renormalisation. The rates are of the online regime's order (a few / N); at rates near 1
/// the SGD map amplifies rounding by about 10x every 20 steps, and two backends' generic
/// steps part as far as the fused and generic steps do.
#[test]
fn the_fused_step_follows_the_generic_step_on_ndarray() {
    for init in [LoraInit::Paper, LoraInit::Gaussian] {
        let fused = trajectory::<NdArray>(init.clone(), 1, fused_online_lora_step);
        let generic = trajectory::<NdArray>(init.clone(), 1, generic_drawn_lora_step);
        assert_agree(&fused, &generic, &format!("ndarray, {init:?}"));
    }
}

/// flex's kernel (which reads the frozen rows and the teacher in place) follows its generic
/// step as ndarray's does.
#[test]
fn flex_runs_the_fused_step() {
    for init in [LoraInit::Paper, LoraInit::Gaussian] {
        let fused = trajectory::<Flex>(init.clone(), 1, <Flex as EnsembleKernels>::drawn_lora_step);
        let generic = trajectory::<Flex>(init.clone(), 1, generic_drawn_lora_step);
        assert_agree(&fused, &generic, &format!("flex, {init:?}"));
    }
}

/// The fused step on projected inputs follows the generic one over 300 steps of batch 16,
/// with the same pairs, K = 2, rank 2, label noise and per-run rates, with and without the
/// paper's row renormalisation, on ndarray and on flex (through its kernel table).
#[test]
fn the_fused_projected_step_follows_the_generic_step() {
    for init in [LoraInit::Paper, LoraInit::Gaussian] {
        let fused = trajectory::<NdArray>(init.clone(), 16, fused_projected_lora_step);
        let generic = trajectory::<NdArray>(init.clone(), 16, generic_projected_lora_step);
        assert_agree(&fused, &generic, &format!("ndarray, projected, {init:?}"));
        let fused =
            trajectory::<Flex>(init.clone(), 16, <Flex as EnsembleKernels>::projected_lora_step);
        let generic = trajectory::<Flex>(init.clone(), 16, generic_projected_lora_step);
        assert_agree(&fused, &generic, &format!("flex, projected, {init:?}"));
    }
}
