//! Learning-rate schedules: one file each, sharing the [`LearningRateSchedule`] trait.
//!
//! Each schedule has a serde config struct whose `init()` validates it and returns the
//! schedule, or a [`ScheduleError`](crate::ScheduleError) naming the bad field.
//! [`LrScheduleConfig`] picks one of them from TOML by its `kind`.

mod any;
mod constant;
mod cosine;
mod shape;
mod step_decay;
mod wsd;

pub use any::{LrSchedule, LrScheduleConfig};
pub use constant::{ConstantLr, ConstantLrConfig};
pub use cosine::{CosineLr, CosineLrConfig};
pub use shape::DecayShape;
pub use step_decay::{StepDecayLr, StepDecayLrConfig};
pub use wsd::{WarmupStableDecayLr, WarmupStableDecayLrConfig};

/// A learning rate as a pure function of the step.
///
/// `lr(t)` for `t >= 1` is the learning rate of the `t`-th SGD update, the one that
/// produces step `t` (steps are counted from 1; step 0 is the state before training, and
/// `lr(0)` is the schedule's formula continued to 0).
pub trait LearningRateSchedule {
    /// The learning rate of the update that produces `step`.
    fn lr(&self, step: usize) -> f64;
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::LearningRateSchedule;

    /// Asserts that `lr` does not increase over `from..=to`.
    pub fn assert_non_increasing(schedule: &impl LearningRateSchedule, from: usize, to: usize) {
        for step in from..to {
            let (a, b) = (schedule.lr(step), schedule.lr(step + 1));
            assert!(b <= a + 1e-15, "lr rises from {a} to {b} at step {step}");
        }
    }

    /// Asserts that `lr` does not decrease over `from..=to`.
    pub fn assert_non_decreasing(schedule: &impl LearningRateSchedule, from: usize, to: usize) {
        for step in from..to {
            let (a, b) = (schedule.lr(step), schedule.lr(step + 1));
            assert!(b >= a - 1e-15, "lr falls from {a} to {b} at step {step}");
        }
    }

    /// Asserts that two learning rates agree to rounding.
    pub fn assert_close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "{actual} != {expected}"
        );
    }
}
