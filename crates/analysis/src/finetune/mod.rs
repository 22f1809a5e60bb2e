//! Fine-tuning from pre-training checkpoints, for any model and target metric: each run is
//! read through [`FinetuneOutcome`]; the table of fine-tuning time per checkpoint with
//! confidence intervals ([`summarize_finetuning`]); the Goldilocks checkpoint and the slowdown
//! verdict ([`find_goldilocks`], rendered by [`verdict_section`]); finetune.csv and the
//! pretrain report.

pub mod checkpoint_summary;
pub mod goldilocks;
pub mod outcome;
pub mod report;
pub mod summary;
pub mod table;
pub mod verdict;

pub use crate::interval::{mean_interval, MeanInterval};
pub use checkpoint_summary::CheckpointSummary;
pub use goldilocks::{find_goldilocks, Goldilocks, Rise};
pub use outcome::FinetuneOutcome;
pub use report::{diverged_section, render_pretrain_report, PretrainReportInput};
pub use summary::{summarize_finetuning, FinetuneRow};
pub use table::{write_finetune_csv, FINETUNE_COLUMNS};
pub use verdict::{slowdown_sentence, verdict_section};
