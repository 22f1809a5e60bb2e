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

use burn::tensor::{Int, Tensor, TensorData};
use goldilocks_kernels::{EnsembleKernels, EnsembleStep};
use goldilocks_lora::{LoraFactors, LoraInit};
use goldilocks_model::teacher::teacher_rows;
use goldilocks_model::SingleIndexEnsemble;

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
/// [`goldilocks_model::ProjectedInputs`]), by the backend's kernels; returns the loss of each
/// run on the batch and its m_V after the step (each [G, R]).
fn step_on_drawn_batch<B: EnsembleKernels>(
    sampling: InputSampling,
    student: &SingleIndexEnsemble,
    lora: &mut LoraFactors<B>,
    setup: &Setup<B>,
    seeds: &[u64],
    step: usize,
    model: &ModelConfig,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let ensemble_step = EnsembleStep {
        student,
        frozen: &setup.frozen,
        teacher: &setup.teacher,
        learning_rates: &setup.learning_rates,
        seeds,
        step,
        batch: model.batch,
        label_noise: model.label_noise,
    };
    let output = match sampling {
        InputSampling::Full => B::drawn_lora_step(lora, &ensemble_step),
        InputSampling::Projected => B::projected_lora_step(lora, &ensemble_step),
    };
    (output.loss, output.order_parameter)
}
