//! The CubeCL drawn-batch step on wgpu against the generic tensor step on ndarray, and the
//! kernels' Gaussian draws against the CPU's (`goldilocks_model::gaussian`).
//!
//! Runs on any wgpu adapter; on a machine without a GPU, Mesa's software Vulkan driver
//! (lavapipe, Debian's `mesa-vulkan-drivers`) serves.

#![cfg(feature = "wgpu")]

use burn::backend::{NdArray, Wgpu};
use burn::tensor::{backend::Backend, Tensor, TensorData};
use goldilocks_kernels::cube::standard_normal_rows as device_normal_rows;
use goldilocks_kernels::{generic_drawn_lora_step, EnsembleKernels, EnsembleStep};
use goldilocks_lora::{InitialFactors, LoraConfig, LoraFactors, LoraInit};
use goldilocks_model::gaussian::{standard_normal_rows, Stream};
use goldilocks_model::{Activation, ActivationPair, SingleIndexEnsemble, SquaredBase};

fn values<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f32> {
    tensor.into_data().convert::<f32>().to_vec::<f32>().unwrap()
}

fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max)
}

/// The kernels draw the CPU's numbers: rows of four addresses (one with an index above
/// 2^32, so that both counter words are used), 1000 columns and a row length that ends
/// inside a block, elementwise to 1e-5.
#[test]
fn device_draws_equal_the_cpu_draws() {
    let device = Default::default();
    let addresses = [
        (7u64, Stream::Data, 1u64),
        (8, Stream::Data, 12_345),
        (123_456_789, Stream::LabelNoise, 3),
        (2, Stream::Test, (5u64 << 32) + 9),
    ];
    let mut worst = 0.0f32;
    for (seed, stream, index) in addresses {
        for (rows, columns) in [(3, 1000), (2, 37)] {
            let cpu = standard_normal_rows(seed, stream, index, rows, columns);
            let gpu: Tensor<Wgpu, 2> =
                device_normal_rows(seed, stream, index, rows, columns, &device);
            let difference = largest_difference(&values(gpu), &cpu);
            assert!(difference < 1e-5, "{seed} {stream:?} {index}: {difference:e}");
            worst = worst.max(difference);
        }
    }
    println!("largest difference of a device draw from the CPU's: {worst:e}");
}

/// 10^6 draws of the kernels: mean, second, third and fourth moments within 4 standard
/// errors of the standard normal's (z-scores printed).
#[test]
fn device_draws_have_standard_moments() {
    let device = Default::default();
    let draws: Tensor<Wgpu, 2> = device_normal_rows(3, Stream::Data, 77, 1000, 1000, &device);
    let draws: Vec<f64> = values(draws).into_iter().map(f64::from).collect();
    let n = draws.len() as f64;
    let moment = |p: i32| draws.iter().map(|x| x.powi(p)).sum::<f64>() / n;
    // (name, sample moment, expected, Var[x^p]).
    let checks = [
        ("mean", moment(1), 0.0, 1.0),
        ("second moment", moment(2), 1.0, 2.0),
        ("third moment", moment(3), 0.0, 15.0),
        ("fourth moment", moment(4), 3.0, 96.0),
    ];
    for (name, value, expected, variance) in checks {
        let z = (value - expected) / (variance / n).sqrt();
        println!("{name}: {value:.5} (z = {z:.2})");
        assert!(z.abs() < 4.0, "{name} {value} (z = {z:.2})");
    }
}

/// One configuration of the step comparison.
#[derive(Debug, Clone)]
struct Case {
    batch: usize,
    k: usize,
    rank: usize,
    n: usize,
    /// The paper's init (scaling 1, rows of V renormalised) or Gaussian (scaling alpha / r,
    /// no renormalisation).
    init: LoraInit,
    label_noise: f64,
    /// Learning rates [G, R, 1, 1] rather than [1, R, 1, 1].
    rates_per_group: bool,
    /// How many times a group holds the eight pairs of [`pairs`] (R = 8 copies).
    copies: usize,
}

const GROUPS: usize = 2;
const STEPS: usize = 50;

/// The runs of a group: `copies` times eight pairs, a sign teacher with a tanh student,
/// relu, erf, a Hermite He3, a Hermite sum, sigmoid, a squared teacher with a square
/// student, linear.
fn pairs(copies: usize) -> Vec<ActivationPair> {
    let eight = [
        ActivationPair { teacher: Activation::Sign, student: Activation::Tanh },
        ActivationPair::matching(Activation::Relu),
        ActivationPair::matching(Activation::Erf),
        ActivationPair::matching(Activation::Hermite(3)),
        ActivationPair::matching(Activation::HermiteSum(1, 2)),
        ActivationPair::matching(Activation::Sigmoid),
        ActivationPair {
            teacher: Activation::SquareOf(SquaredBase::Relu),
            student: Activation::Square,
        },
        ActivationPair::matching(Activation::Linear),
    ];
    eight.repeat(copies)
}

fn tensor<B: Backend, const D: usize>(values: Vec<f32>, shape: [usize; D]) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(values, shape), &Default::default())
}

