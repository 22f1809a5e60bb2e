//! Escape time of one run by threshold, and the median over seeds with censoring.
//!
//! A run escapes at the first SGD step at which `m_V >= threshold`. Steps count from 1:
//! `m_v[i]` holds the value after `i + 1` steps, so index `i` is step `i + 1`. A run that
//! never gets there within its budget is censored (`None`), never dropped.

/// First step (counted from 1: index `i` is step `i + 1`) at which `m_v >= threshold`;
/// `None` when the curve never gets there (the run is censored at its budget).
///
/// A NaN value never counts as reaching the threshold.
pub fn escape_step(m_v: &[f64], threshold: f64) -> Option<usize> {
    m_v.iter().position(|&m| m >= threshold).map(|i| i + 1)
}

/// Median over seeds of the escape steps, a censored run (`None`) counting as +infinity.
///
/// With an even number of runs the median is the mean of the two middle values. Returns
/// `None` when the median is censored (one of the middle values is) or `steps` is empty.
pub fn median_escape(steps: &[Option<usize>]) -> Option<f64> {
    if steps.is_empty() {
        return None;
    }
    // Uncensored values sorted ascending, censored ones conceptually after them.
    let mut sorted: Vec<usize> = steps.iter().flatten().copied().collect();
    sorted.sort_unstable();
    let n = steps.len();
    let value_at = |k: usize| sorted.get(k).map(|&s| s as f64);
    if n % 2 == 1 {
        value_at(n / 2)
    } else {
        Some((value_at(n / 2 - 1)? + value_at(n / 2)?) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_i_is_step_i_plus_one() {
        // Reaches 0.5 first at index 2, that is after 3 steps.
        assert_eq!(escape_step(&[0.1, 0.4, 0.5, 0.9], 0.5), Some(3));
        // Already above at index 0: one step.
        assert_eq!(escape_step(&[0.7, 0.2], 0.5), Some(1));
    }

    #[test]
    fn first_crossing_counts_even_if_it_drops_back() {
        assert_eq!(escape_step(&[0.1, 0.6, 0.2, 0.8], 0.5), Some(2));
    }

    #[test]
    fn never_reaching_is_censored() {
        assert_eq!(escape_step(&[0.1, 0.2, 0.49], 0.5), None);
        assert_eq!(escape_step(&[], 0.5), None);
        assert_eq!(escape_step(&[f64::NAN, 0.3], 0.5), None);
    }

    #[test]
    fn median_of_uncensored_runs() {
        assert_eq!(median_escape(&[Some(30), Some(10), Some(20)]), Some(20.0));
        assert_eq!(median_escape(&[Some(30), Some(10), Some(20), Some(41)]), Some(25.0));
    }

    #[test]
    fn censored_runs_count_as_infinite() {
        // Sorted: 10, 20, inf -> median 20.
        assert_eq!(median_escape(&[None, Some(10), Some(20)]), Some(20.0));
        // Sorted: 10, inf, inf -> censored median.
        assert_eq!(median_escape(&[None, Some(10), None]), None);
        // Sorted: 10, 20, 30, inf -> (20 + 30) / 2.
        assert_eq!(median_escape(&[Some(30), None, Some(10), Some(20)]), Some(25.0));
        // Sorted: 10, 20, inf, inf -> one middle value censored.
        assert_eq!(median_escape(&[None, Some(20), None, Some(10)]), None);
        assert_eq!(median_escape(&[]), None);
    }
}
