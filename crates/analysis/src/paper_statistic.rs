//! The paper's escape-time statistic (`shared/design/model.md`, "Escape time").
//!
//! The published figure does not use per-run escape times: it averages the `m_V` curves
//! over seeds index by index, then takes the mean of the indices `i` (0-based; index `i`
//! holds the value after `i + 1` steps) at which that average lies within
//! `[mu - half_width, mu + half_width]` (the paper uses `half_width = 0.05`).

/// Average of the curves over seeds, index by index, over their common length (the
/// shortest curve). Empty when there are no curves or one of them is empty.
pub fn seed_average(curves: &[&[f64]]) -> Vec<f64> {
    let len = curves.iter().map(|c| c.len()).min().unwrap_or(0);
    let count = curves.len() as f64;
    (0..len).map(|i| curves.iter().map(|c| c[i]).sum::<f64>() / count).collect()
}

/// The paper's statistic: average the curves over seeds index by index (over the common
/// length, the shortest curve), then return the mean of the indices `i` (0-based) at which
/// the average lies within `[mu - half_width, mu + half_width]`; `None` when no index does.
pub fn paper_time(curves: &[&[f64]], mu: f64, half_width: f64) -> Option<f64> {
    let (lo, hi) = (mu - half_width, mu + half_width);
    let (sum, count) = seed_average(curves)
        .iter()
        .enumerate()
        .filter(|(_, &m)| m >= lo && m <= hi)
        .fold((0.0, 0usize), |(s, c), (i, _)| (s + i as f64, c + 1));
    (count > 0).then(|| sum / count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// m[i] = 0.01 (i + 1), the value after i + 1 steps.
    fn ramp(len: usize) -> Vec<f64> {
        (0..len).map(|i| 0.01 * (i + 1) as f64).collect()
    }

    #[test]
    fn linear_ramp_known_by_hand() {
        let m = ramp(100);
        // Band [0.055, 0.145] holds 0.06 ... 0.14, that is indices 5 ..= 13: mean 9.
        let t = paper_time(&[&m], 0.1, 0.045).unwrap();
        assert!((t - 9.0).abs() < 1e-12, "{t}");
        // Band [0.455, 0.545] holds 0.46 ... 0.54, indices 45 ..= 53: mean 49.
        let t = paper_time(&[&m], 0.5, 0.045).unwrap();
        assert!((t - 49.0).abs() < 1e-12, "{t}");
    }

    #[test]
    fn no_index_in_band_is_undefined() {
        let m = ramp(10); // reaches 0.1 at most
        assert_eq!(paper_time(&[&m], 0.5, 0.05), None);
        assert_eq!(paper_time(&[], 0.5, 0.05), None);
    }

    #[test]
    fn curves_are_averaged_before_the_band_is_applied() {
        // Each curve alone is never in [0.45, 0.55]; their average is 0.5 at every index.
        let a = [0.2, 0.2, 0.2, 0.2];
        let b = [0.8, 0.8, 0.8, 0.8];
        assert_eq!(paper_time(&[&a], 0.5, 0.05), None);
        let t = paper_time(&[&a, &b], 0.5, 0.05).unwrap();
        assert!((t - 1.5).abs() < 1e-12, "{t}");
    }

    #[test]
    fn unequal_lengths_use_the_shortest_curve() {
        let long = [0.0, 0.0, 0.2, 0.4, 0.6, 0.8];
        let short = [0.0, 0.2, 0.4, 0.6];
        let avg = seed_average(&[&long, &short]);
        assert_eq!(avg.len(), 4);
        let expected = [0.0, 0.1, 0.3, 0.5];
        for (a, e) in avg.iter().zip(expected) {
            assert!((a - e).abs() < 1e-12, "{avg:?}");
        }
        // Only index 3 (average 0.5) is within [0.45, 0.55]; index 4 of `long` is ignored.
        let t = paper_time(&[&long, &short], 0.5, 0.05).unwrap();
        assert!((t - 3.0).abs() < 1e-12, "{t}");
    }
}
