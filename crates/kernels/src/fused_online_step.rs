//! The online step fused into one loop per run over host memory.

use goldilocks_lora::LoraFactors;
use goldilocks_model::gaussian::{fill_standard_normal_row, Stream};
use goldilocks_model::Activation;

use crate::host_ensemble::{step_on_host, Group, Run};
use crate::host_loops::{dot, scale, subtract_scaled};
use crate::{EnsembleStep, HostMemory, StepOutput};

/// The online (batch-1) step of [`crate::EnsembleKernels::drawn_lora_step`] as one loop per
/// run, groups and runs in parallel, on a backend whose tensors live in host memory.
///
/// Each group draws its input into a buffer of N values held by the thread that runs the
/// group. Each run then computes its projections a = V x, pre-activations, loss and
/// gradient, updates U, and in one sweep over each row of V subtracts the update and
/// accumulates the row's norm and its inner products with the teacher rows (m_V): V is read
/// and written once per step, where the tensor route passes over V-sized data about eight
/// times. Numbers agree with [`crate::generic_drawn_lora_step`] to float rounding (sums run
/// in another order).
///
/// # Panics
/// If the step's batch is not 1.
pub fn fused_online_lora_step<B: HostMemory>(
    lora: &mut LoraFactors<B>,
    step: &EnsembleStep<'_, B>,
) -> StepOutput<B> {
    assert_eq!(step.batch, 1, "the fused online step takes a batch of one");
    let [groups, runs, rank, n] = lora.v.dims();
    let k = lora.u.dims()[2];
    let settings = RunSettings {
        pairs: step.student.pairs().iter().map(|p| (p.teacher, p.student)).collect(),
        scaling: lora.scaling() as f32,
        renormalize: lora.renormalizes_rows(),
        shape: Shape { rank, k, n },
    };
    let index = step.step as u64;
    // Below this much of V a step takes microseconds, and handing it to the thread pool would
    // cost as much again: small ensembles (a single run, say) step on the calling thread.
    let parallel = groups * runs * rank * n >= PARALLEL_ELEMENTS;
    // Each thread draws its groups' inputs into one buffer of its own.
    let buffer = || vec![0.0f32; n];
    step_on_host(lora, step, parallel, buffer, |x: &mut Vec<f32>, group: Group<'_>| {
        fill_standard_normal_row(x, group.seed, Stream::Data, index, 0);
        let noise = if step.label_noise > 0.0 {
            let mut draw = [0.0f32];
            fill_standard_normal_row(&mut draw, group.seed, Stream::LabelNoise, index, 0);
            draw[0] * step.label_noise as f32
        } else {
            0.0
        };
        let teacher = group.teacher;
        group.for_each_run(parallel, |run: Run<'_>| {
            let state = RunState {
                x,
                teacher,
                frozen: run.frozen,
                noise,
                rate: run.rate,
                pair: settings.pairs[run.index],
            };
            settings.step_run(&state, run.u, run.v)
        });
    })
}

/// The size of V (elements over every run) from which a step runs on the thread pool.
const PARALLEL_ELEMENTS: usize = 1 << 15;

/// The sizes of one run: rank r, K units, N inputs.
struct Shape {
    rank: usize,
    k: usize,
    n: usize,
}

/// What every run of the step shares.
struct RunSettings {
    /// (teacher, student) activation of each run of a group.
    pairs: Vec<(Activation, Activation)>,
    scaling: f32,
    renormalize: bool,
    shape: Shape,
}

/// What one run reads: its group's input and teacher, its frozen rows, its rate.
struct RunState<'a> {
    x: &'a [f32],
    teacher: &'a [f32],
    frozen: &'a [f32],
    noise: f32,
    rate: f32,
    pair: (Activation, Activation),
}

impl RunSettings {
    /// One SGD step of one run on its sample: updates U ([K, r]) and V ([r, N]) in place
    /// and returns the loss before the step and m_V after it.
    fn step_run(&self, run: &RunState<'_>, u: &mut [f32], v: &mut [f32]) -> (f32, f32) {
        let Shape { rank, k, n } = self.shape;
        let (phi, sigma) = run.pair;
        let x = run.x;
        let label =
            run.teacher.chunks_exact(n).map(|t| phi.value(f64::from(dot(t, x)))).sum::<f64>()
                / phi.readout_scale(k);
        let label = label as f32 + run.noise;
        let a: Vec<f32> = v.chunks_exact(n).map(|row| dot(row, x)).collect();
        let h: Vec<f32> = run
            .frozen
            .chunks_exact(n)
            .zip(u.chunks_exact(rank))
            .map(|(w0, u_row)| {
                let update: f32 = u_row.iter().zip(&a).map(|(u, a)| u * a).sum();
                dot(w0, x) + self.scaling * update
            })
            .collect();
        let readout = sigma.readout_scale(k);
        let prediction = h.iter().map(|&h| sigma.value(f64::from(h))).sum::<f64>() / readout;
        let residual = prediction as f32 - label;
        let loss = 0.5 * residual * residual;
        let c: Vec<f32> = h
            .iter()
            .map(|&h| residual * (sigma.derivative(f64::from(h)) / readout) as f32)
            .collect();
        let rate = run.rate * self.scaling;
        // The rows' coefficients e_i = rate * sum_k U[k, i] c_k use U before its update.
        let e: Vec<f32> = (0..rank)
            .map(|i| (0..k).map(|unit| u[unit * rank + i] * c[unit]).sum::<f32>() * rate)
            .collect();
        for (unit, u_row) in u.chunks_exact_mut(rank).enumerate() {
            for (u, &a) in u_row.iter_mut().zip(&a) {
                *u -= c[unit] * a * rate;
            }
        }
        let mut order = 0.0f32;
        for (row, &e) in v.chunks_exact_mut(n).zip(&e) {
            // The row stays in L1 between the update and the passes for its norm and overlaps.
            subtract_scaled(row, e, x);
            let norm = dot(row, row).sqrt();
            for t in run.teacher.chunks_exact(n) {
                order = order.max(dot(row, t).abs() / norm);
            }
            if self.renormalize {
                scale(row, 1.0 / norm);
            }
        }
        (loss, order)
    }
}
