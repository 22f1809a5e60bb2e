//! Spread of the paper's statistic over subsets of seeds.
//!
//! The published numbers come from 3 seeds. To say how far a 3-seed value may fall from a
//! many-seed one, the paper's statistic is recomputed on subsets of `subset_size` seeds:
//! all of them when there are at most `max_subsets`, otherwise `max_subsets` subsets drawn
//! at random (with a deterministic [`SplitMix64`] stream), and summarised by two quantiles.

use goldilocks_theory::rng::SplitMix64;

use crate::paper_statistic::paper_time;

/// Linear-interpolation quantile of sorted data (the "linear" method of NumPy): the value
/// at position `q (n - 1)` of `sorted`, interpolated between its neighbours.
///
/// `q` is clamped to `[0, 1]`. Returns NaN when `sorted` is empty or `q` is NaN.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Number of `k`-subsets of `n` items, `None` when it does not fit in a `u128`.
pub fn binomial(n: usize, k: usize) -> Option<u128> {
    if k > n {
        return Some(0);
    }
    let k = k.min(n - k);
    let mut c: u128 = 1;
    for i in 0..k {
        // c * (n - i) / (i + 1) stays an integer at every step.
        c = c.checked_mul((n - i) as u128)? / (i as u128 + 1);
    }
    Some(c)
}

/// The paper's statistic of every considered subset of `subset_size` curves, sorted
/// ascending; subsets whose statistic is undefined are left out.
///
/// All subsets are enumerated (in lexicographic order) when their number is at most
/// `max_subsets`; otherwise `max_subsets` subsets are drawn independently at random, each a
/// uniform `subset_size`-subset, from a [`SplitMix64`] stream seeded with `seed`. Empty when
/// `subset_size` is 0, exceeds the number of curves, or `max_subsets` is 0.
pub fn subset_statistics(
    curves: &[&[f64]],
    mu: f64,
    half_width: f64,
    subset_size: usize,
    max_subsets: usize,
    seed: u64,
) -> Vec<f64> {
    let n = curves.len();
    let k = subset_size;
    let mut values = Vec::new();
    if k == 0 || k > n || max_subsets == 0 {
        return values;
    }
    let mut evaluate = |indices: &[usize]| {
        let subset: Vec<&[f64]> = indices.iter().map(|&i| curves[i]).collect();
        if let Some(t) = paper_time(&subset, mu, half_width) {
            values.push(t);
        }
    };
    match binomial(n, k) {
        Some(count) if count <= max_subsets as u128 => {
            let mut indices: Vec<usize> = (0..k).collect();
            loop {
                evaluate(&indices);
                if !next_combination(&mut indices, n) {
                    break;
                }
            }
        }
        _ => {
            let mut rng = SplitMix64::new(seed);
            let mut pool: Vec<usize> = (0..n).collect();
            for _ in 0..max_subsets {
                // Partial Fisher-Yates: the first k entries become a uniform k-subset.
                for j in 0..k {
                    let pick = j + rng.below(n - j);
                    pool.swap(j, pick);
                }
                let mut indices = pool[..k].to_vec();
                // Canonical order, so that the float sums do not depend on the draw order.
                indices.sort_unstable();
                evaluate(&indices);
            }
        }
    }
    values.sort_by(f64::total_cmp);
    values
}

/// The `quantiles.0` and `quantiles.1` points (e.g. `(0.05, 0.95)`) of the paper's
/// statistic over subsets of `subset_size` seeds (see [`subset_statistics`] for which
/// subsets), by [`quantile`].
///
/// Subsets whose statistic is undefined are skipped; `None` when none is defined or there
/// are fewer curves than `subset_size`.
pub fn subset_interval(
    curves: &[&[f64]],
    mu: f64,
    half_width: f64,
    subset_size: usize,
    quantiles: (f64, f64),
    max_subsets: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    let values = subset_statistics(curves, mu, half_width, subset_size, max_subsets, seed);
    if values.is_empty() {
        return None;
    }
    Some((quantile(&values, quantiles.0), quantile(&values, quantiles.1)))
}

