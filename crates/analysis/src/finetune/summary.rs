//! Fine-tuning time per (source, method, checkpoint): mean over seeds with a 95% interval.

use std::collections::BTreeMap;

use crate::finetune::{mean_interval, CheckpointSummary, FinetuneOutcome, MeanInterval};

/// One line of the fine-tuning table.
#[derive(Debug, Clone, PartialEq)]
pub struct FinetuneRow {
    /// Source task.
    pub source: String,
    /// `lora-r<rank>` or `full`.
    pub method: String,
    /// Pre-training step of the checkpoint.
    pub checkpoint_step: usize,
    /// <w, w*> of the checkpoint (NaN when unknown).
    pub overlap: f64,
    /// |w| of the checkpoint (NaN when unknown).
    pub norm: f64,
    /// Target test loss of the checkpoint before fine-tuning (NaN when unknown).
    pub initial_loss: f64,
    /// Seeds.
    pub seeds: usize,
    /// Seeds that never reached the target within the budget (counted at the budget).
    pub censored: usize,
    /// Seeds whose loss became non-finite or passed the bound first (counted at the budget).
    pub diverged: usize,
    /// Mean steps to the target with its 95% t interval (censored and diverged runs at their
    /// budget: then a lower bound).
    pub steps: MeanInterval,
    /// Mean training wall seconds to the target, counted the same way; None unless every run
    /// was timed.
    pub seconds: Option<MeanInterval>,
    /// Step budget.
    pub max_steps: usize,
}

/// The table: one row per (source, method, checkpoint), in the order sources and methods
/// first appear in `runs`, checkpoints ascending.
pub fn summarize_finetuning<R: FinetuneOutcome>(
    runs: &[R],
    checkpoints: &[CheckpointSummary],
) -> Vec<FinetuneRow> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut groups: BTreeMap<(String, String, usize), Vec<&R>> = BTreeMap::new();
    for run in runs {
        let key = (run.source().to_string(), run.method().to_string());
        if !order.contains(&key) {
            order.push(key.clone());
        }
        groups.entry((key.0, key.1, run.checkpoint_step())).or_default().push(run);
    }
    let mut rows = Vec::new();
    for (source, method) in order {
        for ((_, _, step), members) in groups.range(
            (source.clone(), method.clone(), 0)..=(source.clone(), method.clone(), usize::MAX),
        ) {
            let steps: Vec<f64> = members.iter().map(|r| r.steps_or_budget()).collect();
            let seconds: Option<Vec<f64>> = members.iter().map(|r| r.seconds_or_budget()).collect();
            let checkpoint = checkpoints.iter().find(|c| c.source == source && c.step == *step);
            rows.push(FinetuneRow {
                source: source.clone(),
                method: method.clone(),
                checkpoint_step: *step,
                overlap: checkpoint.map_or(f64::NAN, |c| c.overlap),
                norm: checkpoint.map_or(f64::NAN, |c| c.norm),
                initial_loss: checkpoint.map_or(f64::NAN, |c| c.target_test_loss),
                seeds: members.len(),
                censored: members.iter().filter(|r| r.censored()).count(),
                diverged: members.iter().filter(|r| r.diverged()).count(),
                steps: mean_interval(&steps).expect("a group has runs"),
                seconds: seconds.as_deref().and_then(mean_interval),
                max_steps: members.iter().map(|r| r.max_steps()).max().unwrap_or(0),
            });
        }
    }
    rows
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::records::FinetuneRun;

    /// A run that reached the target after `steps` steps (None: censored at 100).
    pub(crate) fn run(
        source: &str,
        method: &str,
        checkpoint_step: usize,
        seed: u64,
        steps: Option<usize>,
    ) -> FinetuneRun {
        FinetuneRun {
            source: source.into(),
            method: method.into(),
            rank: None,
            checkpoint_step,
            seed,
            learning_rate: 0.1,
            target_loss: 0.01,
            max_steps: 100,
            steps_run: 100,
            steps_to_target: steps,
            censored: steps.is_none(),
            diverged_at: None,
            curve_steps: vec![0],
            curve_test_loss: vec![1.0],
        }
    }

    #[test]
    fn rows_group_by_source_method_and_checkpoint() {
        let runs = vec![
            run("same", "full", 4, 0, Some(10)),
            run("same", "full", 0, 0, Some(30)),
            run("same", "full", 0, 1, None),
            run("same", "full", 4, 1, Some(14)),
            run("same", "lora-r1", 0, 0, Some(50)),
        ];
        let checkpoints = vec![CheckpointSummary {
            source: "same".into(),
            step: 4,
            overlap: 0.5,
            norm: 0.6,
            source_test_loss: 0.1,
            target_test_loss: 0.2,
        }];
        let rows = summarize_finetuning(&runs, &checkpoints);
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[0].method.as_str(), rows[0].checkpoint_step), ("full", 0));
        assert_eq!(rows[0].steps.mean, 65.0);
        assert_eq!(rows[0].censored, 1);
        assert!(rows[0].overlap.is_nan());
        assert_eq!((rows[1].checkpoint_step, rows[1].steps.mean, rows[1].overlap), (4, 12.0, 0.5));
        assert!(rows[1].steps.low() < 12.0 && rows[1].steps.high() > 12.0);
        assert_eq!(rows[0].seconds, None);
        assert_eq!((rows[2].method.as_str(), rows[2].seeds), ("lora-r1", 1));
    }
}
