//! Step decay: the learning rate is multiplied by `gamma` every `step_size` steps.
//!
//! Updates `1..=step_size` use `initial_lr`, the next `step_size` use `initial_lr * gamma`,
//! and so on (PyTorch's `StepLR`, with steps counted from 1).
//!
//! ```
//! use goldilocks_schedule::{LearningRateSchedule, StepDecayLrConfig};
//!
//! let schedule = StepDecayLrConfig::new(1.0, 0.5, 10).init().unwrap();
//! assert_eq!(schedule.lr(10), 1.0);
//! assert_eq!(schedule.lr(11), 0.5);
//! assert_eq!(schedule.lr(21), 0.25);
//! ```

use serde::{Deserialize, Serialize};

use super::shape::check_positive;
use super::LearningRateSchedule;
use crate::ScheduleError;

/// Configuration of [`StepDecayLr`]. TOML (as an [`LrScheduleConfig`](crate::LrScheduleConfig)):
/// `{ kind = "step", initial_lr = 0.1, gamma = 0.5, step_size = 1000 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDecayLrConfig {
    /// The learning rate of the first `step_size` updates; finite and above 0.
    pub initial_lr: f64,
    /// The factor applied every `step_size` steps; in `(0, 1]`.
    pub gamma: f64,
    /// The number of updates between decays; at least 1.
    pub step_size: usize,
}

impl StepDecayLrConfig {
    /// A configuration multiplying `initial_lr` by `gamma` every `step_size` updates.
    pub fn new(initial_lr: f64, gamma: f64, step_size: usize) -> Self {
        Self { initial_lr, gamma, step_size }
    }

    /// Validates the configuration and builds the schedule.
    pub fn init(&self) -> Result<StepDecayLr, ScheduleError> {
        check_positive("initial_lr", self.initial_lr)?;
        if !(self.gamma > 0.0 && self.gamma <= 1.0) {
            return Err(ScheduleError::out_of_range("gamma", "in (0, 1]", self.gamma));
        }
        if self.step_size < 1 {
            return Err(ScheduleError::too_small("step_size", 1, self.step_size));
        }
        Ok(StepDecayLr { config: self.clone() })
    }
}

/// Step decay; built by [`StepDecayLrConfig::init`].
#[derive(Debug, Clone, PartialEq)]
pub struct StepDecayLr {
    config: StepDecayLrConfig,
}

impl LearningRateSchedule for StepDecayLr {
    fn lr(&self, step: usize) -> f64 {
        let c = &self.config;
        let decays = step.saturating_sub(1) / c.step_size;
        c.initial_lr * c.gamma.powf(decays as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{assert_close, assert_non_increasing};
    use super::*;

    #[test]
    fn decays_every_step_size() {
        let s = StepDecayLrConfig::new(0.8, 0.5, 3).init().unwrap();
        let lrs: Vec<f64> = (0..=10).map(|t| s.lr(t)).collect();
        assert_eq!(lrs, vec![0.8, 0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1]);
        assert_non_increasing(&s, 0, 100);
        assert_close(s.lr(3 * 20 + 1), 0.8 * 0.5f64.powi(20));
        assert!(s.lr(usize::MAX) >= 0.0);
    }

    #[test]
    fn gamma_one_is_constant() {
        let s = StepDecayLrConfig::new(0.1, 1.0, 1).init().unwrap();
        assert_eq!(s.lr(1000), 0.1);
    }

    #[test]
    fn validation_names_the_field() {
        let err = StepDecayLrConfig::new(0.1, 1.5, 10).init().unwrap_err();
        assert_eq!(err.to_string(), "gamma must be in (0, 1], got 1.5");
        assert_eq!(StepDecayLrConfig::new(0.1, 0.0, 10).init().unwrap_err().field(), "gamma");
        assert_eq!(StepDecayLrConfig::new(0.1, f64::NAN, 10).init().unwrap_err().field(), "gamma");
        let err = StepDecayLrConfig::new(0.1, 0.5, 0).init().unwrap_err();
        assert_eq!(err.to_string(), "step_size must be at least 1, got 0");
        assert_eq!(StepDecayLrConfig::new(0.0, 0.5, 1).init().unwrap_err().field(), "initial_lr");
    }

    #[test]
    fn deserializes_from_toml() {
        let config: StepDecayLrConfig =
            toml::from_str("initial_lr = 0.1\ngamma = 0.5\nstep_size = 100").unwrap();
        assert_eq!(config, StepDecayLrConfig::new(0.1, 0.5, 100));
    }
}
