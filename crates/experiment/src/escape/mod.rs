//! The escape-time experiment (`kind = "escape"`, the kind of a config without `kind`): LoRA
//! fine-tuning of the single-index model from frozen weights of every pre-training strength
//! mu, over many seeds at once, measuring how long the search phase lasts, beside the
//! published numbers and the theory.
//!
//! An [`EscapeConfig`] is planned into ensembles ([`plan_ensembles`]: one per rank and
//! starting condition), each ensemble runs as one batched tensor program on any burn backend
//! ([`run_ensemble`]), its per-run records ([`goldilocks_analysis::RunRecord`]) are stored atomically, and the
//! analysis turns them into `summary.csv`, SVG plots and `report.md`.
//!
//! Files: `config.rs` (the config) and `validate.rs` (its checks), `plan.rs`, `ensemble.rs`
//! (the batched SGD loop and its stopping rule) with `ensemble_setup.rs` and
//! `ensemble_records.rs`, `memory.rs` (the memory estimate and the split into chunks), `run.rs` (the whole experiment), `outputs.rs`
//! (summary, plots, report) with the theory beside it (`theory_curves.rs`, `ode_curves.rs`).

mod config;
mod ensemble;
mod ensemble_records;
mod ensemble_setup;
pub(crate) mod memory;
mod ode_curves;
mod outputs;
mod plan;
pub(crate) mod run;
pub(crate) mod shard;
mod theory_curves;
mod validate;

pub use config::{
    ActivationSpec, AdapterConfig, EscapeConfig, InputSampling, ModelConfig, RecordConfig,
    StartConfig, SweepConfig, TrainingConfig, DEFAULT_CONFIG,
};
pub use ensemble::{learning_rate, run_ensemble};
pub use memory::ensemble_bytes;
pub use ode_curves::{ode_comparison, ode_inapplicable, ode_section};
pub use plan::{plan_ensembles, EnsemblePlan, Variant};
pub use run::EscapeOutcome;
pub use theory_curves::{coefficients_of, no_fit_predictions, tau_of, theory_curves};
