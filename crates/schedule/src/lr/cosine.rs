//! Cosine decay with linear warmup, down to a floor.
//!
//! `lr(t)` rises linearly from 0 at step 0 to `peak_lr` at step `warmup_steps`, then
//! follows half a cosine period down to `min_lr` at step `total_steps`, and stays there.
//!
//! ```
//! use goldilocks_schedule::{CosineLrConfig, LearningRateSchedule};
//!
//! let schedule = CosineLrConfig::new(0.1, 100).with_warmup_steps(10).with_min_lr(0.01).init().unwrap();
//! assert_eq!(schedule.lr(10), 0.1);
//! assert!((schedule.lr(55) - 0.055).abs() < 1e-12);
//! assert_eq!(schedule.lr(100), 0.01);
//! ```

use serde::{Deserialize, Serialize};

use super::shape::{check_floor, check_positive, warmup, DecayShape};
use super::LearningRateSchedule;
use crate::ScheduleError;

/// Configuration of [`CosineLr`]. TOML (as an [`LrScheduleConfig`](crate::LrScheduleConfig)):
/// `{ kind = "cosine", peak_lr = 0.1, total_steps = 1000, warmup_steps = 50, min_lr = 0.001 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosineLrConfig {
    /// The learning rate at the end of warmup; finite and above 0.
    pub peak_lr: f64,
    /// The step at which the decay reaches `min_lr`; at least 1.
    pub total_steps: usize,
    /// The length of the linear warmup; at most `total_steps`. Default: 0 (no warmup).
    #[serde(default)]
    pub warmup_steps: usize,
    /// The floor reached at `total_steps`; in `[0, peak_lr]`. Default: 0.
    #[serde(default)]
    pub min_lr: f64,
}

impl CosineLrConfig {
    /// A configuration without warmup that decays from `peak_lr` to 0 over `total_steps`.
    pub fn new(peak_lr: f64, total_steps: usize) -> Self {
        Self { peak_lr, total_steps, warmup_steps: 0, min_lr: 0.0 }
    }

    /// Sets the warmup length.
    pub fn with_warmup_steps(mut self, warmup_steps: usize) -> Self {
        self.warmup_steps = warmup_steps;
        self
    }

    /// Sets the floor.
    pub fn with_min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// Validates the configuration and builds the schedule.
    pub fn init(&self) -> Result<CosineLr, ScheduleError> {
        check_positive("peak_lr", self.peak_lr)?;
        if self.total_steps < 1 {
            return Err(ScheduleError::too_small("total_steps", 1, self.total_steps));
        }
        if self.warmup_steps > self.total_steps {
            return Err(ScheduleError::exceeds(
                "warmup_steps",
                self.warmup_steps,
                "total_steps",
                self.total_steps,
            ));
        }
        check_floor(self.min_lr, self.peak_lr)?;
        Ok(CosineLr { config: self.clone() })
    }
}

/// Cosine decay with linear warmup; built by [`CosineLrConfig::init`].
///
/// Endpoints: `lr(0) = 0` when there is a warmup, `lr(warmup_steps) = peak_lr`,
/// `lr(t) = min_lr` for `t >= total_steps`.
#[derive(Debug, Clone, PartialEq)]
pub struct CosineLr {
    config: CosineLrConfig,
}

impl LearningRateSchedule for CosineLr {
    fn lr(&self, step: usize) -> f64 {
        let CosineLrConfig { peak_lr, total_steps, warmup_steps, min_lr } = self.config;
        if warmup_steps > 0 && step <= warmup_steps {
            return warmup(step, warmup_steps, peak_lr);
        }
        if step >= total_steps {
            return min_lr;
        }
        let progress = (step - warmup_steps) as f64 / (total_steps - warmup_steps) as f64;
        DecayShape::Cosine.interpolate(peak_lr, min_lr, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{assert_close, assert_non_decreasing, assert_non_increasing};
    use super::*;

    #[test]
    fn warmup_endpoints_and_floor() {
        let s =
            CosineLrConfig::new(0.1, 100).with_warmup_steps(10).with_min_lr(0.01).init().unwrap();
        assert_eq!(s.lr(0), 0.0);
        assert_close(s.lr(1), 0.01);
        assert_close(s.lr(5), 0.05);
        assert_eq!(s.lr(10), 0.1);
        assert_close(s.lr(55), 0.055);
        assert_eq!(s.lr(100), 0.01);
        assert_eq!(s.lr(10_000), 0.01);
        assert_non_decreasing(&s, 0, 10);
        assert_non_increasing(&s, 10, 200);
    }

    #[test]
    fn without_warmup_starts_at_peak() {
        let s = CosineLrConfig::new(1.0, 4).init().unwrap();
        assert_eq!(s.lr(0), 1.0);
        assert_close(s.lr(2), 0.5);
        assert_eq!(s.lr(4), 0.0);
        assert_non_increasing(&s, 0, 10);
    }

    #[test]
    fn warmup_over_the_whole_run() {
        let s = CosineLrConfig::new(1.0, 4).with_warmup_steps(4).init().unwrap();
        assert_close(s.lr(2), 0.5);
        assert_eq!(s.lr(4), 1.0);
        assert_eq!(s.lr(5), 0.0);
    }

    #[test]
    fn validation_names_the_field() {
        let err = CosineLrConfig::new(0.1, 0).init().unwrap_err();
        assert_eq!(err.to_string(), "total_steps must be at least 1, got 0");
        let err = CosineLrConfig::new(0.1, 10).with_warmup_steps(11).init().unwrap_err();
        assert_eq!(err.to_string(), "warmup_steps must not exceed total_steps (10), got 11");
        let err = CosineLrConfig::new(0.0, 10).init().unwrap_err();
        assert_eq!(err.field(), "peak_lr");
        let err = CosineLrConfig::new(0.1, 10).with_min_lr(0.5).init().unwrap_err();
        assert_eq!(err.field(), "min_lr");
    }

    #[test]
    fn deserializes_from_toml() {
        let config: CosineLrConfig =
            toml::from_str("peak_lr = 0.1\ntotal_steps = 100\nwarmup_steps = 10").unwrap();
        assert_eq!(config, CosineLrConfig::new(0.1, 100).with_warmup_steps(10));
        assert!(toml::from_str::<CosineLrConfig>("peak_lr = 0.1").is_err());
    }
}
