//! The CubeCL kernels of the GPU backends (wgpu, cuda): the drawn-batch LoRA step with its
//! inputs drawn inside the kernels.
//!
//! - `philox`: the project's Gaussian generator (Philox4x32-10 and the Box-Muller transform
//!   of `goldilocks_model::gaussian`) as `#[cube]` functions, and [`standard_normal_rows`],
//!   its draws on a device;
//! - `activation`: every `goldilocks_model::Activation` and its derivative as `#[cube]`
//!   functions chosen by a run-time code;
//! - `drawn_step`: [`drawn_lora_step`], the step as four kernels.

mod activation;
mod drawn_step;
mod philox;

pub use drawn_step::drawn_lora_step;
pub use philox::standard_normal_rows;
