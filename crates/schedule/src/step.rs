//! Step schedules: which steps to record or checkpoint at.
//!
//! A [`StepSchedule`] is a pure description, deserializable from TOML as an internally
//! tagged enum:
//!
//! ```toml
//! record = { kind = "log", points = 50, include_zero = true }
//! checkpoints = { kind = "union", of = [
//!     { kind = "pythia", dense_until = 512, every = 1000 },
//!     { kind = "list", steps = [750] },
//! ] }
//! ```
//!
//! Steps are counted from 1 (the state after the first SGD update); step 0 is the state
//! before training. [`StepSchedule::steps`] lists the scheduled steps within `0..=total`,
//! sorted and without duplicates, in time linear in its output (plus a sort for `list` and
//! `union`), so a total of a million steps is cheap.
//!
//! ```
//! use goldilocks_schedule::StepSchedule;
//!
//! let pythia = StepSchedule::Pythia { dense_until: 8, every: 10, include_last: true };
//! assert_eq!(pythia.steps(35), vec![0, 1, 2, 4, 8, 10, 20, 30, 35]);
//! assert!(pythia.contains(20, 35));
//! assert!(!pythia.contains(3, 35));
//! ```

use serde::{Deserialize, Serialize};

use crate::ScheduleError;

/// Which steps of a run of `total` steps are scheduled (for recording or checkpointing).
///
/// Build from TOML/serde or directly, then call [`validate`](Self::validate) once. The
/// query methods never panic, even on an invalid schedule, but their result is only
/// meaningful for a valid one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepSchedule {
    /// Every step: `0, 1, ..., total`. TOML: `{ kind = "all" }`.
    All,
    /// Multiples of `every`: `every, 2 every, ...`, plus 0 and the last step unless turned
    /// off. TOML: `{ kind = "every", every = 10 }`.
    Every {
        /// The spacing between scheduled steps; at least 1.
        every: usize,
        /// Whether step 0 (before training) is scheduled. Default: true.
        #[serde(default = "default_true")]
        include_zero: bool,
        /// Whether the last step (`total`, when at least 1) is scheduled even if it is not a
        /// multiple of `every`. Default: true.
        #[serde(default = "default_true")]
        include_last: bool,
    },
    /// `points` log-spaced integer steps from 1 to `total`, rounded and deduplicated (so
    /// there can be fewer than `points` for a small total); always includes 1 and `total`.
    /// TOML: `{ kind = "log", points = 50 }`.
    Log {
        /// The number of log-spaced points before rounding and deduplication; at least 2.
        points: usize,
        /// Whether step 0 (before training) is scheduled too. Default: false.
        #[serde(default)]
        include_zero: bool,
    },
    /// Pythia-style: `0, 1, 2, 4, ...` (powers of two up to `dense_until`), then every
    /// multiple of `every`. TOML: `{ kind = "pythia", dense_until = 512, every = 1000 }`.
    Pythia {
        /// The largest power of two considered is the largest one not above this (0: none).
        dense_until: usize,
        /// The spacing of the regular part; at least 1.
        every: usize,
        /// Whether the last step (`total`, when at least 1) is scheduled even if it is not a
        /// multiple of `every`. Default: true.
        #[serde(default = "default_true")]
        include_last: bool,
    },
    /// An explicit list of steps (any order, duplicates allowed); steps above `total` are
    /// left out. TOML: `{ kind = "list", steps = [0, 100, 1000] }`.
    List {
        /// The steps; must not be empty.
        steps: Vec<usize>,
    },
    /// The union of several schedules. TOML: `{ kind = "union", of = [ {...}, {...} ] }`.
    Union {
        /// The schedules to merge; must not be empty.
        of: Vec<StepSchedule>,
    },
}

fn default_true() -> bool {
    true
}

