//! Goldilocks experiments: each kind of experiment is a plugin over plumbing written once.
//!
//! A kind is a config type implementing [`ExperimentKind`]: the `kind` key that selects it, its
//! validation, and `run::<B>` on any burn backend `B`, writing `results/<name>/`. The kinds,
//! one folder each with the same inner files (`config.rs`, `run.rs`, `outputs.rs`):
//!
//! - [`escape`]: LoRA fine-tuning from frozen weights of every pre-training strength mu; the
//!   escape time beside the published numbers and the theory (the default kind);
//! - [`pretrain`]: real pre-training with checkpoints, fine-tuning from each, the Goldilocks
//!   checkpoint;
//! - [`scaling`]: the escape time against the input dimension N, fitted per target;
//! - [`vit`]: a tiny ViT pre-trained and fine-tuned on Fashion-MNIST.
//!
//! [`sweep`] is the fine-tuning stage as a library, generic over the model and the task: the
//! vit kind runs on it, and so can a model of one's own (docs/own-model.md).
//!
//! The shared plumbing: config files (strict TOML, `kind` read once; [`AnyConfig`] dispatches
//! on it), experiment names, the results folder, resume-or-compute of stored units with
//! progress ([`RunOptions`]). Adding a kind means adding its folder and one line in
//! `any_config.rs`.
//!
//! ```no_run
//! use burn::backend::NdArray;
//! use goldilocks_experiment::escape::EscapeConfig;
//! use goldilocks_experiment::{ExperimentKind, RunOptions};
//!
//! let config = EscapeConfig::default_config();
//! let outcome = config.run::<NdArray>(&RunOptions::new("results"), &Default::default()).unwrap();
//! println!("{outcome}");
//! ```

#![warn(missing_docs)]

mod any_config;
mod config_file;
mod config_override;
mod divergence;
mod error;
pub mod escape;
mod field_checks;
mod finetune_method;
mod folder_lock;
mod identity_hash;
mod interrupt;
mod kind;
mod memory_limit;
pub mod pretrain;
mod progress;
mod results_folder;
mod run_options;
pub mod scaling;
mod shard;
mod stored_unit;
pub mod sweep;
mod unit_plan;
pub mod verify;
pub mod vit;

pub use any_config::AnyConfig;
pub use config_file::DEFAULT_KIND;
pub use config_override::{BadOverride, ConfigOverride};
pub use error::ExperimentError;
pub use finetune_method::FinetuneMethod;
pub use folder_lock::{lock_results_folder, FolderLock, LOCK_FILE};
pub use interrupt::{interrupt_requested, request_interrupt};
pub use kind::ExperimentKind;
pub use memory_limit::{default_memory_limit, human_bytes};
pub use progress::EnsembleProgress;
pub use run_options::RunOptions;
pub use shard::{shard_count, Shard, ShardOutcome, ShardRun, Stage, SHARDS_FOLDER};
pub use stored_unit::{read_json_lines, to_json_lines};
pub use unit_plan::{ExperimentPlan, PlannedUnit};
