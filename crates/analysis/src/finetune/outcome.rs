//! [`FinetuneOutcome`]: what the fine-tuning analysis needs of one run, whatever the model
//! and its target metric (test loss for the single-index model, the task's metric, such as
//! test accuracy, for the checkpoint sweep).
//!
//! A run is censored when it never met its target within its step budget, and diverged when
//! its loss turned non-finite or passed the configured bound before it met the target (it
//! was stopped there). The analysis counts both at the budget (steps and, when measured, wall
//! time): neither met the target within it, so a mean over runs with such a run is a lower
//! bound. Both fine-tuning records implement it.

use crate::records::{FinetuneRun, TaskFinetuneRun};

/// One fine-tuning run from one checkpoint with one seed, as the analysis reads it.
pub trait FinetuneOutcome {
    /// The source task of the checkpoint's pre-training.
    fn source(&self) -> &str;
    /// `lora-r<rank>` or `full`.
    fn method(&self) -> &str;
    /// Pre-training step of the checkpoint the run started from.
    fn checkpoint_step(&self) -> usize;
    /// Seed; the same seed fixes the fine-tuning data and init at every checkpoint.
    fn seed(&self) -> u64;
    /// Step budget.
    fn max_steps(&self) -> usize;
    /// First step at which the target was met (0: the checkpoint already met it); None when
    /// censored.
    fn steps_to_target(&self) -> Option<usize>;
    /// Training wall seconds to the target, or over the whole run when censored; None when
    /// the run was not timed.
    fn seconds_or_budget(&self) -> Option<f64> {
        None
    }

    /// Whether the run was stopped because its loss became non-finite or passed the bound.
    fn diverged(&self) -> bool {
        false
    }

    /// Whether the run ran its whole budget without meeting the target.
    fn censored(&self) -> bool {
        self.steps_to_target().is_none() && !self.diverged()
    }

    /// Steps to the target, counting a censored or diverged run at its budget (a lower bound).
    fn steps_or_budget(&self) -> f64 {
        self.steps_to_target().unwrap_or(self.max_steps()) as f64
    }
}

impl FinetuneOutcome for FinetuneRun {
    fn source(&self) -> &str {
        &self.source
    }
    fn method(&self) -> &str {
        &self.method
    }
    fn checkpoint_step(&self) -> usize {
        self.checkpoint_step
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn max_steps(&self) -> usize {
        self.max_steps
    }
    fn steps_to_target(&self) -> Option<usize> {
        self.steps_to_target
    }
    fn censored(&self) -> bool {
        self.censored
    }
    fn diverged(&self) -> bool {
        self.diverged_at.is_some()
    }
}

impl FinetuneOutcome for TaskFinetuneRun {
    fn source(&self) -> &str {
        &self.source
    }
    fn method(&self) -> &str {
        &self.method
    }
    fn checkpoint_step(&self) -> usize {
        self.pretrain_step
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn max_steps(&self) -> usize {
        self.max_steps
    }
    fn steps_to_target(&self) -> Option<usize> {
        self.steps_to_target
    }
    fn seconds_or_budget(&self) -> Option<f64> {
        self.seconds_to_target.or_else(|| self.seconds.last().copied())
    }
    fn diverged(&self) -> bool {
        self.diverged_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vit_run(steps_to_target: Option<usize>) -> TaskFinetuneRun {
        TaskFinetuneRun {
            config_hash: "h".into(),
            source: "fashion-mnist".into(),
            pretrain_step: 100,
            method: "lora-r4".into(),
            rank: Some(4),
            seed: 2,
            trainable_params: 10,
            eval_steps: vec![0, 10, 20],
            metric: vec![0.1, 0.5, 0.7],
            train_loss: vec![None, Some(1.0), Some(0.8)],
            seconds: vec![0.0, 1.5, 3.25],
            steps_to_target,
            seconds_to_target: steps_to_target.map(|_| 1.5),
            steps_run: 20,
            max_steps: 20,
            diverged_at: None,
            weights_sha256: None,
        }
    }

    #[test]
    fn a_censored_vit_run_counts_at_its_budget_in_steps_and_seconds() {
        let censored = vit_run(None);
        assert!(censored.censored());
        assert_eq!(censored.steps_or_budget(), 20.0);
        assert_eq!(censored.seconds_or_budget(), Some(3.25));
        let reached = vit_run(Some(10));
        assert!(!reached.censored());
        assert_eq!((reached.steps_or_budget(), reached.seconds_or_budget()), (10.0, Some(1.5)));
        assert_eq!((reached.checkpoint_step(), reached.method()), (100, "lora-r4"));
    }

    #[test]
    fn a_diverged_vit_run_is_not_censored_and_counts_at_its_budget() {
        let diverged = TaskFinetuneRun { diverged_at: Some(15), ..vit_run(None) };
        assert!(diverged.diverged() && !diverged.censored());
        assert_eq!(diverged.steps_or_budget(), 20.0);
    }
}