impl StepSchedule {
    /// Checks the parameters, naming the first bad field (e.g. `of[1].every`).
    pub fn validate(&self) -> Result<(), ScheduleError> {
        match self {
            Self::All => Ok(()),
            Self::Every { every, .. } | Self::Pythia { every, .. } => {
                if *every < 1 {
                    return Err(ScheduleError::too_small("every", 1, *every));
                }
                Ok(())
            }
            Self::Log { points, .. } => {
                if *points < 2 {
                    return Err(ScheduleError::too_small("points", 2, *points));
                }
                Ok(())
            }
            Self::List { steps } => {
                if steps.is_empty() {
                    return Err(ScheduleError::Empty { field: "steps".into() });
                }
                Ok(())
            }
            Self::Union { of } => {
                if of.is_empty() {
                    return Err(ScheduleError::Empty { field: "of".into() });
                }
                for (i, schedule) in of.iter().enumerate() {
                    schedule.validate().map_err(|e| e.within(&format!("of[{i}]")))?;
                }
                Ok(())
            }
        }
    }

    /// The scheduled steps of a run of `total` steps: sorted, unique, within `0..=total`.
    ///
    /// Linear in the number of steps returned (`log` is linear in `points`; `list` and
    /// `union` add a sort).
    pub fn steps(&self, total: usize) -> Vec<usize> {
        match self {
            Self::All => (0..=total).collect(),
            Self::Every { every, include_zero, include_last } => {
                let mut out = Vec::with_capacity(total / (*every).max(1) + 2);
                if *include_zero {
                    out.push(0);
                }
                if *every >= 1 {
                    out.extend((*every..=total).step_by(*every));
                }
                push_last(&mut out, *include_last, total);
                out
            }
            Self::Log { points, include_zero } => {
                let mut out = Vec::with_capacity(points.saturating_add(1).min(total + 1));
                if *include_zero {
                    out.push(0);
                }
                if total >= 1 {
                    let n = (*points).max(2);
                    for i in 0..n {
                        let step = log_point(i, n, total);
                        if out.last().is_none_or(|&last| step > last) {
                            out.push(step);
                        }
                    }
                }
                out
            }
            Self::Pythia { dense_until, every, include_last } => {
                let dense = (*dense_until).min(total);
                let mut out = vec![0];
                let mut power = 1usize;
                while power <= dense {
                    out.push(power);
                    power = match power.checked_mul(2) {
                        Some(p) => p,
                        None => break,
                    };
                }
                if *every >= 1 {
                    // The regular part; powers of two already listed are removed by the
                    // sort and dedup (cheap: the list is sorted but for its short head).
                    out.extend((*every..=total).step_by(*every));
                    out.sort_unstable();
                    out.dedup();
                }
                push_last(&mut out, *include_last, total);
                out
            }
            Self::List { steps } => {
                let mut out: Vec<usize> = steps.iter().copied().filter(|&s| s <= total).collect();
                out.sort_unstable();
                out.dedup();
                out
            }
            Self::Union { of } => {
                let mut parts: Vec<Vec<usize>> = of.iter().map(|s| s.steps(total)).collect();
                if parts.len() == 1 {
                    return parts.pop().unwrap_or_default();
                }
                let mut out: Vec<usize> = parts.concat();
                out.sort_unstable();
                out.dedup();
                out
            }
        }
    }

    /// Whether `step` is scheduled in a run of `total` steps; the same as
    /// `self.steps(total).contains(&step)`, without building the list (`list` scans it,
    /// `log` evaluates a few candidate points).
    pub fn contains(&self, step: usize, total: usize) -> bool {
        if step > total {
            return false;
        }
        let is_last = step == total && total >= 1;
        match self {
            Self::All => true,
            Self::Every { every, include_zero, include_last } => {
                if step == 0 {
                    return *include_zero;
                }
                (*every >= 1 && step.is_multiple_of(*every)) || (*include_last && is_last)
            }
            Self::Log { points, include_zero } => {
                if step == 0 {
                    return *include_zero;
                }
                if step == 1 || step == total {
                    return true;
                }
                // Here 1 < step < total, so ln(total) > 0. The point index i with
                // log_point(i) == step, if any, lies next to the real solution r.
                let n = (*points).max(2);
                let r = (n - 1) as f64 * (step as f64).ln() / (total as f64).ln();
                let lo = (r.floor() as usize).saturating_sub(1);
                let hi = ((r.ceil() as usize) + 1).min(n - 1);
                (lo..=hi).any(|i| log_point(i, n, total) == step)
            }
            Self::Pythia { dense_until, every, include_last } => {
                step == 0
                    || (step.is_power_of_two() && step <= *dense_until)
                    || (*every >= 1 && step.is_multiple_of(*every))
                    || (*include_last && is_last)
            }
            Self::List { steps } => steps.contains(&step),
            Self::Union { of } => of.iter().any(|s| s.contains(step, total)),
        }
    }
}

