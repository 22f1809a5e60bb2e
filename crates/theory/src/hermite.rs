//! Probabilists' Hermite polynomials `He_k` and their scaled versions `He_k^[r]`.
//!
//! `He_0 = 1`, `He_1 = x`, `He_{k+1}(x) = x He_k(x) - k He_{k-1}(x)`; they are orthogonal
//! under `N(0, 1)` with `E[He_j(Z) He_k(Z)] = k! delta_jk`. The scaled family
//! `He_k^[r](x) = r^{k/2} He_k(x / sqrt(r))` is orthogonal under `N(0, r)` with
//! `E[He_j^[r](X) He_k^[r](X)] = r^k k! delta_jk`; it obeys
//! `He_{k+1}^[r](x) = x He_k^[r](x) - k r He_{k-1}^[r](x)`, which is how it is evaluated
//! here (no division by `sqrt(r)`, so `r -> 0` is harmless and gives `x^k`).

/// Probabilists' Hermite polynomial `He_k(x)`, by the three-term recurrence.
pub fn hermite(k: usize, x: f64) -> f64 {
    scaled_hermite(k, 1.0, x)
}

/// Scaled Hermite polynomial `He_k^[r](x) = r^{k/2} He_k(x / sqrt(r))`, orthogonal under
/// `N(0, r)`; evaluated by `He_{k+1}^[r] = x He_k^[r] - k r He_{k-1}^[r]`, valid for any
/// `r >= 0` (at `r = 0` it is `x^k`).
pub fn scaled_hermite(k: usize, r: f64, x: f64) -> f64 {
    let mut previous = 1.0; // He_0
    if k == 0 {
        return previous;
    }
    let mut current = x; // He_1
    for j in 1..k {
        let next = x * current - (j as f64) * r * previous;
        previous = current;
        current = next;
    }
    current
}

/// Fills `out[k] = He_k(x)` for `k = 0..out.len()` in one pass of the recurrence.
pub fn hermite_sequence(x: f64, out: &mut [f64]) {
    if out.is_empty() {
        return;
    }
    out[0] = 1.0;
    if out.len() > 1 {
        out[1] = x;
    }
    for k in 2..out.len() {
        out[k] = x * out[k - 1] - ((k - 1) as f64) * out[k - 2];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_degrees_match_explicit_polynomials() {
        for &x in &[-2.5, -1.0, 0.0, 0.3, 1.7, 4.0] {
            let x2 = x * x;
            assert_eq!(hermite(0, x), 1.0);
            assert_eq!(hermite(1, x), x);
            assert!((hermite(2, x) - (x2 - 1.0)).abs() < 1e-12);
            assert!((hermite(3, x) - (x2 * x - 3.0 * x)).abs() < 1e-12);
            assert!((hermite(4, x) - (x2 * x2 - 6.0 * x2 + 3.0)).abs() < 1e-11);
        }
    }

    #[test]
    fn scaled_matches_definition() {
        for &r in &[0.01_f64, 0.25, 0.81, 1.0, 2.0] {
            for &x in &[-1.3, 0.2, 0.9] {
                for k in 0..8 {
                    let direct = r.powf(k as f64 / 2.0) * hermite(k, x / r.sqrt());
                    let recurrence = scaled_hermite(k, r, x);
                    assert!((direct - recurrence).abs() <= 1e-12 * (1.0 + direct.abs()));
                }
            }
        }
        assert_eq!(scaled_hermite(3, 0.0, 2.0), 8.0);
    }

    #[test]
    fn sequence_matches_single_evaluations() {
        let mut out = [0.0; 12];
        hermite_sequence(1.37, &mut out);
        for (k, value) in out.iter().enumerate() {
            assert!((value - hermite(k, 1.37)).abs() <= 1e-12 * (1.0 + value.abs()));
        }
    }
}
