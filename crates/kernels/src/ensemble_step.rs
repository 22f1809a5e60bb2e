//! What one SGD step of an ensemble reads and returns.

use burn::tensor::{backend::Backend, Tensor};
use goldilocks_model::SingleIndexEnsemble;

/// Everything one SGD step of an ensemble reads besides the LoRA factors it updates.
///
/// Inputs drawn in full ([`crate::EnsembleKernels::drawn_lora_step`]): sample b of group g
/// is row b of the address (`seeds[g]`, `Stream::Data`, `step`) of
/// `goldilocks_model::gaussian`. Projected inputs ([`crate::EnsembleKernels::projected_lora_step`]):
/// the addresses of `goldilocks_model::ProjectedInputs::draw`. The label noise of sample b
/// is column b of (`seeds[g]`, `Stream::LabelNoise`, `step`) times `label_noise`. The runs
/// of a group share their inputs and noise.
#[derive(Debug, Clone, Copy)]
pub struct EnsembleStep<'a, B: Backend> {
    /// The activation pair of each run of a group, and the readout width K.
    pub student: &'a SingleIndexEnsemble,
    /// The frozen weights W0. Shape [G, R, K, N].
    pub frozen: &'a Tensor<B, 4>,
    /// The teacher rows of each group. Shape [G, K, N].
    pub teacher: &'a Tensor<B, 3>,
    /// The learning rate of each run. Shape [1, R, 1, 1] or [G, R, 1, 1].
    pub learning_rates: &'a Tensor<B, 4>,
    /// The seed of each group (G entries).
    pub seeds: &'a [u64],
    /// The SGD step (1 for the first), the index of the input draws.
    pub step: usize,
    /// The batch size B (at least 1).
    pub batch: usize,
    /// The standard deviation of the label noise (0 for none).
    pub label_noise: f64,
}

/// What one ensemble step returns.
#[derive(Debug, Clone)]
pub struct StepOutput<B: Backend> {
    /// Each run's loss, the batch mean of (1/2)(y_hat - y)^2, before the update. [G, R].
    pub loss: Tensor<B, 2>,
    /// Each run's order parameter m_V after the update
    /// (`goldilocks_model::observables::order_parameter`). [G, R].
    pub order_parameter: Tensor<B, 2>,
}
