//! Any of the learning-rate schedules, picked by `kind` in a config file.
//!
//! ```
//! use goldilocks_schedule::{LearningRateSchedule, LrScheduleConfig};
//!
//! #[derive(serde::Deserialize)]
//! struct Config {
//!     lr: LrScheduleConfig,
//! }
//! # let text = r#"lr = { kind = "cosine", peak_lr = 0.1, total_steps = 100, warmup_steps = 10 }"#;
//! # let config: Config = toml::from_str(text).unwrap();
//! let schedule = config.lr.init().unwrap();
//! assert_eq!(schedule.lr(10), 0.1);
//! ```

use serde::{Deserialize, Serialize};

use super::{
    ConstantLr, ConstantLrConfig, CosineLr, CosineLrConfig, LearningRateSchedule, StepDecayLr,
    StepDecayLrConfig, WarmupStableDecayLr, WarmupStableDecayLrConfig,
};
use crate::ScheduleError;

/// The configuration of any learning-rate schedule, internally tagged by `kind`:
/// `"constant"`, `"cosine"`, `"wsd"` (alias `"warmup_stable_decay"`) or `"step"` (alias
/// `"step_decay"`); the other keys are those of the schedule's config struct.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrScheduleConfig {
    /// See [`ConstantLrConfig`].
    Constant(ConstantLrConfig),
    /// See [`CosineLrConfig`].
    Cosine(CosineLrConfig),
    /// See [`WarmupStableDecayLrConfig`].
    #[serde(rename = "wsd", alias = "warmup_stable_decay")]
    WarmupStableDecay(WarmupStableDecayLrConfig),
    /// See [`StepDecayLrConfig`].
    #[serde(rename = "step", alias = "step_decay")]
    StepDecay(StepDecayLrConfig),
}

impl LrScheduleConfig {
    /// Validates the configuration and builds the schedule.
    pub fn init(&self) -> Result<LrSchedule, ScheduleError> {
        Ok(match self {
            Self::Constant(c) => LrSchedule::Constant(c.init()?),
            Self::Cosine(c) => LrSchedule::Cosine(c.init()?),
            Self::WarmupStableDecay(c) => LrSchedule::WarmupStableDecay(c.init()?),
            Self::StepDecay(c) => LrSchedule::StepDecay(c.init()?),
        })
    }
}

/// Any validated learning-rate schedule; built by [`LrScheduleConfig::init`].
#[derive(Debug, Clone, PartialEq)]
pub enum LrSchedule {
    /// A constant learning rate.
    Constant(ConstantLr),
    /// Cosine decay with warmup.
    Cosine(CosineLr),
    /// Warmup-stable-decay.
    WarmupStableDecay(WarmupStableDecayLr),
    /// Step decay.
    StepDecay(StepDecayLr),
}

impl LearningRateSchedule for LrSchedule {
    fn lr(&self, step: usize) -> f64 {
        match self {
            Self::Constant(s) => s.lr(step),
            Self::Cosine(s) => s.lr(step),
            Self::WarmupStableDecay(s) => s.lr(step),
            Self::StepDecay(s) => s.lr(step),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DecayShape;

    #[derive(Debug, Deserialize)]
    struct Holder {
        lr: LrScheduleConfig,
    }

    fn parse(text: &str) -> Result<LrScheduleConfig, toml::de::Error> {
        toml::from_str::<Holder>(text).map(|h| h.lr)
    }

    #[test]
    fn every_kind_deserializes() {
        assert_eq!(
            parse(r#"lr = { kind = "constant", lr = 0.1 }"#).unwrap(),
            LrScheduleConfig::Constant(ConstantLrConfig::new(0.1))
        );
        assert_eq!(
            parse(r#"lr = { kind = "cosine", peak_lr = 0.1, total_steps = 100, warmup_steps = 5, min_lr = 0.01 }"#)
                .unwrap(),
            LrScheduleConfig::Cosine(CosineLrConfig::new(0.1, 100).with_warmup_steps(5).with_min_lr(0.01))
        );
        let wsd = LrScheduleConfig::WarmupStableDecay(
            WarmupStableDecayLrConfig::new(0.1, 100, 10).with_decay(DecayShape::Cosine),
        );
        assert_eq!(
            parse(r#"lr = { kind = "wsd", peak_lr = 0.1, total_steps = 100, decay_steps = 10, decay = "cosine" }"#)
                .unwrap(),
            wsd
        );
        assert_eq!(
            parse(r#"lr = { kind = "warmup_stable_decay", peak_lr = 0.1, total_steps = 100, decay_steps = 10, decay = "cosine" }"#)
                .unwrap(),
            wsd
        );
        assert_eq!(
            parse(r#"lr = { kind = "step", initial_lr = 0.1, gamma = 0.5, step_size = 10 }"#)
                .unwrap(),
            LrScheduleConfig::StepDecay(StepDecayLrConfig::new(0.1, 0.5, 10))
        );
    }

    #[test]
    fn unknown_kinds_and_fields_are_errors() {
        assert!(parse(r#"lr = { kind = "exponential", lr = 0.1 }"#).is_err());
        let typo = parse(r#"lr = { kind = "constant", learning_rate = 0.1 }"#);
        assert!(typo.is_err(), "{typo:?}");
    }

    #[test]
    fn init_validates_and_dispatches() {
        let config =
            parse(r#"lr = { kind = "step", initial_lr = 1.0, gamma = 0.5, step_size = 2 }"#)
                .unwrap();
        let schedule = config.init().unwrap();
        assert_eq!(schedule.lr(3), 0.5);
        let bad = parse(
            r#"lr = { kind = "cosine", peak_lr = 0.1, total_steps = 10, warmup_steps = 20 }"#,
        )
        .unwrap();
        assert_eq!(
            bad.init().unwrap_err().to_string(),
            "warmup_steps must not exceed total_steps (10), got 20"
        );
    }
}
