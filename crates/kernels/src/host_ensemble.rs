//! The frame of a fused step over host memory: V and U taken out of their tensors, the
//! ensemble walked group by group and run by run (on the thread pool or on the calling
//! thread), and V, U, the losses and m_V put back into tensors.

use burn::tensor::Tensor;
use goldilocks_lora::LoraFactors;
use rayon::prelude::*;

use crate::{EnsembleStep, HostMemory, StepOutput};

/// One group of the ensemble: its index, its seed, its teacher rows (K x N) and its runs.
pub(crate) struct Group<'a> {
    /// The group's index in the ensemble.
    pub index: usize,
    /// The seed its draws are keyed by.
    pub seed: u64,
    /// Its teacher rows, K x N.
    pub teacher: &'a [f32],
    runs: GroupRuns<'a>,
}

/// The runs of one group: their V, U, frozen rows and outputs, and the step's rates.
struct GroupRuns<'a> {
    v: &'a mut [f32],
    u: &'a mut [f32],
    frozen: &'a [f32],
    loss: &'a mut [f32],
    order: &'a mut [f32],
    rates: &'a [f32],
    /// Runs per group, rank r, K units, N inputs.
    shape: [usize; 4],
}

/// One run: its index in its group, V (r x N), U (K x r), frozen rows (K x N) and rate.
pub(crate) struct Run<'a> {
    /// The run's index in its group.
    pub index: usize,
    /// Its LoRA factor V, r x N.
    pub v: &'a mut [f32],
    /// Its LoRA factor U, K x r.
    pub u: &'a mut [f32],
    /// Its frozen rows, K x N.
    pub frozen: &'a [f32],
    /// Its learning rate.
    pub rate: f32,
}

impl Group<'_> {
    /// Steps every run of the group (`step_run` returns the run's loss before the step and
    /// m_V after it), on the thread pool when `parallel`.
    pub fn for_each_run(self, parallel: bool, step_run: impl Fn(Run<'_>) -> (f32, f32) + Sync) {
        let GroupRuns { v, u, frozen, loss, order, rates, shape: [runs, rank, k, n] } = self.runs;
        let group = self.index;
        let run = |(j, (((v, u), frozen), (loss, order))): (usize, RunSlices<'_>)| {
            // One rate per run of a group, or one per run of the ensemble.
            let rate = if rates.len() == runs { rates[j] } else { rates[group * runs + j] };
            (*loss, *order) = step_run(Run { index: j, v, u, frozen, rate });
        };
        if parallel {
            v.par_chunks_mut(rank * n)
                .zip(u.par_chunks_mut(k * rank))
                .zip(frozen.par_chunks(k * n))
                .zip(loss.par_iter_mut().zip(order.par_iter_mut()))
                .enumerate()
                .for_each(run);
        } else {
            v.chunks_mut(rank * n)
                .zip(u.chunks_mut(k * rank))
                .zip(frozen.chunks(k * n))
                .zip(loss.iter_mut().zip(order.iter_mut()))
                .enumerate()
                .for_each(run);
        }
    }
}

/// One run's slices as the zipped iterators hand them out: ((V, U), frozen rows), (loss, m_V).
type RunSlices<'a> = (((&'a mut [f32], &'a mut [f32]), &'a [f32]), (&'a mut f32, &'a mut f32));

/// One group's slices as the zipped iterators hand them out: (((V, U), frozen rows),
/// (losses, m_V)), (teacher rows, seed).
type GroupSlices<'a> = (
    (((&'a mut [f32], &'a mut [f32]), &'a [f32]), (&'a mut [f32], &'a mut [f32])),
    (&'a [f32], &'a u64),
);

/// Runs one fused step over host memory: takes V and U out of `lora`, calls `step_group` on
/// every group (on the thread pool when `parallel`, each thread with its own state from
/// `init`), and puts V, U, the losses and m_V back into tensors.
pub(crate) fn step_on_host<B: HostMemory, S>(
    lora: &mut LoraFactors<B>,
    step: &EnsembleStep<'_, B>,
    parallel: bool,
    init: impl Fn() -> S + Sync + Send,
    step_group: impl Fn(&mut S, Group<'_>) + Sync + Send,
) -> StepOutput<B> {
    let device = lora.v.device();
    let [groups, runs, rank, n] = lora.v.dims();
    let k = lora.u.dims()[2];
    let placeholder = || Tensor::<B, 4>::zeros([1, 1, 1, 1], &device);
    let mut v = B::into_host(std::mem::replace(&mut lora.v, placeholder()));
    let mut u = B::into_host(std::mem::replace(&mut lora.u, placeholder()));
    let rates = B::read_host(step.learning_rates, <[f32]>::to_vec);
    let mut loss = vec![0.0f32; groups * runs];
    let mut order = vec![0.0f32; groups * runs];
    let shape = [runs, rank, k, n];
    B::read_host(step.teacher, |teacher| {
        B::read_host(step.frozen, |frozen| {
            let group = |state: &mut S,
                         (index, ((((v, u), frozen), (loss, order)), (teacher, &seed))): (
                usize,
                GroupSlices<'_>,
            )| {
                let runs = GroupRuns { v, u, frozen, loss, order, rates: &rates, shape };
                step_group(state, Group { index, seed, teacher, runs });
            };
            if parallel {
                v.par_chunks_mut(runs * rank * n)
                    .zip(u.par_chunks_mut(runs * k * rank))
                    .zip(frozen.par_chunks(runs * k * n))
                    .zip(loss.par_chunks_mut(runs).zip(order.par_chunks_mut(runs)))
                    .zip(teacher.par_chunks(k * n).zip(step.seeds))
                    .enumerate()
                    .for_each_init(&init, group);
            } else {
                let mut state = init();
                v.chunks_mut(runs * rank * n)
                    .zip(u.chunks_mut(runs * k * rank))
                    .zip(frozen.chunks(runs * k * n))
                    .zip(loss.chunks_mut(runs).zip(order.chunks_mut(runs)))
                    .zip(teacher.chunks(k * n).zip(step.seeds))
                    .enumerate()
                    .for_each(|item| group(&mut state, item));
            }
        })
    });

    lora.v = B::from_host(v, [groups, runs, rank, n], &device);
    lora.u = B::from_host(u, [groups, runs, k, rank], &device);
    StepOutput {
        loss: B::from_host(loss, [groups, runs], &device),
        order_parameter: B::from_host(order, [groups, runs], &device),
    }
}
