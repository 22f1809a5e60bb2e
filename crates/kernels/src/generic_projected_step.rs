//! The step on projected inputs, as burn tensor operations: the fallback of every backend.

use burn::tensor::backend::Backend;
use goldilocks_lora::LoraFactors;
use goldilocks_model::gaussian_batch::with_label_noise;
use goldilocks_model::observables::order_parameter;
use goldilocks_model::ProjectedInputs;

use crate::{EnsembleStep, StepOutput};

/// The step of [`crate::EnsembleKernels::projected_lora_step`] in tensor operations, with
/// every tensor that has a sample axis laid out [G, R, ., B] (runs first, samples last), so
/// that per-run factors broadcast as one scalar per row.
pub fn generic_projected_lora_step<B: Backend>(
    lora: &mut LoraFactors<B>,
    step: &EnsembleStep<'_, B>,
) -> StepOutput<B> {
    let fixed_rows = ProjectedInputs::fixed_rows(step.teacher, step.frozen);
    let inputs = ProjectedInputs::draw(step.seeds, step.step, step.batch, &fixed_rows, &lora.v);
    projected_lora_step_on(lora, step, &inputs)
}

/// The step of [`generic_projected_lora_step`] on the given projected batch `inputs` (drawn
/// for `lora`'s V and the step's fixed rows), whatever its draws.
pub fn projected_lora_step_on<B: Backend>(
    lora: &mut LoraFactors<B>,
    step: &EnsembleStep<'_, B>,
    inputs: &ProjectedInputs<B>,
) -> StepOutput<B> {
    let labels = with_label_noise(
        step.student.labels_by_run(&inputs.teacher_projections()),
        1,
        step.seeds,
        step.step,
        step.label_noise,
    );
    let projections = inputs.lora_projections();
    let preactivations =
        inputs.frozen_projections() + lora.update_preactivations_by_run(&projections);
    let (loss, gradient) =
        step.student.loss_and_preactivation_gradient_by_run(&preactivations, &labels);
    lora.sgd_step_by_run(&projections, &gradient, step.learning_rates, |weights| {
        inputs.input_sums(weights)
    });
    StepOutput { loss, order_parameter: order_parameter(lora, step.teacher) }
}
