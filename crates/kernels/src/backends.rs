//! Which implementation of each kernel every compiled backend runs.

#[cfg(any(feature = "flex", feature = "ndarray"))]
use crate::{fused_online_lora_step, OnlineStep, OnlineStepOutput};
#[allow(unused_imports)]
use crate::{EnsembleKernels, HostMemory};
#[cfg(any(feature = "flex", feature = "ndarray"))]
use goldilocks_lora::LoraFactors;

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
        fn online_lora_step(
            lora: &mut LoraFactors<Self>,
            step: &OnlineStep<'_, Self>,
        ) -> OnlineStepOutput<Self> {
            fused_online_lora_step(lora, step)
        }
    }
}

#[cfg(feature = "ndarray")]
mod ndarray {
    use super::*;
    use burn::backend::NdArray;

    impl HostMemory for NdArray {}

    impl EnsembleKernels for NdArray {
        fn online_lora_step(
            lora: &mut LoraFactors<Self>,
            step: &OnlineStep<'_, Self>,
        ) -> OnlineStepOutput<Self> {
            fused_online_lora_step(lora, step)
        }
    }
}

#[cfg(feature = "wgpu")]
impl EnsembleKernels for burn::backend::Wgpu {}

#[cfg(feature = "cuda")]
impl EnsembleKernels for burn::backend::Cuda {}

/// An autodiff backend runs the generic tensor code of its inner backend's operations.
impl<B: EnsembleKernels, C: burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy>
    EnsembleKernels for burn::backend::Autodiff<B, C>
{
}
