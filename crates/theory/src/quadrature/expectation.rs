//! Gaussian expectations `E[f(Z)]`, `Z ~ N(0, var)`, by Gauss-Hermite quadrature for
//! smooth `f` or by adaptive Gauss-Kronrod quadrature split at 0 for `f` with kinks or
//! jumps at 0 (relu, sign, a step).
//!
//! Everything is integrated in the standard variable: `E[f(X)] = E[f(sqrt(var) Z')]` with
//! `Z'` standard normal, so a small variance never divides anything and a kink of `f` at 0
//! stays at 0.

use super::gauss_hermite::GaussHermite;
use super::gauss_kronrod::{integrate_adaptive, AdaptiveOptions};

/// Half-width of the standard-normal range integrated by the adaptive rule: the density
/// at 40 is `exp(-800)`, which is zero in `f64`, so polynomial growth cannot matter.
const ADAPTIVE_RANGE: f64 = 40.0;
/// Initial cuts of the adaptive rule (standard-normal scale), 0 among them.
const ADAPTIVE_CUTS: [f64; 13] =
    [-ADAPTIVE_RANGE, -12.0, -6.0, -3.0, -1.5, -0.5, 0.0, 0.5, 1.5, 3.0, 6.0, 12.0, ADAPTIVE_RANGE];

/// `E[f(Z)]` for `Z ~ N(0, var)`.
///
/// Smooth `f` (`non_smooth = false`): an `nodes`-point Gauss-Hermite rule, exact for
/// polynomials of degree below `2 nodes`. `non_smooth = true`: adaptive Gauss-Kronrod on
/// each side of 0 (relative accuracy about 1e-13 of `E|f|`); `nodes` is then unused.
/// `var = 0` gives `f(0)`; a negative or non-finite `var`, or `nodes = 0` with a smooth
/// `f`, gives NaN.
pub fn gaussian_expectation(
    f: &dyn Fn(f64) -> f64,
    var: f64,
    non_smooth: bool,
    nodes: usize,
) -> f64 {
    if !(var.is_finite() && var >= 0.0) {
        return f64::NAN;
    }
    if var == 0.0 {
        return f(0.0);
    }
    let sd = var.sqrt();
    let scaled = |z: f64| f(sd * z);
    if non_smooth {
        piecewise_standard_expectation(&scaled)
    } else if nodes == 0 {
        f64::NAN
    } else {
        GaussHermite::new(nodes).expectation(&scaled)
    }
}

/// `E[f(Z)]` for `Z ~ N(0, 1)` with a prebuilt Gauss-Hermite `rule` (smooth `f`), or by
/// adaptive quadrature split at 0 when `non_smooth`; the way [`tau`](crate::tau::tau)
/// evaluates all its coefficients without rebuilding the rule.
pub fn standard_gaussian_expectation(
    f: &dyn Fn(f64) -> f64,
    non_smooth: bool,
    rule: &GaussHermite,
) -> f64 {
    if non_smooth {
        piecewise_standard_expectation(f)
    } else {
        rule.expectation(f)
    }
}

/// `E[f(Z)]`, `Z ~ N(0, 1)`, by adaptive Gauss-Kronrod on `[-40, 40]` cut at 0.
fn piecewise_standard_expectation(f: &dyn Fn(f64) -> f64) -> f64 {
    let inv_sqrt_2pi = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    let integrand = |z: f64| {
        let density = (-0.5 * z * z).exp();
        if density == 0.0 {
            0.0
        } else {
            f(z) * density * inv_sqrt_2pi
        }
    };
    integrate_adaptive(&integrand, &ADAPTIVE_CUTS, &AdaptiveOptions::default()).value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hermite::scaled_hermite;
    use std::f64::consts::PI;

    fn relu(x: f64) -> f64 {
        x.max(0.0)
    }

    fn sign(x: f64) -> f64 {
        if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        }
    }

    #[test]
    fn moments_with_variance() {
        for &var in &[0.01_f64, 0.25, 1.0, 3.0] {
            for m in 0..20usize {
                let exact: f64 =
                    (1..=m).map(|j| (2 * j - 1) as f64).product::<f64>() * var.powi(m as i32);
                let got = gaussian_expectation(&|x| x.powi(2 * m as i32), var, false, 80);
                assert!(
                    ((got - exact) / exact).abs() < 1e-12,
                    "var {var}, m {m}: {got} vs {exact}"
                );
                let adaptive = gaussian_expectation(&|x| x.powi(2 * m as i32), var, true, 0);
                assert!(((adaptive - exact) / exact).abs() < 1e-11, "adaptive var {var}, m {m}");
            }
        }
    }

    #[test]
    fn scaled_hermite_orthogonality_under_variance_r() {
        for &r in &[0.01, 0.36, 0.81, 1.0] {
            for j in 0..=10 {
                for k in 0..=10 {
                    let got = gaussian_expectation(
                        &|x| scaled_hermite(j, r, x) * scaled_hermite(k, r, x),
                        r,
                        false,
                        80,
                    );
                    let fact = |n: usize| (1..=n).map(|i| i as f64).product::<f64>();
                    let expected = if j == k { r.powi(k as i32) * fact(k) } else { 0.0 };
                    let scale = (r.powi((j + k) as i32) * fact(j) * fact(k)).sqrt();
                    assert!((got - expected).abs() < 1e-12 * scale, "r {r}, j {j}, k {k}: {got}");
                }
            }
        }
    }

    #[test]
    fn relu_and_sign_moments() {
        let e_relu = gaussian_expectation(&relu, 1.0, true, 0);
        assert!((e_relu - 1.0 / (2.0 * PI).sqrt()).abs() < 1e-14);
        let e_z_sign = gaussian_expectation(&|z| z * sign(z), 1.0, true, 0);
        assert!((e_z_sign - (2.0 / PI).sqrt()).abs() < 1e-14);
        // E[relu(X)^2] = var / 2, E[X relu(X)] = var / 2, E[relu(X)] = sqrt(var / (2 pi)).
        for &var in &[0.01, 0.49, 1.0] {
            assert!(
                (gaussian_expectation(&|x| relu(x).powi(2), var, true, 0) - var / 2.0).abs()
                    < 1e-14
            );
            assert!(
                (gaussian_expectation(&relu, var, true, 0) - (var / (2.0 * PI)).sqrt()).abs()
                    < 1e-14
            );
            // Odd against even-symmetric: exactly zero.
            assert!(gaussian_expectation(&|x| x * x * sign(x), var, true, 0).abs() < 1e-15);
        }
        // Gauss-Hermite on a kink is visibly worse; the adaptive rule is what fixes it.
        let gh = gaussian_expectation(&relu, 1.0, false, 80);
        assert!((gh - 1.0 / (2.0 * PI).sqrt()).abs() > 1e-8);
    }

    #[test]
    fn degenerate_variance() {
        assert_eq!(gaussian_expectation(&|x| x + 2.0, 0.0, false, 10), 2.0);
        assert!(gaussian_expectation(&|x| x, -1.0, false, 10).is_nan());
        assert!(gaussian_expectation(&|x| x, 1.0, false, 0).is_nan());
    }
}