/// The fixed tensors and the factors of a case at its start, the same numbers on every
/// backend.
struct Start<B: Backend> {
    frozen: Tensor<B, 4>,
    teacher: Tensor<B, 3>,
    learning_rates: Tensor<B, 4>,
    lora: LoraFactors<B>,
}

fn start<B: Backend>(case: &Case) -> Start<B> {
    let (n, k, rank) = (case.n, case.k, case.rank);
    let runs = pairs(case.copies).len();
    let seed = 11;
    let unit_rows = |rows: Vec<f32>| -> Vec<f32> {
        rows.chunks(n)
            .flat_map(|row| {
                let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
                row.iter().map(move |x| x / norm).collect::<Vec<_>>()
            })
            .collect()
    };
    let teacher = unit_rows(standard_normal_rows(seed, Stream::Teacher, 0, GROUPS * k, n));
    let frozen: Vec<f32> =
        unit_rows(standard_normal_rows(seed, Stream::FrozenWeight, 0, GROUPS * runs * k, n))
            .into_iter()
            .map(|x| 0.6 * x)
            .collect();
    let config = LoraConfig {
        r: rank,
        lora_alpha: 2.0,
        use_rslora: false,
        init_lora_weights: case.init.clone(),
        ..LoraConfig::default()
    };
    let settings = config.factor_settings().unwrap();
    let factors: Vec<InitialFactors> = (0..GROUPS * runs)
        .map(|run| {
            let v = unit_rows(standard_normal_rows(seed, Stream::LoraInit, run as u64, rank, n));
            let u = standard_normal_rows(seed, Stream::LoraInit, 1000 + run as u64, k, rank);
            InitialFactors {
                u: u.chunks(rank)
                    .map(|row| row.iter().map(|&x| 0.3 * f64::from(x)).collect())
                    .collect(),
                v: v.chunks(n).map(|row| row.iter().map(|&x| f64::from(x)).collect()).collect(),
            }
        })
        .collect();
    // Hermite students take the Hermite rule's smaller rates (lr / (k! k)).
    let divisors: Vec<f32> =
        pairs(case.copies).iter().map(|pair| pair.student.hermite_lr_divisor() as f32).collect();
    // Rates of the online regime's order, a fraction of 1 / N.
    let rate = |i: usize| 0.3 * (1.0 + 0.25 * (i % 4) as f32) / (n as f32 * divisors[i % runs]);
    let learning_rates = if case.rates_per_group {
        let rates = (0..GROUPS * runs).map(|i| rate(i) * (1.0 + 0.5 * (i / runs) as f32)).collect();
        tensor(rates, [GROUPS, runs, 1, 1])
    } else {
        tensor((0..runs).map(rate).collect(), [1, runs, 1, 1])
    };
    Start {
        frozen: tensor(frozen, [GROUPS, runs, k, n]),
        teacher: tensor(teacher, [GROUPS, k, n]),
        learning_rates,
        lora: LoraFactors::from_initial(&settings, &factors, GROUPS, &Default::default()).unwrap(),
    }
}

/// m_V and the loss of every run at every step, and U and V at the start and the end.
struct Trajectory {
    order: Vec<f32>,
    loss: Vec<f32>,
    v_start: Vec<f32>,
    u: Vec<f32>,
    v: Vec<f32>,
}

fn trajectory<B: EnsembleKernels>(case: &Case, kernel: bool) -> Trajectory {
    let student = SingleIndexEnsemble::new(pairs(case.copies), case.k).unwrap();
    let Start { frozen, teacher, learning_rates, mut lora } = start::<B>(case);
    let v_start = values(lora.v.clone());
    let seeds: Vec<u64> = (0..GROUPS as u64).map(|g| 500 + 3 * g).collect();
    let (mut order, mut loss) = (Vec::new(), Vec::new());
    for step in 1..=STEPS {
        let drawn = EnsembleStep {
            student: &student,
            frozen: &frozen,
            teacher: &teacher,
            learning_rates: &learning_rates,
            seeds: &seeds,
            step,
            batch: case.batch,
            label_noise: case.label_noise,
        };
        let output = if kernel {
            B::drawn_lora_step(&mut lora, &drawn)
        } else {
            generic_drawn_lora_step(&mut lora, &drawn)
        };
        order.extend(values(output.order_parameter));
        loss.extend(values(output.loss));
    }
    Trajectory { order, loss, v_start, u: values(lora.u), v: values(lora.v) }
}

/// The largest |a - b| / max(1, |b|).
fn largest_relative_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(a, b)| (a - b).abs() / b.abs().max(1.0)).fold(0.0, f32::max)
}

