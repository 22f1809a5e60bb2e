//! Every record type Goldilocks stores: one line of a results folder's JSON-lines files per
//! run. The experiment kinds write them; the analysis reads them.
//!
//! - [`RunRecord`] (with [`GridRecord`]): one escape-time run (kind `escape`, and each
//!   dimension of kind `scaling`), `runs/*.jsonl`;
//! - [`FinetuneRun`]: one fine-tuning run of the single-index model from a pre-training
//!   checkpoint (kind `pretrain`), `runs/*.jsonl`;
//! - [`TaskFinetuneRun`]: one run of the checkpoint sweep, a burn model fine-tuned on a task
//!   with a metric from a checkpoint (kind `vit`, and the sweep API), `runs/step-*.jsonl`.
//!
//! The fine-tuning analysis reads both fine-tuning records through
//! [`crate::finetune::FinetuneOutcome`].

mod escape_run;
mod finetune_run;
mod task_finetune_run;

pub use escape_run::{GridRecord, RunRecord};
pub use finetune_run::FinetuneRun;
pub use task_finetune_run::TaskFinetuneRun;
