//! LoRA adapters for raw weights: W = W0 + scaling * U V with U in R^{K x r}, V in R^{r x N}.
//!
//! [`LoraConfig`] carries PEFT's options (rank, alpha, rsLoRA, init mode);
//! [`initial_factors`] draws one run's factors on the host; [`LoraFactors`] holds the factors
//! of an ensemble of runs as burn tensors with a leading run axis and applies SGD through the
//! chain rule from the gradient of the effective weight.
//!
//! Naming: U is PEFT's `lora_B` (out x r), V is PEFT's `lora_A` (r x in).

mod config;
mod error;
mod factors;
mod init;

pub use config::{LoraConfig, LoraInit};
pub use error::LoraError;
pub use factors::LoraFactors;
pub use init::{initial_factors, InitialFactors};
