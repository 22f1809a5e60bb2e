//! One optimiser step of any burn model on a loss.

use burn::module::AutodiffModule;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};

/// Back-propagates `loss` through `model`, takes one step of `optimizer` at `learning_rate`,
/// and returns the model and the loss's value (before the step).
pub fn optimizer_step<B, M, O>(
    model: M,
    optimizer: &mut O,
    learning_rate: f64,
    loss: Tensor<B, 1>,
) -> (M, f64)
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    O: Optimizer<M, B>,
{
    let value = loss.clone().into_scalar().elem::<f64>();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    (optimizer.step(learning_rate, model, grads), value)
}
