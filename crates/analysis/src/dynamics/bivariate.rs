//! Expectations `E[f(a, b)]` over a centred bivariate Gaussian pair, by a tensor rule after
//! a Cholesky change of variables.
//!
//! With `(a, b) ~ N(0, [[var_a, cov], [cov, var_b]])`, write `a = s_a z1` and
//! `b = r z1 + t z2` with `z1, z2` independent standard normals, `s_a = sqrt(var_a)`,
//! `r = cov / s_a` and `t = sqrt(var_b - r^2)`. A smooth `f` is integrated with a
//! Gauss-Hermite rule in each of `z1` and `z2` (the tensor rule). An `f` with kinks or
//! jumps on lines through the origin, `alpha a + beta b = 0` (relu or sign applied to a
//! linear combination), is integrated adaptively (Gauss-Kronrod 7-15): the outer integral
//! over `z1` is cut at 0, where every such line crosses the `z1` axis, and for each `z1` the
//! inner integral over `z2` is cut where each line crosses it.

use super::super::theory::gauss_hermite::GaussHermite;
use super::super::theory::gauss_kronrod::{integrate_adaptive, AdaptiveOptions};

/// Half-width of the standard-normal range integrated by the adaptive rule: the mass
/// beyond 12 is below `1e-32`, far under the rule's tolerance even for polynomial `f`.
const RANGE: f64 = 12.0;
/// Initial cuts of each adaptive integral (standard-normal scale).
const CUTS: [f64; 9] = [-RANGE, -6.0, -3.0, -1.5, 0.0, 1.5, 3.0, 6.0, RANGE];
/// Relative tolerance of each adaptive integral (against the integral of `|f|`).
const ADAPTIVE_REL_TOL: f64 = 1e-11;

/// A centred bivariate Gaussian pair `(a, b)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianPair {
    /// `Var a`.
    pub var_a: f64,
    /// `Cov(a, b)`.
    pub cov: f64,
    /// `Var b`.
    pub var_b: f64,
}

/// A line `alpha a + beta b = 0` on which the integrand has a kink or a jump.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KinkLine {
    /// Coefficient of `a`.
    pub alpha: f64,
    /// Coefficient of `b`.
    pub beta: f64,
}

/// The Cholesky factor of a pair: `a = s_a z1`, `b = r z1 + t z2`.
#[derive(Debug, Clone, Copy)]
struct Cholesky {
    s_a: f64,
    r: f64,
    t: f64,
}

impl GaussianPair {
    /// The pair with `Var a = var_a`, `Cov = cov`, `Var b = var_b`.
    pub fn new(var_a: f64, cov: f64, var_b: f64) -> Self {
        Self { var_a, cov, var_b }
    }

    /// Whether the covariance is a valid (positive semi-definite, finite) one, allowing
    /// `cov^2` to exceed `var_a var_b` by rounding (`1e-12` relative).
    pub fn is_valid(&self) -> bool {
        let finite = self.var_a.is_finite() && self.cov.is_finite() && self.var_b.is_finite();
        finite
            && self.var_a >= 0.0
            && self.var_b >= 0.0
            && self.cov * self.cov <= self.var_a * self.var_b * (1.0 + 1e-12)
    }

    fn cholesky(&self) -> Cholesky {
        if self.var_a <= 0.0 {
            return Cholesky { s_a: 0.0, r: 0.0, t: self.var_b.max(0.0).sqrt() };
        }
        let s_a = self.var_a.sqrt();
        let r = self.cov / s_a;
        Cholesky { s_a, r, t: (self.var_b - r * r).max(0.0).sqrt() }
    }

    /// `E[f(a, b)]` by the `rule x rule` Gauss-Hermite tensor rule (smooth `f`; exact for
    /// polynomials of degree below `2 rule.len()` in each variable). NaN for an invalid pair.
    pub fn expectation_smooth(&self, f: &dyn Fn(f64, f64) -> f64, rule: &GaussHermite) -> f64 {
        if !self.is_valid() {
            return f64::NAN;
        }
        let c = self.cholesky();
        let mut total = 0.0;
        for (&z1, &p1) in rule.nodes().iter().zip(rule.weights()) {
            let a = c.s_a * z1;
            let inner: f64 = rule
                .nodes()
                .iter()
                .zip(rule.weights())
                .map(|(&z2, &p2)| p2 * f(a, c.r * z1 + c.t * z2))
                .sum();
            total += p1 * inner;
        }
        total
    }

