//! Retention policies: which checkpoints to keep, as a pure decision apart from file I/O.
//!
//! [`RetentionPolicy::decide`] looks only at manifest entries and returns the steps to keep
//! and to delete; [`CheckpointStore::apply_retention`](crate::CheckpointStore::apply_retention)
//! carries the decision out. In TOML:
//!
//! ```toml
//! retention = { kind = "union", of = [
//!     { kind = "keep_last", n = 1 },
//!     { kind = "keep_best", n = 3, metric = "val_loss", goal = "min" },
//! ] }
//! ```

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::{CheckpointEntry, StoreError};

/// Whether smaller or larger values of a metric are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Smaller is better (a loss).
    Min,
    /// Larger is better (an overlap, an accuracy).
    Max,
}

/// Which checkpoints to keep. Internally tagged by `kind` in config files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RetentionPolicy {
    /// Keep every checkpoint (all saved checkpoints are the scheduled ones). `{ kind = "keep_all" }`.
    KeepAll,
    /// Keep exactly the checkpoints at these steps (e.g. the checkpoint schedule's
    /// `steps(total)`), deleting any others. `{ kind = "keep_steps", steps = [0, 1, 2, 4] }`.
    KeepSteps {
        /// The steps to keep.
        steps: Vec<usize>,
    },
    /// Keep the `n` latest checkpoints. `{ kind = "keep_last", n = 2 }`.
    KeepLast {
        /// How many; at least 1.
        n: usize,
    },
    /// Keep the `n` best checkpoints by a metric. Checkpoints without the metric, or with a
    /// NaN value, rank last; ties go to the later step.
    /// `{ kind = "keep_best", n = 3, metric = "loss", goal = "min" }`.
    KeepBest {
        /// How many; at least 1.
        n: usize,
        /// The metric's name in the manifest.
        metric: String,
        /// Whether smaller or larger is better.
        goal: Goal,
    },
    /// Keep a checkpoint if any of these policies keeps it.
    /// `{ kind = "union", of = [ {...}, {...} ] }`.
    Union {
        /// The policies; must not be empty.
        of: Vec<RetentionPolicy>,
    },
}

/// The outcome of a retention decision: every step of the input in exactly one list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RetentionDecision {
    /// The steps to keep, ascending.
    pub keep: Vec<usize>,
    /// The steps to delete, ascending.
    pub delete: Vec<usize>,
}

impl RetentionPolicy {
    /// Checks the parameters, naming the first bad field.
    pub fn validate(&self) -> Result<(), StoreError> {
        let invalid = |field: &str, problem: String| StoreError::InvalidRetention {
            field: field.to_owned(),
            problem,
        };
        match self {
            Self::KeepAll | Self::KeepSteps { .. } => Ok(()),
            Self::KeepLast { n } | Self::KeepBest { n, .. } if *n < 1 => {
                Err(invalid("n", format!("must be at least 1, got {n}")))
            }
            Self::KeepLast { .. } => Ok(()),
            Self::KeepBest { metric, .. } if metric.is_empty() => {
                Err(invalid("metric", "must not be empty".into()))
            }
            Self::KeepBest { .. } => Ok(()),
            Self::Union { of } if of.is_empty() => Err(invalid("of", "must not be empty".into())),
            Self::Union { of } => {
                for (i, policy) in of.iter().enumerate() {
                    policy.validate().map_err(|e| match e {
                        StoreError::InvalidRetention { field, problem } => {
                            invalid(&format!("of[{i}].{field}"), problem)
                        }
                        other => other,
                    })?;
                }
                Ok(())
            }
        }
    }

    /// Decides which of `entries` to keep and which to delete. Pure: no I/O, and the result
    /// depends only on the entries' steps and metrics.
    pub fn decide(&self, entries: &[CheckpointEntry]) -> RetentionDecision {
        let keep = self.kept(entries);
        let mut decision = RetentionDecision::default();
        let all: BTreeSet<usize> = entries.iter().map(|e| e.step).collect();
        for step in all {
            if keep.contains(&step) {
                decision.keep.push(step);
            } else {
                decision.delete.push(step);
            }
        }
        decision
    }

    /// The steps this policy keeps.
    fn kept(&self, entries: &[CheckpointEntry]) -> BTreeSet<usize> {
        match self {
            Self::KeepAll => entries.iter().map(|e| e.step).collect(),
            Self::KeepSteps { steps } => {
                let wanted: BTreeSet<usize> = steps.iter().copied().collect();
                entries.iter().map(|e| e.step).filter(|s| wanted.contains(s)).collect()
            }
            Self::KeepLast { n } => {
                let all: BTreeSet<usize> = entries.iter().map(|e| e.step).collect();
                all.into_iter().rev().take(*n).collect()
            }
            Self::KeepBest { n, metric, goal } => {
                let mut ranked: Vec<(Option<f64>, usize)> = entries
                    .iter()
                    .map(|e| (e.metrics.get(metric).copied().filter(|v| !v.is_nan()), e.step))
                    .collect();
                ranked.sort_by(|a, b| better_first(a, b, *goal));
                ranked.into_iter().map(|(_, step)| step).take(*n).collect()
            }
            Self::Union { of } => of.iter().flat_map(|p| p.kept(entries)).collect(),
        }
    }
}

