//! The escape-time experiment (`kind = "escape"`, the default): LoRA fine-tuning of the
//! single-index model from frozen weights of every pre-training strength mu, over many seeds
//! at once; how long the search phase lasts, beside the published numbers and the theory.

pub mod config;
pub(crate) mod ensemble;
pub(crate) mod ensemble_records;
pub(crate) mod ensemble_setup;
pub(crate) mod ode_curves;
pub(crate) mod outputs;
pub(crate) mod plan;
pub(crate) mod record;
pub(crate) mod run;
pub(crate) mod theory_curves;