/// The `i`-th of `n >= 2` log-spaced points between 1 and `total >= 1`, rounded.
fn log_point(i: usize, n: usize, total: usize) -> usize {
    if i == 0 {
        return 1;
    }
    if i + 1 >= n {
        return total;
    }
    let exponent = (total as f64).ln() * i as f64 / (n - 1) as f64;
    (exponent.exp().round() as usize).clamp(1, total)
}

/// Appends `total` to the sorted list `out` when asked, if it is at least 1 and missing.
fn push_last(out: &mut Vec<usize>, include_last: bool, total: usize) {
    if include_last && total >= 1 && out.last().is_none_or(|&last| last < total) {
        out.push(total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every(k: usize) -> StepSchedule {
        StepSchedule::Every { every: k, include_zero: true, include_last: true }
    }

    fn assert_consistent(schedule: &StepSchedule, total: usize) {
        let steps = schedule.steps(total);
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "{schedule:?} {total}: {steps:?}");
        assert!(steps.iter().all(|&s| s <= total));
        for step in 0..=total + 2 {
            assert_eq!(
                schedule.contains(step, total),
                steps.binary_search(&step).is_ok(),
                "{schedule:?} total {total} step {step}"
            );
        }
    }

    #[test]
    fn all_lists_every_step() {
        assert_eq!(StepSchedule::All.steps(4), vec![0, 1, 2, 3, 4]);
        assert_eq!(StepSchedule::All.steps(0), vec![0]);
        assert!(StepSchedule::All.contains(3, 4));
        assert!(!StepSchedule::All.contains(5, 4));
    }

    #[test]
    fn every_small_cases() {
        assert_eq!(every(10).steps(35), vec![0, 10, 20, 30, 35]);
        assert_eq!(every(10).steps(30), vec![0, 10, 20, 30]);
        assert_eq!(every(1).steps(3), vec![0, 1, 2, 3]);
        assert_eq!(every(10).steps(0), vec![0]);
        let bare = StepSchedule::Every { every: 10, include_zero: false, include_last: false };
        assert_eq!(bare.steps(35), vec![10, 20, 30]);
        assert_eq!(bare.steps(5), Vec::<usize>::new());
    }

    #[test]
    fn log_small_cases() {
        let log = StepSchedule::Log { points: 5, include_zero: false };
        // 1000^(i/4) = 1, 5.62, 31.6, 177.8, 1000.
        assert_eq!(log.steps(1000), vec![1, 6, 32, 178, 1000]);
        let log0 = StepSchedule::Log { points: 5, include_zero: true };
        assert_eq!(log0.steps(1000), vec![0, 1, 6, 32, 178, 1000]);
        // Deduplicated when there are more points than steps.
        let dense = StepSchedule::Log { points: 50, include_zero: false };
        assert_eq!(dense.steps(5), vec![1, 2, 3, 4, 5]);
        assert_eq!(dense.steps(1), vec![1]);
        assert_eq!(dense.steps(0), Vec::<usize>::new());
        assert_eq!(log0.steps(0), vec![0]);
    }

    #[test]
    fn log_always_has_first_and_last() {
        for total in [1, 2, 3, 7, 100, 999, 12_345, 1_000_000] {
            for points in [2, 3, 10, 50, 200] {
                let steps = StepSchedule::Log { points, include_zero: false }.steps(total);
                assert_eq!(steps.first(), Some(&1));
                assert_eq!(steps.last(), Some(&total));
                assert!(steps.len() <= points);
            }
        }
    }

    #[test]
    fn pythia_small_cases() {
        let p = StepSchedule::Pythia { dense_until: 512, every: 1000, include_last: true };
        let mut expected = vec![0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 2000, 3000];
        assert_eq!(p.steps(3000), expected);
        expected.push(3500);
        assert_eq!(p.steps(3500), expected);
        assert_eq!(p.steps(0), vec![0]);
        assert_eq!(p.steps(3), vec![0, 1, 2, 3]);
        // Overlapping dense and regular parts are merged without duplicates.
        let q = StepSchedule::Pythia { dense_until: 16, every: 4, include_last: false };
        assert_eq!(q.steps(18), vec![0, 1, 2, 4, 8, 12, 16]);
        let r = StepSchedule::Pythia { dense_until: 0, every: 5, include_last: false };
        assert_eq!(r.steps(12), vec![0, 5, 10]);
    }

    #[test]
    fn list_and_union_small_cases() {
        let list = StepSchedule::List { steps: vec![50, 3, 3, 0, 500] };
        assert_eq!(list.steps(100), vec![0, 3, 50]);
        let union = StepSchedule::Union {
            of: vec![
                StepSchedule::List { steps: vec![7] },
                StepSchedule::Every { every: 5, include_zero: false, include_last: false },
            ],
        };
        assert_eq!(union.steps(16), vec![5, 7, 10, 15]);
        assert!(union.contains(7, 16));
        assert!(!union.contains(16, 16));
    }

    #[test]
    fn contains_agrees_with_steps() {
        let schedules = [
            StepSchedule::All,
            every(1),
            every(3),
            StepSchedule::Every { every: 4, include_zero: false, include_last: false },
            StepSchedule::Pythia { dense_until: 512, every: 100, include_last: true },
            StepSchedule::Pythia { dense_until: 7, every: 3, include_last: false },
            StepSchedule::List { steps: vec![9, 1, 400] },
            StepSchedule::Union { of: vec![every(50), StepSchedule::List { steps: vec![3] }] },
        ];
        for schedule in &schedules {
            for total in [0, 1, 2, 5, 17, 64, 333] {
                assert_consistent(schedule, total);
            }
        }
        for points in [2, 3, 4, 7, 20, 50, 100, 1000] {
            for include_zero in [false, true] {
                let log = StepSchedule::Log { points, include_zero };
                for total in [0, 1, 2, 3, 5, 10, 99, 100, 1000, 4321] {
                    assert_consistent(&log, total);
                }
            }
        }
    }

    #[test]
    fn large_totals_are_cheap() {
        let total = 1_000_000;
        assert_eq!(StepSchedule::All.steps(total).len(), total + 1);
        assert_eq!(every(1).steps(total).len(), total + 1);
        let log = StepSchedule::Log { points: 200, include_zero: true };
        let steps = log.steps(total);
        assert!(steps.len() > 150 && steps.len() <= 201);
        assert!(steps.iter().all(|&s| log.contains(s, total)));
        let union = StepSchedule::Union { of: vec![StepSchedule::All, log] };
        assert_eq!(union.steps(total).len(), total + 1);
    }

    #[test]
    fn validation_names_the_field() {
        let err = StepSchedule::Every { every: 0, include_zero: true, include_last: true }
            .validate()
            .unwrap_err();
        assert_eq!(err.to_string(), "every must be at least 1, got 0");
        let err = StepSchedule::Log { points: 1, include_zero: false }.validate().unwrap_err();
        assert_eq!(err.to_string(), "points must be at least 2, got 1");
        let err = StepSchedule::List { steps: vec![] }.validate().unwrap_err();
        assert_eq!(err.to_string(), "steps must not be empty");
        let err = StepSchedule::Union { of: vec![] }.validate().unwrap_err();
        assert_eq!(err.to_string(), "of must not be empty");
        let nested = StepSchedule::Union {
            of: vec![
                every(2),
                StepSchedule::Pythia { dense_until: 8, every: 0, include_last: true },
            ],
        };
        assert_eq!(
            nested.validate().unwrap_err().to_string(),
            "of[1].every must be at least 1, got 0"
        );
        assert!(every(1).validate().is_ok());
        assert!(StepSchedule::All.validate().is_ok());
    }

    #[test]
    fn invalid_schedules_do_not_panic() {
        let zero = StepSchedule::Every { every: 0, include_zero: true, include_last: true };
        assert_eq!(zero.steps(10), vec![0, 10]);
        assert!(!zero.contains(5, 10));
        let log = StepSchedule::Log { points: 0, include_zero: false };
        assert_eq!(log.steps(10), vec![1, 10]);
        let p = StepSchedule::Pythia { dense_until: usize::MAX, every: 0, include_last: false };
        assert_eq!(p.steps(9), vec![0, 1, 2, 4, 8]);
    }

    #[derive(Deserialize)]
    struct Holder {
        schedule: StepSchedule,
    }

    fn parse(toml_text: &str) -> Result<StepSchedule, toml::de::Error> {
        toml::from_str::<Holder>(toml_text).map(|h| h.schedule)
    }

    #[test]
    fn deserializes_from_toml() {
        assert_eq!(parse(r#"schedule = { kind = "every", every = 10 }"#).unwrap(), every(10));
        assert_eq!(
            parse(r#"schedule = { kind = "log", points = 50 }"#).unwrap(),
            StepSchedule::Log { points: 50, include_zero: false }
        );
        assert_eq!(
            parse(r#"schedule = { kind = "log", points = 50, include_zero = true }"#).unwrap(),
            StepSchedule::Log { points: 50, include_zero: true }
        );
        assert_eq!(
            parse(r#"schedule = { kind = "pythia", dense_until = 512, every = 1000 }"#).unwrap(),
            StepSchedule::Pythia { dense_until: 512, every: 1000, include_last: true }
        );
        assert_eq!(
            parse(r#"schedule = { kind = "list", steps = [3, 1] }"#).unwrap(),
            StepSchedule::List { steps: vec![3, 1] }
        );
        assert_eq!(parse(r#"schedule = { kind = "all" }"#).unwrap(), StepSchedule::All);
        let union = parse(
            r#"
            [schedule]
            kind = "union"
            of = [{ kind = "every", every = 10, include_zero = false }, { kind = "all" }]
            "#,
        )
        .unwrap();
        assert_eq!(
            union,
            StepSchedule::Union {
                of: vec![
                    StepSchedule::Every { every: 10, include_zero: false, include_last: true },
                    StepSchedule::All,
                ]
            }
        );
    }

    #[test]
    fn toml_errors_are_reported() {
        assert!(parse(r#"schedule = { kind = "sometimes" }"#).is_err());
        assert!(parse(r#"schedule = { kind = "every" }"#).is_err());
        let typo = parse(r#"schedule = { kind = "every", evry = 10 }"#);
        assert!(typo.is_err());
        let extra = parse(r#"schedule = { kind = "every", every = 10, points = 3 }"#);
        assert!(extra.is_err(), "{extra:?}");
    }

    #[test]
    fn serializes_back_to_the_same_schedule() {
        #[derive(Serialize, Deserialize)]
        struct Holder2 {
            schedule: StepSchedule,
        }
        let original = StepSchedule::Union {
            of: vec![every(3), StepSchedule::Log { points: 9, include_zero: true }],
        };
        let text = toml::to_string(&Holder2 { schedule: original.clone() }).unwrap();
        let back: Holder2 = toml::from_str(&text).unwrap();
        assert_eq!(back.schedule, original);
    }
}
