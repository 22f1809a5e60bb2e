//! [`RequireGrad`]: freezing or unfreezing every weight of a burn module.

use burn::module::{ModuleMapper, Param};
use burn::tensor::{backend::Backend, Tensor};

/// Sets `require_grad` on every float parameter of the module it maps:
/// `model.map(&mut RequireGrad(false))` freezes a model (the base of LoRA fine-tuning),
/// `RequireGrad(true)` makes every weight trainable (pre-training, full fine-tuning). A
/// [`crate::LoraLinear`]'s base starts frozen, so a model built of them is pre-trained after
/// `RequireGrad(true)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequireGrad(pub bool);

impl<B: Backend> ModuleMapper<B> for RequireGrad {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        param.set_require_grad(self.0)
    }
}
