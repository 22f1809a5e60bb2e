//! Warmup-stable-decay (WSD): linear warmup, a long flat phase at the peak, then a short
//! linear or cosine decay to a floor at the end.
//!
//! ```
//! use goldilocks_schedule::{DecayShape, LearningRateSchedule, WarmupStableDecayLrConfig};
//!
//! let config = WarmupStableDecayLrConfig::new(0.1, 100, 20).with_warmup_steps(10);
//! let schedule = config.init().unwrap();
//! assert_eq!(schedule.lr(10), 0.1); // end of warmup
//! assert_eq!(schedule.lr(80), 0.1); // end of the stable phase
//! assert!((schedule.lr(90) - 0.05).abs() < 1e-12); // halfway through the linear decay
//! assert_eq!(schedule.lr(100), 0.0);
//! ```

use serde::{Deserialize, Serialize};

use super::shape::{check_floor, check_positive, warmup, DecayShape};
use super::LearningRateSchedule;
use crate::ScheduleError;

/// Configuration of [`WarmupStableDecayLr`]. TOML (as an
/// [`LrScheduleConfig`](crate::LrScheduleConfig)): `{ kind = "wsd", peak_lr = 0.1,
/// total_steps = 1000, warmup_steps = 50, decay_steps = 200, decay = "cosine" }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarmupStableDecayLrConfig {
    /// The learning rate of the stable phase; finite and above 0.
    pub peak_lr: f64,
    /// The step at which the decay reaches `min_lr`; at least 1.
    pub total_steps: usize,
    /// The length of the final decay; at least 1, and `warmup_steps + decay_steps` at most
    /// `total_steps`.
    pub decay_steps: usize,
    /// The length of the linear warmup. Default: 0.
    #[serde(default)]
    pub warmup_steps: usize,
    /// The floor reached at `total_steps`; in `[0, peak_lr]`. Default: 0.
    #[serde(default)]
    pub min_lr: f64,
    /// The shape of the decay. Default: linear.
    #[serde(default)]
    pub decay: DecayShape,
}

