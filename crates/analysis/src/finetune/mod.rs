//! Fine-tuning from pre-training checkpoints: per-run records ([`FinetuneRun`]), the table of
//! fine-tuning time per checkpoint with confidence intervals ([`summarize_finetuning`]), the
//! Goldilocks checkpoint and the slowdown verdict ([`find_goldilocks`]), finetune.csv and
//! the report.

pub mod goldilocks;
pub mod report;
pub mod run;
pub mod summary;
pub mod table;

pub use crate::interval::{mean_interval, MeanInterval};
pub use goldilocks::{find_goldilocks, Goldilocks, Rise};
pub use report::{render_pretrain_report, slowdown_sentence, PretrainReportInput};
pub use run::{CheckpointSummary, FinetuneRun};
pub use summary::{summarize_finetuning, FinetuneRow};
pub use table::{write_finetune_csv, FINETUNE_COLUMNS};