    /// `E[f(a, b)]` for `f` smooth except on the lines `kinks`, by nested adaptive
    /// Gauss-Kronrod quadrature (see the module doc). NaN for an invalid pair.
    pub fn expectation_piecewise(&self, f: &dyn Fn(f64, f64) -> f64, kinks: &[KinkLine]) -> f64 {
        if !self.is_valid() {
            return f64::NAN;
        }
        let c = self.cholesky();
        let options = AdaptiveOptions { abs_tol: 0.0, rel_tol: ADAPTIVE_REL_TOL, max_segments: 2000 };
        let inner = |z1: f64| {
            let a = c.s_a * z1;
            let mut cuts: Vec<f64> = CUTS.to_vec();
            for line in kinks {
                // alpha s_a z1 + beta (r z1 + t z2) = 0.
                let slope = line.beta * c.t;
                if slope != 0.0 {
                    let z2 = -(line.alpha * c.s_a + line.beta * c.r) * z1 / slope;
                    if z2.is_finite() && z2.abs() < RANGE {
                        cuts.push(z2);
                    }
                }
            }
            cuts.sort_by(f64::total_cmp);
            cuts.dedup_by(|x, y| (*x - *y).abs() < 1e-12);
            let integrand = |z2: f64| density(z2) * f(a, c.r * z1 + c.t * z2);
            integrate_adaptive(&integrand, &cuts, &options).value
        };
        let outer = |z1: f64| {
            let d = density(z1);
            if d == 0.0 {
                0.0
            } else {
                d * inner(z1)
            }
        };
        integrate_adaptive(&outer, &CUTS, &options).value
    }
}

/// The standard normal density.
fn density(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn relu(x: f64) -> f64 {
        x.max(0.0)
    }

    #[test]
    fn second_moments_match_the_covariance() {
        let rule = GaussHermite::new(20);
        for &(q, m, v) in &[(1.0, 0.3, 1.0), (0.49, -0.2, 1.0), (2.5, 1.1, 0.8), (1e-8, 1e-5, 1.0)] {
            let pair = GaussianPair::new(q, m, v);
            let moments = [
                (pair.expectation_smooth(&|a, _| a * a, &rule), q),
                (pair.expectation_smooth(&|a, b| a * b, &rule), m),
                (pair.expectation_smooth(&|_, b| b * b, &rule), v),
            ];
            for (got, expected) in moments {
                assert!((got - expected).abs() < 1e-13 * (1.0 + expected.abs()), "{got} vs {expected}");
            }
            let kink = [KinkLine { alpha: 1.0, beta: 0.0 }];
            assert!((pair.expectation_piecewise(&|a, b| a * b, &kink) - m).abs() < 1e-10 * (1.0 + m.abs()));
            // E[a^2 b^2] = var_a var_b + 2 cov^2 (Isserlis).
            let fourth = pair.expectation_smooth(&|a, b| a * a * b * b, &rule);
            assert!((fourth - (q * v + 2.0 * m * m)).abs() < 1e-12 * (1.0 + q * v));
        }
    }

    /// `E[relu(a) relu(b)]` for unit variances and correlation rho is the arc-cosine kernel
    /// `(sqrt(1 - rho^2) + rho (pi - acos rho)) / (2 pi)`.
    #[test]
    fn relu_kernel_with_kinks_on_both_axes() {
        let kinks = [KinkLine { alpha: 1.0, beta: 0.0 }, KinkLine { alpha: 0.0, beta: 1.0 }];
        for &rho in &[-0.9, -0.3, 0.0, 0.5, 0.97] {
            let pair = GaussianPair::new(1.0, rho, 1.0);
            let got = pair.expectation_piecewise(&|a, b| relu(a) * relu(b), &kinks);
            let exact = ((1.0 - rho * rho).sqrt() + rho * (PI - f64::acos(rho))) / (2.0 * PI);
            assert!((got - exact).abs() < 1e-10, "rho {rho}: {got} vs {exact}");
            // P(a > 0, b > 0) = 1/4 + asin(rho) / (2 pi): a jump on both lines.
            let step = |x: f64| if x > 0.0 { 1.0 } else { 0.0 };
            let orthant = pair.expectation_piecewise(&|a, b| step(a) * step(b), &kinks);
            assert!((orthant - (0.25 + rho.asin() / (2.0 * PI))).abs() < 1e-10, "rho {rho}: {orthant}");
        }
    }

    #[test]
    fn invalid_pairs_give_nan() {
        let rule = GaussHermite::new(4);
        assert!(GaussianPair::new(1.0, 2.0, 1.0).expectation_smooth(&|a, _| a, &rule).is_nan());
        assert!(GaussianPair::new(-1.0, 0.0, 1.0).expectation_piecewise(&|a, _| a, &[]).is_nan());
    }
}