impl WarmupStableDecayLrConfig {
    /// A configuration without warmup, decaying linearly to 0 over the last `decay_steps`.
    pub fn new(peak_lr: f64, total_steps: usize, decay_steps: usize) -> Self {
        Self {
            peak_lr,
            total_steps,
            decay_steps,
            warmup_steps: 0,
            min_lr: 0.0,
            decay: DecayShape::Linear,
        }
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

    /// Sets the shape of the decay.
    pub fn with_decay(mut self, decay: DecayShape) -> Self {
        self.decay = decay;
        self
    }

    /// Validates the configuration and builds the schedule.
    pub fn init(&self) -> Result<WarmupStableDecayLr, ScheduleError> {
        check_positive("peak_lr", self.peak_lr)?;
        if self.total_steps < 1 {
            return Err(ScheduleError::too_small("total_steps", 1, self.total_steps));
        }
        if self.decay_steps < 1 {
            return Err(ScheduleError::too_small("decay_steps", 1, self.decay_steps));
        }
        let used = self.warmup_steps.saturating_add(self.decay_steps);
        if used > self.total_steps {
            return Err(ScheduleError::exceeds(
                "warmup_steps + decay_steps",
                used,
                "total_steps",
                self.total_steps,
            ));
        }
        check_floor(self.min_lr, self.peak_lr)?;
        Ok(WarmupStableDecayLr { config: self.clone() })
    }
}

/// Warmup-stable-decay; built by [`WarmupStableDecayLrConfig::init`].
///
/// Endpoints: `lr(0) = 0` when there is a warmup, `lr(t) = peak_lr` for
/// `warmup_steps <= t <= total_steps - decay_steps`, `lr(t) = min_lr` for `t >= total_steps`.
#[derive(Debug, Clone, PartialEq)]
pub struct WarmupStableDecayLr {
    config: WarmupStableDecayLrConfig,
}

impl LearningRateSchedule for WarmupStableDecayLr {
    fn lr(&self, step: usize) -> f64 {
        let c = &self.config;
        if c.warmup_steps > 0 && step <= c.warmup_steps {
            return warmup(step, c.warmup_steps, c.peak_lr);
        }
        let decay_start = c.total_steps - c.decay_steps;
        if step <= decay_start {
            return c.peak_lr;
        }
        if step >= c.total_steps {
            return c.min_lr;
        }
        let progress = (step - decay_start) as f64 / c.decay_steps as f64;
        c.decay.interpolate(c.peak_lr, c.min_lr, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{assert_close, assert_non_decreasing, assert_non_increasing};
    use super::*;

    #[test]
    fn phases_and_endpoints() {
        let s = WarmupStableDecayLrConfig::new(0.1, 100, 20)
            .with_warmup_steps(10)
            .with_min_lr(0.02)
            .init()
            .unwrap();
        assert_eq!(s.lr(0), 0.0);
        assert_close(s.lr(5), 0.05);
        assert_eq!(s.lr(10), 0.1);
        assert_eq!(s.lr(50), 0.1);
        assert_eq!(s.lr(80), 0.1);
        assert_close(s.lr(90), 0.06);
        assert_eq!(s.lr(100), 0.02);
        assert_eq!(s.lr(1000), 0.02);
        assert_non_decreasing(&s, 0, 10);
        assert_non_increasing(&s, 10, 150);
    }

    #[test]
    fn cosine_decay() {
        let s = WarmupStableDecayLrConfig::new(1.0, 10, 4)
            .with_decay(DecayShape::Cosine)
            .init()
            .unwrap();
        assert_eq!(s.lr(0), 1.0);
        assert_eq!(s.lr(6), 1.0);
        assert_close(s.lr(8), 0.5);
        assert!(s.lr(7) > 0.75, "cosine decays slower than linear at first");
        assert_eq!(s.lr(10), 0.0);
        assert_non_increasing(&s, 0, 12);
    }

    #[test]
    fn decay_over_the_whole_run() {
        let s = WarmupStableDecayLrConfig::new(1.0, 4, 4).init().unwrap();
        assert_eq!(s.lr(0), 1.0);
        assert_close(s.lr(1), 0.75);
        assert_eq!(s.lr(4), 0.0);
    }

    #[test]
    fn validation_names_the_field() {
        let err = WarmupStableDecayLrConfig::new(0.1, 100, 0).init().unwrap_err();
        assert_eq!(err.to_string(), "decay_steps must be at least 1, got 0");
        let err =
            WarmupStableDecayLrConfig::new(0.1, 100, 60).with_warmup_steps(50).init().unwrap_err();
        assert_eq!(
            err.to_string(),
            "warmup_steps + decay_steps must not exceed total_steps (100), got 110"
        );
        let err = WarmupStableDecayLrConfig::new(0.1, 0, 1).init().unwrap_err();
        assert_eq!(err.field(), "total_steps");
        let err = WarmupStableDecayLrConfig::new(f64::INFINITY, 10, 1).init().unwrap_err();
        assert_eq!(err.field(), "peak_lr");
        let err = WarmupStableDecayLrConfig::new(0.1, 10, 1).with_min_lr(-1.0).init().unwrap_err();
        assert_eq!(err.field(), "min_lr");
    }

    #[test]
    fn deserializes_from_toml() {
        let config: WarmupStableDecayLrConfig = toml::from_str(
            "peak_lr = 0.1\ntotal_steps = 100\ndecay_steps = 20\ndecay = \"cosine\"",
        )
        .unwrap();
        assert_eq!(
            config,
            WarmupStableDecayLrConfig::new(0.1, 100, 20).with_decay(DecayShape::Cosine)
        );
        assert!(toml::from_str::<WarmupStableDecayLrConfig>(
            "peak_lr = 0.1\ntotal_steps = 100\ndecay_steps = 20\ndecay = \"exponential\""
        )
        .is_err());
    }
}
