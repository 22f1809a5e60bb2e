//! Confidence intervals for a mean over seeds: Student's t interval at 95 %.
//!
//! ```
//! use goldilocks_analysis::mean_interval;
//!
//! let interval = mean_interval(&[10.0, 12.0, 14.0]).unwrap();
//! assert_eq!(interval.mean, 12.0);
//! assert!((interval.half_width - 4.303 * 2.0 / 3f64.sqrt()).abs() < 1e-9);
//! ```

use serde::{Deserialize, Serialize};

/// A sample mean with its two-sided 95 % Student's t confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanInterval {
    /// The sample mean.
    pub mean: f64,
    /// Half the interval's width: t(0.975, n - 1) s / sqrt(n); 0 for a single value.
    pub half_width: f64,
    /// The number of values.
    pub n: usize,
}

impl MeanInterval {
    /// The lower end.
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    /// The upper end.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }
}

/// The mean of `values` with its 95 % t interval; `None` when `values` is empty or holds a
/// non-finite value. A single value has a zero half-width (no spread is known).
pub fn mean_interval(values: &[f64]) -> Option<MeanInterval> {
    let n = values.len();
    if n == 0 || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Some(MeanInterval { mean, half_width: 0.0, n });
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half_width = t_975(n - 1) * (variance / n as f64).sqrt();
    Some(MeanInterval { mean, half_width, n })
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (exact to 3 decimals up to
/// 30, then the normal quantile with a first-order correction).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        _ => 1.960 + 2.4 / df as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_matches_hand_computation() {
        let interval = mean_interval(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(interval.mean, 2.5);
        let s = (5.0f64 / 3.0).sqrt();
        assert!((interval.half_width - 3.182 * s / 2.0).abs() < 1e-12);
        assert!(interval.low() < 2.5 && interval.high() > 2.5);
        assert_eq!(mean_interval(&[7.0]).unwrap().half_width, 0.0);
        assert!(mean_interval(&[]).is_none());
        assert!(mean_interval(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn t_quantiles_decrease_towards_the_normal() {
        assert!((1..60).all(|df| t_975(df) > t_975(df + 1)));
        assert!((t_975(1000) - 1.96).abs() < 0.01);
    }
}
