//! The constant learning rate.
//!
//! ```
//! use goldilocks_schedule::{ConstantLrConfig, LearningRateSchedule};
//!
//! let schedule = ConstantLrConfig::new(0.05).init().unwrap();
//! assert_eq!(schedule.lr(1), 0.05);
//! assert_eq!(schedule.lr(1_000_000), 0.05);
//! ```

use serde::{Deserialize, Serialize};

use super::shape::check_positive;
use super::LearningRateSchedule;
use crate::ScheduleError;

/// Configuration of [`ConstantLr`]. TOML: `{ kind = "constant", lr = 0.05 }` (as an
/// [`LrScheduleConfig`](crate::LrScheduleConfig)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstantLrConfig {
    /// The learning rate; finite and above 0.
    pub lr: f64,
}

impl ConstantLrConfig {
    /// A configuration with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self { lr }
    }

    /// Validates the configuration and builds the schedule.
    pub fn init(&self) -> Result<ConstantLr, ScheduleError> {
        check_positive("lr", self.lr)?;
        Ok(ConstantLr { lr: self.lr })
    }
}

/// The same learning rate at every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstantLr {
    lr: f64,
}

impl LearningRateSchedule for ConstantLr {
    fn lr(&self, _step: usize) -> f64 {
        self.lr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_constant() {
        let schedule = ConstantLrConfig::new(0.3).init().unwrap();
        for step in [0, 1, 2, 100, usize::MAX] {
            assert_eq!(schedule.lr(step), 0.3);
        }
    }

    #[test]
    fn rejects_bad_lr() {
        let err = ConstantLrConfig::new(-1.0).init().unwrap_err();
        assert_eq!(err.field(), "lr");
        assert_eq!(err.to_string(), "lr must be a finite number above 0, got -1");
        assert!(ConstantLrConfig::new(f64::NAN).init().is_err());
    }

    #[test]
    fn deserializes_from_toml() {
        let config: ConstantLrConfig = toml::from_str("lr = 0.25").unwrap();
        assert_eq!(config, ConstantLrConfig::new(0.25));
        assert!(toml::from_str::<ConstantLrConfig>("rate = 0.25").is_err());
    }
}
