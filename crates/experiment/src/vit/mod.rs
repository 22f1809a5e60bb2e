//! The ViT experiment on real data: a tiny ViT pre-trained on a source task of
//! Fashion-MNIST with checkpoints on a schedule, then fine-tuned on a target task from every
//! checkpoint with LoRA at several ranks and fully, over several seeds; the report gives the
//! steps and wall time to a target accuracy versus pre-training steps.
//!
//! Results go to `<results_root>/<name>/`: `config.toml`, `checkpoints/` (a
//! [`goldilocks_store::CheckpointStore`]), `runs/step-<step>.jsonl` (one
//! [`goldilocks_analysis::TaskFinetuneRun`] per line, from the checkpoint sweep of
//! [`crate::sweep`] over [`VitTargetTask`]), `adapters/` when `record.save_adapters`
//! is on (see [`run_weights_dir`]), `summary.csv`, SVG plots and `report.md`. A rerun reuses
//! stored checkpoints and runs of the same config.
//!
//! ```no_run
//! use burn::backend::NdArray;
//! use goldilocks_experiment::vit::VitExperimentConfig;
//! use goldilocks_experiment::{ExperimentKind, RunOptions};
//!
//! let config = VitExperimentConfig::load("configs/vit-fashion-mnist.toml".as_ref()).unwrap();
//! // Trains on burn's autodiff backend over NdArray.
//! let outcome = config.run::<NdArray>(&RunOptions::new("results"), &Default::default()).unwrap();
//! println!("{outcome}");
//! ```

mod config;
mod finetune;
mod memory;
mod outputs;
mod pretrain;
pub(crate) mod run;
mod run_weights;
mod task_data;
mod train;

pub use config::{
    TaskConfig, VitExperimentConfig, VitFinetuningConfig, VitPretrainingConfig, VitRecordConfig,
};
pub use finetune::VitTargetTask;
pub use memory::{parameters, vit_bytes};
pub use outputs::{write_report, ReportContext};
pub use pretrain::{
    ensure_checkpoints, load_checkpoint, source_model, PretrainedVit, SourceMetrics, SOURCE_TAG,
};
pub use run::{open_checkpoints, VitOutcome, VitTasks};
pub use run_weights::{
    folder_digest, load_run_weights, run_weights_dir, run_weights_match, save_run_weights,
    FULL_MODEL_FILE,
};
pub use task_data::TaskData;
pub use train::{accuracy, batch_loss, evaluate, Evaluation};