/// 50 steps of the wgpu kernels follow 50 generic steps on ndarray from the same state, for
/// batch 1 and 16, K = 1 and 2, rank 1 and 2, with and without the rows' renormalisation and
/// label noise, rates per run or per run and group, eight activation pairs in every group,
/// N = 70 (a row ending inside a Philox block) and N = 1100 (more than one tile of columns),
/// batches of 3 and 20 (partial chunks of samples) and a group of 40 runs (80 rows of V):
/// m_V at every step and U and V at the end to 1e-5 (about 3e-7 measured on lavapipe), the
/// loss to 5e-5 relative (5e-6 measured; a residual is a difference of two larger numbers).
#[test]
fn the_kernel_step_follows_the_generic_step() {
    let mut cases = Vec::new();
    for batch in [1, 16] {
        for (k, rank) in [(1, 1), (2, 2), (1, 2), (2, 1)] {
            for paper in [true, false] {
                let init = if paper { LoraInit::Paper } else { LoraInit::Gaussian };
                let label_noise = if paper == (k == rank) { 0.1 } else { 0.0 };
                let rates_per_group = k != rank;
                cases.push(Case {
                    batch,
                    k,
                    rank,
                    n: 70,
                    init,
                    label_noise,
                    rates_per_group,
                    copies: 1,
                });
            }
        }
    }
    cases.push(Case {
        batch: 20,
        k: 2,
        rank: 2,
        n: 1100,
        init: LoraInit::Paper,
        label_noise: 0.1,
        rates_per_group: false,
        copies: 1,
    });
    cases.push(Case {
        batch: 3,
        k: 1,
        rank: 1,
        n: 1100,
        init: LoraInit::Gaussian,
        label_noise: 0.0,
        rates_per_group: true,
        copies: 1,
    });
    // 40 runs of rank 2: 80 rows of V, more than one block of rows in every kernel.
    cases.push(Case {
        batch: 5,
        k: 1,
        rank: 2,
        n: 300,
        init: LoraInit::Paper,
        label_noise: 0.1,
        rates_per_group: true,
        copies: 5,
    });
    let mut worst = [0.0f32; 4];
    for case in &cases {
        let kernel = trajectory::<Wgpu>(case, true);
        let generic = trajectory::<NdArray>(case, false);
        let order = largest_difference(&kernel.order, &generic.order);
        let u = largest_difference(&kernel.u, &generic.u);
        let v = largest_difference(&kernel.v, &generic.v);
        let loss = largest_relative_difference(&kernel.loss, &generic.loss);
        println!("{case:?}: m_V {order:.1e}, U {u:.1e}, V {v:.1e}, loss {loss:.1e}");
        assert!(order < 1e-5, "{case:?}: m_V differs by {order:e}");
        assert!(u < 1e-5 && v < 1e-5, "{case:?}: U differs by {u:e}, V by {v:e}");
        assert!(loss < 5e-5, "{case:?}: the loss differs by {loss:e} (relative)");
        // The runs learned: the comparison is over a moving state.
        let moved = largest_difference(&generic.v, &generic.v_start);
        assert!(moved > 1e-3, "{case:?}: V moved by {moved:e} only");
        for (worst, difference) in worst.iter_mut().zip([order, u, v, loss]) {
            *worst = worst.max(difference);
        }
    }
    let [order, u, v, loss] = worst;
    println!(
        "largest differences over {} cases: m_V {order:e}, U {u:e}, V {v:e}, loss {loss:e} \
         (relative)",
        cases.len()
    );
}

/// m_V of every run after 40 steps of batch 4 in which the square student (run 6 of each
/// group) learns at a rate far above its stable range and the others at 0.001.
fn order_after_divergence<B: EnsembleKernels>(kernel: bool) -> Vec<f32> {
    let case = Case {
        batch: 4,
        k: 1,
        rank: 1,
        n: 70,
        init: LoraInit::Paper,
        label_noise: 0.0,
        rates_per_group: false,
        copies: 1,
    };
    let student = SingleIndexEnsemble::new(pairs(case.copies), case.k).unwrap();
    let Start { frozen, teacher, mut lora, .. } = start::<B>(&case);
    let mut rates = vec![0.001f32; 8];
    rates[6] = 50.0;
    let learning_rates = tensor(rates, [1, 8, 1, 1]);
    let seeds = [1u64, 2];
    let mut order = Vec::new();
    for step in 1..=40 {
        let drawn = EnsembleStep {
            student: &student,
            frozen: &frozen,
            teacher: &teacher,
            learning_rates: &learning_rates,
            seeds: &seeds,
            step,
            batch: case.batch,
            label_noise: 0.0,
        };
        let output = if kernel {
            B::drawn_lora_step(&mut lora, &drawn)
        } else {
            generic_drawn_lora_step(&mut lora, &drawn)
        };
        order = values(output.order_parameter);
    }
    order
}

/// A run that diverges reports m_V = NaN from the kernels, as from the generic step (the
/// runner stops a run whose state is no longer finite), whatever the target does with NaN
/// in a maximum; the other runs of its group stay finite.
#[test]
fn a_diverging_run_reports_nan() {
    let kernel = order_after_divergence::<Wgpu>(true);
    let generic = order_after_divergence::<NdArray>(false);
    for (run, (k, g)) in kernel.iter().zip(&generic).enumerate() {
        assert_eq!(k.is_nan(), g.is_nan(), "run {run}: {k} from the kernels, {g} generic");
        assert_eq!(k.is_nan(), run % 8 == 6, "run {run}: {k}");
    }
}
