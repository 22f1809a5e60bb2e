//! The checkpoint sweep as a library: fine-tune any burn model from every checkpoint of a
//! [`goldilocks_store::CheckpointStore`], by LoRA at several ranks and fully, over several
//! seeds, and name the Goldilocks checkpoint of each method.
//!
//! A model is any burn `Module` whose LoRA-capable layers are [`goldilocks_lora::LoraLinear`]s
//! listed by [`goldilocks_lora::LoraModel`]; a task is a [`FinetuneTask`]: the model a
//! checkpoint loads into, what changes for the target (a new head), the loss of a batch and
//! the metric. Checkpoints are written with [`module_tensors`] (PyTorch's names and layout)
//! and read back with [`load_checkpoint`]. Then:
//!
//! - [`sweep`] runs everything and returns a [`SweepOutcome`]: the records
//!   ([`goldilocks_analysis::TaskFinetuneRun`]), the table of steps to the target per
//!   checkpoint, and the Goldilocks verdict of each method;
//! - [`finetune_checkpoint`] runs one checkpoint's runs, with a hook per finished run (the
//!   vit kind stores each checkpoint's runs as a unit and saves adapters there);
//! - [`finetune_run`] runs one ([`RunSpec`]); [`optimizer_step`] and [`BatchSampler`] serve a
//!   pre-training loop too.
//!
//! docs/own-model.md is the worked example (an MLP on data of one's own, pre-trained with
//! checkpoints, then swept); it runs as a doc test.

mod batch_sampler;
mod checkpoint_sweep;
mod checkpoint_tensors;
mod run;
mod settings;
mod task;
mod train_step;

pub use batch_sampler::BatchSampler;
pub use checkpoint_sweep::{finetune_checkpoint, sweep, SweepOutcome};
pub use checkpoint_tensors::{
    load_checkpoint, load_module_tensors, module_tensors, CHECKPOINT_LAYOUT,
};
pub use run::{finetune_run, prepare_model, RunSpec};
pub use settings::SweepSettings;
pub use task::FinetuneTask;
pub use train_step::optimizer_step;

#[cfg(doctest)]
#[doc = include_str!("../../../../docs/own-model.md")]
mod own_model_guide {}
