//! LoRA adapters for raw weights and for burn models, compatible with PyTorch's PEFT.
//!
//! Two levels:
//!
//! - Raw weights, as the single-index experiment uses them: W = W0 + scaling * U V with
//!   U in R^{K x r}, V in R^{r x N}. [`LoraConfig`] carries rank, alpha, rsLoRA and the init
//!   mode; [`initial_factors`] draws one run's factors on the host (and
//!   [`gradient_aligned_factors`] aligns them with a gradient); [`LoraFactors`] holds the
//!   factors of an ensemble of runs as burn tensors and applies SGD through the chain rule.
//! - burn models: [`LoraLinear`] wraps `burn::nn::Linear` with a frozen base and an adapter;
//!   [`LoraModel`] lists a model's LoRA-capable layers by module path, so that
//!   [`apply_lora`] targets them by name as PEFT's `target_modules`;
//!   [`LoraAdapterConfig`] is PEFT's `LoraConfig`; [`save_adapter`] and [`load_adapter`]
//!   exchange adapters with PEFT (adapter_config.json + adapter_model.safetensors).
//!
//! Naming: U is PEFT's `lora_B` (out x r), V is PEFT's `lora_A` (r x in). In burn tensors the
//! layout is transposed, as burn's own `Linear` weight (`[in, out]`): see [`LoraLinear`].
//!
//! The guide with worked examples is docs/lora.md; its code blocks are compiled as doc
//! tests.

#![warn(missing_docs)]

mod adapter_config;
mod apply;
mod config;
mod error;
mod factors;
mod gradient_init;
mod init;
mod linear;
pub mod peft_files;
mod pytorch;
pub mod svd;

pub use adapter_config::{InitLoraWeights, LoraAdapterConfig, TargetMatcher, TargetModules};
pub use apply::{
    adapter_factors, apply_lora, apply_lora_with, load_adapter, merge_adapters, nested,
    save_adapter, trainable_parameters, unmerge_adapters, LoraModel, ParameterCount,
};
pub use config::{LoraConfig, LoraInit};
pub use error::{AdapterFileError, LoraError};
pub use factors::LoraFactors;
pub use gradient_init::gradient_aligned_factors;
pub use init::{initial_factors, InitialFactors};
pub use linear::{LoraAdapter, LoraLinear};
pub use pytorch::{linear_from_pytorch, linear_to_pytorch};

#[cfg(doctest)]
#[doc = include_str!("../../../docs/lora.md")]
mod guide {}
