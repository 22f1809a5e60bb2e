//! Which implementation of each kernel every compiled backend runs.

#[cfg(any(feature = "flex", feature = "ndarray"))]
use crate::{
    fused_online_lora_step, fused_projected_lora_step, generic_drawn_lora_step, EnsembleStep,
    StepOutput,
};
#[allow(unused_imports)]
use crate::{EnsembleKernels, HostMemory};
#[cfg(any(feature = "flex", feature = "ndarray"))]
use goldilocks_lora::LoraFactors;

/// The drawn-input step of a CPU backend: fused for a batch of one; a larger batch goes
/// through the generic code, whose two products with the batch are matrix products that the
/// backends already run at speed.
#[cfg(any(feature = "flex", feature = "ndarray"))]
fn host_drawn_lora_step<B: HostMemory>(
    lora: &mut LoraFactors<B>,
    step: &EnsembleStep<'_, B>,
) -> StepOutput<B> {
    if step.batch == 1 {
        fused_online_lora_step(lora, step)
    } else {
        generic_drawn_lora_step(lora, step)
    }
}

#[cfg(feature = "flex")]
mod flex {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::Tensor;

    impl HostMemory for Flex {
        /// flex lends a contiguous buffer without copying it.
        fn read_host<const D: usize, R>(
            tensor: &Tensor<Self, D>,
            read: impl FnOnce(&[f32]) -> R,
        ) -> R {
            let primitive = tensor.clone().into_primitive().tensor();
            match primitive.as_slice::<f32>() {
                Some(values) => read(values),
                None => read(&Self::into_host(tensor.clone())),
            }
        }
    }

    impl EnsembleKernels for Flex {
        fn drawn_lora_step(
            lora: &mut LoraFactors<Self>,
            step: &EnsembleStep<'_, Self>,
        ) -> StepOutput<Self> {
            host_drawn_lora_step(lora, step)
        }

        fn projected_lora_step(
            lora: &mut LoraFactors<Self>,
            step: &EnsembleStep<'_, Self>,
        ) -> StepOutput<Self> {
            fused_projected_lora_step(lora, step)
        }
    }
}

#[cfg(feature = "ndarray")]
mod ndarray {
    use super::*;
    use burn::backend::NdArray;

    impl HostMemory for NdArray {}

    impl EnsembleKernels for NdArray {
        fn drawn_lora_step(
            lora: &mut LoraFactors<Self>,
            step: &EnsembleStep<'_, Self>,
        ) -> StepOutput<Self> {
            host_drawn_lora_step(lora, step)
        }

        fn projected_lora_step(
            lora: &mut LoraFactors<Self>,
            step: &EnsembleStep<'_, Self>,
        ) -> StepOutput<Self> {
            fused_projected_lora_step(lora, step)
        }
    }
}

/// wgpu (a plain `CubeBackend` in this workspace, which builds burn-wgpu without `fusion`)
/// runs the drawn-batch step as CubeCL kernels that draw the inputs in place.
#[cfg(feature = "wgpu")]
impl EnsembleKernels for burn::backend::Wgpu {
    fn drawn_lora_step(
        lora: &mut goldilocks_lora::LoraFactors<Self>,
        step: &crate::EnsembleStep<'_, Self>,
    ) -> crate::StepOutput<Self> {
        crate::cube::drawn_lora_step(lora, step)
    }
}

/// cuda (a plain `CubeBackend` here, built without `fusion`) runs the drawn-batch step as
/// CubeCL kernels that draw the inputs in place.
#[cfg(feature = "cuda")]
impl EnsembleKernels for burn::backend::Cuda {
    fn drawn_lora_step(
        lora: &mut goldilocks_lora::LoraFactors<Self>,
        step: &crate::EnsembleStep<'_, Self>,
    ) -> crate::StepOutput<Self> {
        crate::cube::drawn_lora_step(lora, step)
    }
}

/// An autodiff backend runs the generic tensor code of its inner backend's operations.
impl<B: EnsembleKernels, C: burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy>
    EnsembleKernels for burn::backend::Autodiff<B, C>
{
}
