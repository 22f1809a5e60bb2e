//! The step on inputs drawn in full, as burn tensor operations: the fallback of every backend.

use burn::tensor::backend::Backend;
use goldilocks_lora::LoraFactors;
use goldilocks_model::gaussian::Stream;
use goldilocks_model::gaussian_batch::{draw_inputs, with_label_noise};
use goldilocks_model::observables::order_parameter;

use crate::{EnsembleStep, StepOutput};

/// The step of [`crate::EnsembleKernels::drawn_lora_step`] in tensor operations.
///
/// With a batch of one, the gradient with respect to the effective weight is an outer
/// product per run, which matrix kernels compute slowly, so the step goes through the
/// pre-activations, h = x W0^T + s (x V^T) U^T, and updates V with a broadcast product,
/// never forming either weight. With a larger batch it forms the effective weight and its
/// gradient (R x K x N values each), which cost little beside the two products with the
/// batch.
pub fn generic_drawn_lora_step<B: Backend>(
    lora: &mut LoraFactors<B>,
    step: &EnsembleStep<'_, B>,
) -> StepOutput<B> {
    let n = step.teacher.dims()[2];
    let device = step.teacher.device();
    let inputs = draw_inputs::<B>(step.seeds, Stream::Data, step.step, step.batch, n, &device);
    let labels = with_label_noise(
        step.student.labels(&inputs, step.teacher),
        2,
        step.seeds,
        step.step,
        step.label_noise,
    );
    let loss = if step.batch == 1 {
        let projections = lora.project(&inputs);
        let preactivations = step.student.preactivations(&inputs, step.frozen)
            + lora.update_preactivations(&projections);
        let gradient = step.student.loss_and_preactivation_gradient(&preactivations, &labels);
        lora.sgd_step_from_preactivations(
            &inputs,
            &projections,
            &gradient.gradient,
            step.learning_rates,
        );
        gradient.loss
    } else {
        let weights = lora.effective_weight(step.frozen);
        let gradient = step.student.loss_and_gradient(&inputs, &weights, &labels);
        lora.sgd_step(&gradient.weight_gradient, step.learning_rates);
        gradient.loss
    };
    StepOutput { loss, order_parameter: order_parameter(lora, step.teacher) }
}