/// Advances `indices` (strictly increasing, each below `n`) to the next combination in
/// lexicographic order; `false` when it was the last one.
fn next_combination(indices: &mut [usize], n: usize) -> bool {
    let k = indices.len();
    let mut i = k;
    while i > 0 {
        i -= 1;
        if indices[i] < n - k + i {
            indices[i] += 1;
            for j in i + 1..k {
                indices[j] = indices[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible family of noisy increasing curves: curve `s` rises like a logistic
    /// with a seed-dependent delay, sampled with a deterministic jitter.
    fn curves(count: usize, len: usize) -> Vec<Vec<f64>> {
        let mut rng = SplitMix64::new(2024);
        (0..count)
            .map(|_| {
                let delay = 20.0 + (rng.below(1000) as f64) / 25.0;
                (0..len)
                    .map(|i| {
                        let jitter = (rng.below(1000) as f64 / 1000.0 - 0.5) * 0.02;
                        1.0 / (1.0 + (-(i as f64 - delay) / 6.0).exp()) + jitter
                    })
                    .collect()
            })
            .collect()
    }

    fn refs(curves: &[Vec<f64>]) -> Vec<&[f64]> {
        curves.iter().map(|c| c.as_slice()).collect()
    }

    #[test]
    fn quantile_interpolates_linearly() {
        let x = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile(&x, 0.0), 1.0);
        assert_eq!(quantile(&x, 1.0), 8.0);
        // Position 0.5 * 3 = 1.5: halfway between 2 and 4.
        assert!((quantile(&x, 0.5) - 3.0).abs() < 1e-12);
        // Position 0.9 * 3 = 2.7: 4 + 0.7 * 4.
        assert!((quantile(&x, 0.9) - 6.8).abs() < 1e-12);
        assert_eq!(quantile(&[5.0], 0.3), 5.0);
        assert!(quantile(&[], 0.5).is_nan());
        assert_eq!(quantile(&x, 1.5), 8.0);
    }

    #[test]
    fn binomial_counts() {
        assert_eq!(binomial(12, 3), Some(220));
        assert_eq!(binomial(24, 3), Some(2024));
        assert_eq!(binomial(3, 3), Some(1));
        assert_eq!(binomial(2, 3), Some(0));
        assert_eq!(binomial(5, 0), Some(1));
        assert_eq!(binomial(1000, 500), None);
    }

    #[test]
    fn enumeration_visits_every_combination_once() {
        let mut idx = vec![0, 1, 2];
        let mut seen = vec![idx.clone()];
        while next_combination(&mut idx, 5) {
            seen.push(idx.clone());
        }
        assert_eq!(seen.len(), 10);
        assert_eq!(seen[1], vec![0, 1, 3]);
        assert_eq!(seen.last().unwrap(), &vec![2, 3, 4]);
    }

    #[test]
    fn three_curves_give_a_single_subset() {
        let c = curves(3, 200);
        let c = refs(&c);
        let all = paper_time(&c, 0.5, 0.05).unwrap();
        let (lo, hi) = subset_interval(&c, 0.5, 0.05, 3, (0.05, 0.95), 1000, 1).unwrap();
        assert_eq!(lo, all);
        assert_eq!(hi, all);
    }

    #[test]
    fn twelve_curves_match_brute_force() {
        let c = curves(12, 200);
        let c = refs(&c);
        let mut brute = Vec::new();
        for a in 0..12 {
            for b in a + 1..12 {
                for d in b + 1..12 {
                    if let Some(t) = paper_time(&[c[a], c[b], c[d]], 0.5, 0.05) {
                        brute.push(t);
                    }
                }
            }
        }
        assert_eq!(brute.len(), 220);
        brute.sort_by(f64::total_cmp);
        let values = subset_statistics(&c, 0.5, 0.05, 3, 220, 9);
        assert_eq!(values, brute);
        let (lo, hi) = subset_interval(&c, 0.5, 0.05, 3, (0.05, 0.95), 220, 9).unwrap();
        assert_eq!(lo, quantile(&brute, 0.05));
        assert_eq!(hi, quantile(&brute, 0.95));
        assert!(lo < hi, "the curves differ, so the subsets should too");
    }

    #[test]
    fn random_subsets_are_deterministic_and_valid() {
        let c = curves(12, 200);
        let c = refs(&c);
        // 220 subsets exist; asking for at most 50 forces random draws.
        let a = subset_statistics(&c, 0.5, 0.05, 3, 50, 11);
        let b = subset_statistics(&c, 0.5, 0.05, 3, 50, 11);
        assert_eq!(a.len(), 50);
        assert_eq!(a, b);
        let other_seed = subset_statistics(&c, 0.5, 0.05, 3, 50, 12);
        assert_ne!(a, other_seed);
        // Every drawn value is the statistic of some true 3-subset.
        let all = subset_statistics(&c, 0.5, 0.05, 3, 220, 0);
        assert!(a.iter().all(|v| all.contains(v)));
    }

    #[test]
    fn undefined_cases() {
        let c = curves(2, 50);
        let c = refs(&c);
        assert_eq!(subset_interval(&c, 0.5, 0.05, 3, (0.05, 0.95), 100, 0), None);
        // A band the curves never reach: every subset undefined.
        let flat = [0.0; 10];
        let f: Vec<&[f64]> = vec![&flat; 4];
        assert_eq!(subset_interval(&f, 0.5, 0.05, 3, (0.05, 0.95), 100, 0), None);
        assert_eq!(subset_interval(&f, 0.5, 0.05, 0, (0.05, 0.95), 100, 0), None);
    }

    #[test]
    fn subsets_with_undefined_statistic_are_skipped() {
        // Curves 0..3 sit at 0.5 (defined), curve 3 at 1.0: any subset holding it averages
        // to at least 0.66, outside [0.45, 0.55].
        let good = [0.5; 6];
        let bad = [1.0; 6];
        let c: Vec<&[f64]> = vec![&good, &good, &good, &bad];
        let values = subset_statistics(&c, 0.5, 0.05, 3, 100, 0);
        assert_eq!(values, vec![2.5]);
    }
}
