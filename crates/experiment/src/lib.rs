//! Experiment configs and the runner that wires the Goldilocks crates together.
//!
//! Data flows one way: a [`ExperimentConfig`] is planned into ensembles
//! ([`plan_ensembles`]), each ensemble runs as one batched tensor program on any burn backend
//! ([`run_ensemble`]), its per-run records are stored atomically, and the analysis turns them
//! into `summary.csv`, SVG plots and `report.md` ([`run_experiment`]). The backend is chosen by
//! the caller through the type parameter `B`.
//!
//! The [`pretrain`] module does the same for real pre-training: checkpoints of the full
//! weight on a source task, fine-tuning from each, and the Goldilocks checkpoint. The
//! [`scaling`] module measures how the escape time grows with the input dimension N, running
//! one escape-time config per (target, N). A config's `kind` key tells them apart ([`AnyConfig`]).
//!
//! ```no_run
//! use burn::backend::NdArray;
//! use goldilocks_experiment::{run_experiment, ExperimentConfig, RunOptions};
//!
//! let config = ExperimentConfig::default_config();
//! let outcome = run_experiment::<NdArray>(&config, &RunOptions::new("results"), &Default::default()).unwrap();
//! println!("report: {}", outcome.report.display());
//! ```

#![warn(missing_docs)]

mod any_config;
mod error;
pub mod escape;
pub mod pretrain;
mod progress;
pub mod scaling;
pub mod vit;

pub use any_config::AnyConfig;
pub use error::ExperimentError;
pub use escape::config::{
    ActivationSpec, AdapterConfig, EscapeKind, ExperimentConfig, InputSampling, ModelConfig,
    RecordConfig, StartConfig, SweepConfig, TrainingConfig, DEFAULT_CONFIG,
};
pub use escape::ensemble::{learning_rate, run_ensemble, EnsembleProgress};
pub use escape::ode_curves::{ode_comparison, ode_inapplicable, ode_section};
pub use escape::plan::{plan_ensembles, EnsemblePlan, Variant};
pub use escape::record::{read_json_lines, to_json_lines, GridRecord, RunRecord};
pub use escape::run::{run_experiment, ExperimentOutcome, RunOptions};
pub use escape::theory_curves::{tau_of, theory_curves};
