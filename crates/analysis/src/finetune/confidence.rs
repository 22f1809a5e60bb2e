//! Confidence intervals over seeds: Student's t interval for a mean.

/// Two-sided 95% quantiles t_{0.975, df} of Student's t distribution for df = 1..=30.
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// The 0.975 quantile of Student's t with `df` degrees of freedom (normal beyond 30, with
/// the first-order correction 1.96 + 2.4 / df).
pub fn t_quantile_975(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T_975[df - 1],
        _ => 1.959_964 + 2.4 / df as f64,
    }
}

/// A mean with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanInterval {
    /// The sample mean.
    pub mean: f64,
    /// Lower end of the 95% interval (the mean when there is one value).
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// The mean of `values` with the 95% t interval mean +- t s / sqrt(n); None for no values.
/// With one value the interval is unknown and collapses to the value.
pub fn mean_interval(values: &[f64]) -> Option<MeanInterval> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Some(MeanInterval { mean, low: mean, high: mean });
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t_quantile_975(n - 1) * (variance / n as f64).sqrt();
    Some(MeanInterval { mean, low: mean - half, high: mean + half })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_of_a_known_sample() {
        // mean 5, sample sd 2.138..., n = 8: half width 2.365 * 2.138 / sqrt(8) = 1.7877.
        let values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let interval = mean_interval(&values).unwrap();
        assert_eq!(interval.mean, 5.0);
        let sd = (32.0f64 / 7.0).sqrt();
        let half = 2.365 * sd / 8f64.sqrt();
        assert!((interval.low - (5.0 - half)).abs() < 1e-12);
        assert!((interval.high - (5.0 + half)).abs() < 1e-12);
    }

    #[test]
    fn degenerate_samples() {
        assert_eq!(mean_interval(&[]), None);
        assert_eq!(mean_interval(&[3.0]), Some(MeanInterval { mean: 3.0, low: 3.0, high: 3.0 }));
        let same = mean_interval(&[2.0, 2.0, 2.0]).unwrap();
        assert_eq!((same.low, same.high), (2.0, 2.0));
    }

    #[test]
    fn quantiles_decrease_towards_the_normal() {
        assert!(t_quantile_975(1) > t_quantile_975(2));
        assert!((t_quantile_975(30) - 2.042).abs() < 1e-9);
        assert!(t_quantile_975(1000) > 1.96 && t_quantile_975(1000) < 1.963);
    }
}
