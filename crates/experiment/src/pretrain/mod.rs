//! Real pre-training before LoRA: the full weight is trained on a source task with
//! checkpoints saved on a schedule ([`pretrain_source`]), then fine-tuned on the target task
//! from every checkpoint with LoRA at several ranks and with full fine-tuning
//! ([`finetune_from_checkpoints`]); the analysis names the Goldilocks checkpoint
//! (`PretrainConfig::run`). Killed at any moment, an experiment resumes where it
//! stopped: checkpoints and finished fine-tuning ensembles are stored atomically and reused.

mod config;
mod finetuning;
mod memory;
mod outputs;
mod pretraining;
pub(crate) mod run;
mod shard;
mod source_task;

pub use config::{FinetuningConfig, PretrainConfig, PretrainModelConfig, PretrainingConfig};
pub use finetuning::{ensemble_key, finetune_from_checkpoints};
pub use memory::pretrain_bytes;
pub use pretraining::{
    pretrain_source, store_dir, store_hash, CheckpointWeight, PretrainedSource, TEACHER_TENSOR,
    WEIGHT_TENSOR,
};
pub use run::PretrainOutcome;
pub use source_task::SourceTask;
