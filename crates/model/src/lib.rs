//! The single-index LoRA model of Goldilocks as burn tensor code.
//!
//! Everything here is generic over burn's [`Backend`](burn::tensor::backend::Backend):
//! activations with their exact derivatives ([`Activation`]), reproducible Gaussian data
//! ([`gaussian`]) and its batches as tensors ([`gaussian_batch`]), teachers ([`teacher`]), the
//! frozen pre-trained weight ([`FrozenWeightSource`]), the ensemble student with its
//! hand-derived gradient ([`SingleIndexEnsemble`]), a batch held as its projections on each
//! run's span ([`ProjectedInputs`], built on the batched Cholesky factor [`LowerFactor`]), the
//! overlaps of the LoRA factors with the teacher ([`observables`]) and a tiny Vision
//! Transformer with LoRA-capable linears ([`Vit`]).
//! Training loops and file I/O live elsewhere.

#![warn(missing_docs)]

mod activation;
mod error;
pub mod gaussian;
pub mod gaussian_batch;
mod lower_factor;
pub mod observables;
mod projected_inputs;
mod single_index;
pub mod teacher;
pub mod vit;
mod weight_source;

pub use activation::{Activation, ActivationPair};
pub use error::ModelError;
pub use lower_factor::LowerFactor;
pub use projected_inputs::ProjectedInputs;
pub use single_index::{PreactivationGradient, SingleIndexEnsemble, StudentGradient};
pub use vit::{Vit, VitConfig};
pub use weight_source::FrozenWeightSource;
