//! The records of an ensemble's runs: the quantities of the record grid, taken on the
//! device and moved to the host, and each run's [`RunRecord`] once training ends.

use burn::tensor::{backend::Backend, Tensor};
use goldilocks_analysis::escape_step;
use goldilocks_lora::{FactorSettings, LoraFactors};
use goldilocks_model::observables::{first_row_along_teacher, row_order_parameters, u_norms};
use goldilocks_model::SingleIndexEnsemble;

use crate::divergence::loss_diverges;
use crate::escape::ensemble_setup::{learning_rate, Setup};
use crate::escape::plan::EnsemblePlan;
use crate::escape::EscapeConfig;
use goldilocks_analysis::{GridRecord, RunRecord};

/// The values of a float tensor on the host, as f64, in row-major order.
pub(super) fn to_f64<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f64> {
    tensor.into_data().convert::<f64>().to_vec::<f64>().expect("float tensor")
}

/// Appends the grid quantities of step `step` to the grid records of the ensemble's runs,
/// `indices` naming each run's record (group-major, as the run axis is laid out); the
/// training loss is that of the step's batch, none at step 0. A run with a non-finite
/// quantity, or a loss above `loss_bound`, is marked diverged at `step`, and a diverged run
/// records nothing more.
#[allow(clippy::too_many_arguments)]
pub(super) fn record_grid<B: Backend>(
    grids: &mut [GridRecord],
    diverged_at: &mut [Option<usize>],
    indices: &[usize],
    step: usize,
    train_loss: Option<Tensor<B, 2>>,
    setup: &Setup<B>,
    student: &SingleIndexEnsemble,
    lora: &LoraFactors<B>,
    weights: &Tensor<B, 4>,
    loss_bound: Option<f64>,
) {
    let rank = lora.v.dims()[2];
    let test_loss = to_f64(student.loss(&setup.test_inputs, weights, &setup.test_labels));
    let train_loss = train_loss.map(to_f64);
    let rows = to_f64(row_order_parameters(lora, &setup.teacher));
    let u_norm = to_f64(u_norms(lora));
    let along = to_f64(first_row_along_teacher(lora.delta(), &setup.teacher));
    let overlap = to_f64(first_row_along_teacher(weights.clone(), &setup.teacher));
    for (run, &index) in indices.iter().enumerate() {
        if diverged_at[index].is_some() {
            continue;
        }
        let values = [u_norm[run], along[run], overlap[run]];
        let diverged = values.iter().any(|v| !v.is_finite())
            || loss_diverges(test_loss[run], loss_bound)
            || train_loss.as_ref().is_some_and(|loss| loss_diverges(loss[run], loss_bound))
            || rows[run * rank..(run + 1) * rank].iter().any(|v| !v.is_finite());
        if diverged {
            diverged_at[index] = Some(step);
            continue;
        }
        let grid = &mut grids[index];
        grid.step.push(step);
        grid.test_loss.push(test_loss[run]);
        grid.train_loss.push(train_loss.as_ref().map(|loss| loss[run]));
        grid.m_v_rows.push(rows[run * rank..(run + 1) * rank].to_vec());
        grid.u_norm.push(u_norm[run]);
        grid.lora_along_teacher.push(along[run]);
        grid.student_overlap.push(overlap[run]);
    }
}

/// The record of every run of `plan` (group-major) from its m_V curve, grid records, the
/// number of steps it ran and where it diverged.
pub(super) fn assemble_records(
    config: &EscapeConfig,
    plan: &EnsemblePlan,
    lora_config: &FactorSettings,
    m_v: Vec<Vec<f32>>,
    grids: Vec<GridRecord>,
    steps_run: Vec<usize>,
    diverged_at: Vec<Option<usize>>,
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
                activation: variant.label(),
                teacher: variant.pair.teacher.to_string(),
                student: variant.pair.student.to_string(),
                mu: variant.mu,
                rank: lora_config.rank(),
                start: plan.start.name.clone(),
                initial_overlap: plan.start.initial_overlap,
                seed: plan.seeds[index / runs],
                learning_rate: learning_rate(config, &variant),
                max_steps: config.training.max_steps,
                steps_run: steps_run[index],
                escape_step: escape,
                censored: escape.is_none() && diverged_at[index].is_none(),
                diverged_at: diverged_at[index],
                m_v,
                grid,
            }
        })
        .collect()
}
