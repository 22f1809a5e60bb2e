//! LoRA adapters for raw weights and for burn models, compatible with PyTorch's PEFT.
//!
//! One set of options, [`LoraConfig`], is PEFT's `LoraConfig` with PEFT's names (`r`,
//! `lora_alpha`, `use_rslora`, `init_lora_weights`, `target_modules`, `lora_dropout`, ...);
//! [`LoraInit`] is how the factors start, under this crate's names in configs and PEFT's JSON
//! values in adapter files. Two levels use it:
//!
//! - Raw weights, as the single-index experiment uses them: W = W0 + scaling * U V with
//!   U in R^{K x r}, V in R^{r x N}. [`LoraConfig::factor_settings`] gives what raw factors
//!   need ([`FactorSettings`]: rank, init, scaling, row renormalisation); [`initial_factors`]
//!   draws one run's factors on the host (and [`gradient_aligned_factors`] aligns them with a
//!   gradient); [`LoraFactors`] holds the factors of an ensemble of runs as burn tensors and
//!   applies SGD through the chain rule.
//! - burn models: [`LoraLinear`] wraps `burn::nn::Linear` with a frozen base and an adapter;
//!   [`LoraModel`] lists a model's LoRA-capable layers by module path, so that
//!   [`apply_lora`] targets them by name as PEFT's `target_modules`; [`save_adapter`] and
//!   [`load_adapter`] exchange adapters with PEFT (adapter_config.json +
//!   adapter_model.safetensors).
//!
//! Naming: U is PEFT's `lora_B` (out x r), V is PEFT's `lora_A` (r x in). In burn tensors the
//! layout is transposed, as burn's own `Linear` weight (`[in, out]`): see [`LoraLinear`].
//!
//! ```
//! use goldilocks_lora::{initial_factors, LoraConfig, LoraInit, TargetModules};
//! use rand::SeedableRng;
//!
//! // PEFT's LoraConfig(r=4, lora_alpha=8, init_lora_weights="gaussian", target_modules=["w"]).
//! let config = LoraConfig::new(4, 8.0, TargetModules::list(["w"])).with_init(LoraInit::Gaussian);
//! config.validate_for(16).unwrap();
//! assert_eq!(config.scaling(), 2.0);
//!
//! // Raw factors of one run: U (K x r) starts at 0, V (r x N) is Gaussian.
//! let settings = config.factor_settings().unwrap();
//! let factors = initial_factors(&settings, 1, 16, &mut rand::rngs::StdRng::seed_from_u64(0));
//! assert_eq!(factors.u, vec![vec![0.0; 4]]);
//! assert_eq!((factors.v.len(), factors.v[0].len()), (4, 16));
//! ```
//!
//! The guide with worked examples is docs/lora.md; its code blocks are compiled as doc
//! tests.

#![warn(missing_docs)]

mod apply;
mod config;
mod error;
mod factors;
mod gradient_init;
mod init;
mod linear;
pub mod peft_files;
mod pytorch;
mod require_grad;
mod state_dict;
pub mod svd;
mod target_modules;

pub use apply::{
    adapter_factors, apply_lora, apply_lora_with, load_adapter, merge_adapters, nested,
    save_adapter, trainable_parameters, unmerge_adapters, LoraModel, ParameterCount,
};
pub use config::{FactorSettings, LoraConfig, LoraInit};
pub use error::{AdapterFileError, LoraError};
pub use factors::LoraFactors;
pub use gradient_init::gradient_aligned_factors;
pub use init::{initial_factors, InitialFactors};
pub use linear::{LoraAdapter, LoraLinear};
pub use pytorch::{linear_from_pytorch, linear_to_pytorch};
pub use require_grad::RequireGrad;
pub use state_dict::{
    belongs_to_modules, load_pytorch_state_dict, pytorch_state_dict, LoadedStateDict,
};
pub use target_modules::{TargetMatcher, TargetModules};

#[cfg(doctest)]
#[doc = include_str!("../../../docs/lora.md")]
mod guide {}
