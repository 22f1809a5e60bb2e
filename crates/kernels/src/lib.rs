//! The hot steps of the escape ensembles as a burn backend extension.
//!
//! [`EnsembleKernels`] is implemented by every backend the project compiles. Its methods
//! default to the generic tensor code, which runs on any backend; a backend overrides a
//! method with a fused implementation where burn's tensor operations cannot fuse the step.
//! flex and ndarray run the online (batch-1) LoRA step ([`fused_online_lora_step`]) and the
//! step on projected inputs ([`fused_projected_lora_step`]) as one loop per run over host
//! memory, reading and writing each run's V once per step.
//!
//! One online step of a single run (a tanh student of a sign teacher, rank 1, N = 16) on
//! ndarray, which runs the fused kernel, beside the generic tensor step:
//!
//! ```
//! use burn::backend::NdArray;
//! use burn::tensor::{Tensor, TensorData};
//! use goldilocks_kernels::{generic_drawn_lora_step, EnsembleKernels, EnsembleStep};
//! use goldilocks_lora::{InitialFactors, LoraConfig, LoraFactors};
//! use goldilocks_model::{Activation, ActivationPair, SingleIndexEnsemble};
//!
//! let device = Default::default();
//! let n = 16;
//! let pair = ActivationPair { teacher: Activation::Sign, student: Activation::Tanh };
//! let student = SingleIndexEnsemble::new(vec![pair], 1)?;
//! let settings = LoraConfig { r: 1, ..LoraConfig::default() }.factor_settings()?;
//! let start = InitialFactors { u: vec![vec![0.5]], v: vec![vec![0.25; n]] };
//! let lora = LoraFactors::<NdArray>::from_initial(&settings, &[start], 1, &device)?;
//! let mut first_axis = vec![0.0f32; n];
//! first_axis[0] = 1.0;
//! let teacher = Tensor::<NdArray, 3>::from_data(TensorData::new(first_axis, [1, 1, n]), &device);
//! let frozen = Tensor::<NdArray, 4>::zeros([1, 1, 1, n], &device);
//! let rates = Tensor::<NdArray, 4>::full([1, 1, 1, 1], 0.1, &device);
//! let step = EnsembleStep {
//!     student: &student,
//!     frozen: &frozen,
//!     teacher: &teacher,
//!     learning_rates: &rates,
//!     seeds: &[7],
//!     step: 1,
//!     batch: 1,
//!     label_noise: 0.0,
//! };
//! let (mut fused, mut generic) = (lora.clone(), lora);
//! let fused_m = NdArray::drawn_lora_step(&mut fused, &step).order_parameter.into_scalar();
//! let generic_m = generic_drawn_lora_step(&mut generic, &step).order_parameter.into_scalar();
//! assert!((fused_m - generic_m).abs() < 1e-6);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A backend of a user's own gets the generic code with one line,
//! `impl goldilocks_kernels::EnsembleKernels for MyBackend {}`.

#![warn(missing_docs)]

mod backends;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
pub mod cube;
mod ensemble_step;
mod fused_online_step;
mod fused_projected_step;
mod generic_drawn_step;
mod generic_projected_step;
mod host_ensemble;
mod host_loops;
mod host_memory;

pub use ensemble_step::{EnsembleStep, StepOutput};
pub use fused_online_step::fused_online_lora_step;
pub use fused_projected_step::fused_projected_lora_step;
pub use generic_drawn_step::generic_drawn_lora_step;
pub use generic_projected_step::{generic_projected_lora_step, projected_lora_step_on};
pub use host_memory::HostMemory;

use burn::tensor::backend::Backend;
use goldilocks_lora::LoraFactors;

/// The escape ensemble's hot steps, per backend; each method defaults to the generic tensor
/// code.
pub trait EnsembleKernels: Backend {
    /// One SGD step of every run of an ensemble on a batch of `step.batch` inputs drawn in
    /// full from the step's address: updates `lora` and returns each run's loss on the batch
    /// and its order parameter m_V after the step (see [`EnsembleStep`]).
    fn drawn_lora_step(
        lora: &mut LoraFactors<Self>,
        step: &EnsembleStep<'_, Self>,
    ) -> StepOutput<Self> {
        generic_drawn_lora_step(lora, step)
    }

    /// One SGD step of every run of an ensemble on a batch of projected inputs
    /// (`goldilocks_model::ProjectedInputs`): the same law as [`Self::drawn_lora_step`] at a
    /// cost of B x d + r x N draws per group instead of B x N.
    fn projected_lora_step(
        lora: &mut LoraFactors<Self>,
        step: &EnsembleStep<'_, Self>,
    ) -> StepOutput<Self> {
        generic_projected_lora_step(lora, step)
    }
}
