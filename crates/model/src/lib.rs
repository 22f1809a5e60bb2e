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
//!
//! ```
//! use burn::backend::NdArray;
//! use burn::tensor::{Tensor, TensorData};
//! use goldilocks_model::{Activation, VitConfig};
//!
//! // An activation and its exact derivative, on the host and on tensors.
//! let relu = Activation::Relu;
//! assert_eq!((relu.value(-1.5), relu.value(2.0), relu.derivative(2.0)), (0.0, 2.0, 1.0));
//! let device = Default::default();
//! let x = Tensor::<NdArray, 1>::from_data(TensorData::from([-1.0f32, 0.5]), &device);
//! assert_eq!(relu.apply(x).into_data().to_vec::<f32>().unwrap(), [0.0, 0.5]);
//!
//! // A tiny ViT with 3 classes: logits [batch, 3] for 28 x 28 images.
//! let vit = VitConfig::tiny(3).init::<NdArray>(&device).unwrap();
//! assert_eq!(vit.classes(), 3);
//! assert_eq!(vit.forward(Tensor::zeros([2, 28, 28], &device)).dims(), [2, 3]);
//! ```

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

pub use activation::{Activation, ActivationPair, SquaredBase};
pub use error::ModelError;
pub use lower_factor::{LowerFactor, DEPENDENT_PIVOT};
pub use projected_inputs::ProjectedInputs;
pub use single_index::{PreactivationGradient, SingleIndexEnsemble, StudentGradient};
pub use vit::{Vit, VitConfig, VitShape};
pub use weight_source::FrozenWeightSource;
