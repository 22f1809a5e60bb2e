//! Shapes shared by the schedules: linear warmup, and linear or cosine interpolation,
//! plus the checks on learning-rate fields.

use serde::{Deserialize, Serialize};

use crate::ScheduleError;

/// How a learning rate moves from one value to another over a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecayShape {
    /// A straight line.
    #[default]
    Linear,
    /// Half a cosine period: flat at both ends, steepest in the middle.
    Cosine,
}

impl DecayShape {
    /// The value a fraction `progress` (clamped to `[0, 1]`) of the way from `from` to `to`.
    pub fn interpolate(self, from: f64, to: f64, progress: f64) -> f64 {
        let p = progress.clamp(0.0, 1.0);
        match self {
            Self::Linear => from + (to - from) * p,
            Self::Cosine => to + (from - to) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()),
        }
    }
}

/// Linear warmup from 0 at step 0 to `peak` at step `warmup_steps` (which must be >= 1).
pub(crate) fn warmup(step: usize, warmup_steps: usize, peak: f64) -> f64 {
    peak * step as f64 / warmup_steps as f64
}

/// Checks that `value` is finite and above 0.
pub(crate) fn check_positive(field: &str, value: f64) -> Result<(), ScheduleError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ScheduleError::out_of_range(field, "a finite number above 0", value))
    }
}

/// Checks that a floor `min_lr` lies in `[0, peak_lr]`.
pub(crate) fn check_floor(min_lr: f64, peak_lr: f64) -> Result<(), ScheduleError> {
    if min_lr.is_finite() && (0.0..=peak_lr).contains(&min_lr) {
        Ok(())
    } else {
        Err(ScheduleError::out_of_range(
            "min_lr",
            format!("between 0 and peak_lr ({peak_lr})"),
            min_lr,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_endpoints_and_middle() {
        for shape in [DecayShape::Linear, DecayShape::Cosine] {
            assert_eq!(shape.interpolate(1.0, 0.1, 0.0), 1.0);
            assert!((shape.interpolate(1.0, 0.1, 1.0) - 0.1).abs() < 1e-15);
            assert!((shape.interpolate(1.0, 0.0, 0.5) - 0.5).abs() < 1e-15);
            assert_eq!(shape.interpolate(1.0, 0.0, 2.0), shape.interpolate(1.0, 0.0, 1.0));
        }
        assert!(
            DecayShape::Cosine.interpolate(1.0, 0.0, 0.1)
                > DecayShape::Linear.interpolate(1.0, 0.0, 0.1)
        );
    }

    #[test]
    fn checks_name_the_field() {
        assert!(check_positive("lr", 0.1).is_ok());
        assert_eq!(
            check_positive("lr", 0.0).unwrap_err().to_string(),
            "lr must be a finite number above 0, got 0"
        );
        assert!(check_positive("lr", f64::NAN).is_err());
        assert!(check_positive("lr", f64::INFINITY).is_err());
        assert!(check_floor(0.0, 0.1).is_ok());
        assert!(check_floor(0.1, 0.1).is_ok());
        assert_eq!(
            check_floor(0.2, 0.1).unwrap_err().to_string(),
            "min_lr must be between 0 and peak_lr (0.1), got 0.2"
        );
        assert!(check_floor(-0.01, 0.1).is_err());
    }
}