/// Orders (metric, step) pairs best first: present before missing, then by the goal, then
/// later steps first.
fn better_first(a: &(Option<f64>, usize), b: &(Option<f64>, usize), goal: Goal) -> Ordering {
    let by_value = match (a.0, b.0) {
        (Some(x), Some(y)) => match goal {
            Goal::Min => x.total_cmp(&y),
            Goal::Max => y.total_cmp(&x),
        },
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_value.then(b.1.cmp(&a.1))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn entry(step: usize, loss: Option<f64>) -> CheckpointEntry {
        CheckpointEntry {
            step,
            source: "s".into(),
            metrics: loss.map(|l| BTreeMap::from([("loss".to_string(), l)])).unwrap_or_default(),
            stored: crate::StoredFile {
                file: format!("{step}"),
                bytes: 0,
                sha256: String::new(),
                config_hash: "h".into(),
            },
        }
    }

    fn entries() -> Vec<CheckpointEntry> {
        vec![
            entry(0, Some(1.0)),
            entry(1, Some(0.8)),
            entry(2, Some(0.3)),
            entry(4, Some(0.5)),
            entry(8, None),
            entry(16, Some(f64::NAN)),
            entry(32, Some(0.3)),
        ]
    }

    fn decision(keep: &[usize], delete: &[usize]) -> RetentionDecision {
        RetentionDecision { keep: keep.to_vec(), delete: delete.to_vec() }
    }

    #[test]
    fn keep_all_and_keep_steps() {
        assert_eq!(
            RetentionPolicy::KeepAll.decide(&entries()),
            decision(&[0, 1, 2, 4, 8, 16, 32], &[])
        );
        let scheduled = RetentionPolicy::KeepSteps { steps: vec![0, 2, 8, 64] };
        assert_eq!(scheduled.decide(&entries()), decision(&[0, 2, 8], &[1, 4, 16, 32]));
    }

    #[test]
    fn keep_last() {
        let policy = RetentionPolicy::KeepLast { n: 2 };
        assert_eq!(policy.decide(&entries()), decision(&[16, 32], &[0, 1, 2, 4, 8]));
        let many = RetentionPolicy::KeepLast { n: 100 };
        assert_eq!(many.decide(&entries()).delete, Vec::<usize>::new());
        assert_eq!(policy.decide(&[]), decision(&[], &[]));
    }

    #[test]
    fn keep_best_min_and_max() {
        let min = RetentionPolicy::KeepBest { n: 2, metric: "loss".into(), goal: Goal::Min };
        // 2 and 32 tie at 0.3; both fit.
        assert_eq!(min.decide(&entries()), decision(&[2, 32], &[0, 1, 4, 8, 16]));
        let min1 = RetentionPolicy::KeepBest { n: 1, metric: "loss".into(), goal: Goal::Min };
        assert_eq!(min1.decide(&entries()).keep, vec![32], "ties go to the later step");
        let max = RetentionPolicy::KeepBest { n: 2, metric: "loss".into(), goal: Goal::Max };
        assert_eq!(max.decide(&entries()).keep, vec![0, 1]);
        // Missing and NaN values rank last, whatever the goal.
        let max6 = RetentionPolicy::KeepBest { n: 6, metric: "loss".into(), goal: Goal::Max };
        assert_eq!(max6.decide(&entries()).delete.len(), 1);
        assert!([8, 16].contains(&max6.decide(&entries()).delete[0]));
        let absent = RetentionPolicy::KeepBest { n: 2, metric: "acc".into(), goal: Goal::Max };
        assert_eq!(absent.decide(&entries()).keep, vec![16, 32], "no metric: latest kept");
    }

    #[test]
    fn union_keeps_what_any_keeps() {
        let policy = RetentionPolicy::Union {
            of: vec![
                RetentionPolicy::KeepLast { n: 1 },
                RetentionPolicy::KeepBest { n: 1, metric: "loss".into(), goal: Goal::Max },
            ],
        };
        assert_eq!(policy.decide(&entries()), decision(&[0, 32], &[1, 2, 4, 8, 16]));
    }

    #[test]
    fn validation_names_the_field() {
        let err = RetentionPolicy::KeepLast { n: 0 }.validate().unwrap_err();
        assert_eq!(err.to_string(), "invalid retention policy: n must be at least 1, got 0");
        let err = RetentionPolicy::Union {
            of: vec![
                RetentionPolicy::KeepAll,
                RetentionPolicy::KeepBest { n: 1, metric: String::new(), goal: Goal::Min },
            ],
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.to_string(), "invalid retention policy: of[1].metric must not be empty");
        assert!(RetentionPolicy::Union { of: vec![] }.validate().is_err());
        assert!(RetentionPolicy::KeepLast { n: 1 }.validate().is_ok());
    }

    #[test]
    fn deserializes_from_json() {
        let policy: RetentionPolicy = serde_json::from_str(
            r#"{"kind": "union", "of": [{"kind": "keep_last", "n": 1},
                {"kind": "keep_best", "n": 3, "metric": "val_loss", "goal": "min"},
                {"kind": "keep_steps", "steps": [0, 1]}, {"kind": "keep_all"}]}"#,
        )
        .unwrap();
        assert_eq!(
            policy,
            RetentionPolicy::Union {
                of: vec![
                    RetentionPolicy::KeepLast { n: 1 },
                    RetentionPolicy::KeepBest { n: 3, metric: "val_loss".into(), goal: Goal::Min },
                    RetentionPolicy::KeepSteps { steps: vec![0, 1] },
                    RetentionPolicy::KeepAll,
                ]
            }
        );
        assert!(serde_json::from_str::<RetentionPolicy>(r#"{"kind": "keep_last", "count": 1}"#)
            .is_err());
    }
}
