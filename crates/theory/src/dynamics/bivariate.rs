//! Expectations `E[f(a, b)]` over a centred bivariate Gaussian pair, by a tensor rule after
//! a Cholesky change of variables.
//!
//! With `(a, b) ~ N(0, [[var_a, cov], [cov, var_b]])`, write `a = s_a z1` and
//! `b = r z1 + t z2` with `z1, z2` independent standard normals, `s_a = sqrt(var_a)`,
//! `r = cov / s_a` and `t = sqrt(var_b - r^2)`. A smooth `f` is integrated with a
//! Gauss-Hermite rule in each of `z1` and `z2` (the tensor rule). An `f` with kinks or
//! jumps on lines through the origin, `alpha a + beta b = 0` (relu or sign applied to a
//! linear combination), is integrated piece by piece: the outer integral over `z1` is cut at
//! 0, where every such line crosses the `z1` axis, and for each `z1` the inner integral over
//! `z2` is cut where each line crosses it; between cuts the integrand is smooth, and each
//! piece of `[-9, 9]` is covered by Gauss-Kronrod 15-point panels at most 0.75 wide (exact to
//! degree 22 on each panel; the normal mass beyond 9 is `2e-19`). The cost is fixed (about
//! 400 points per variable), which keeps nested integrals cheap and their error smooth.
//!
//! The polar rule does the same far more cheaply: with `(z1, z2) = rho (cos theta, sin theta)`,
//! every kink line is a pair of rays at fixed `theta`, so the angle is cut at those rays
//! (and at the four quarter angles, so that no piece is wider than pi/2) and covered by one
//! Gauss-Kronrod 15-point panel per piece, and along each ray the radius is integrated by
//! the Gauss rule of [`RadialRule`] for the weight `rho exp(-rho^2 / 2)`. When `f` is a
//! polynomial of degree at most `2n - 1` in `rho` along every ray (activations linear on each
//! side of 0, such as linear, relu and sign, give degree at most 2), the radial part is exact
//! with `n` nodes and what is left is the angular rule's error on smooth periodic pieces.
//!
//! Integrands are vector-valued (`[f64; K]`), so that several expectations sharing the
//! expensive part of `f` cost one pass.

use super::radial_rule::RadialRule;
use crate::quadrature::gauss_hermite::GaussHermite;
use crate::quadrature::gauss_kronrod::{WGK, XGK};

/// Half-width of the standard-normal range of the piecewise rule.
const RANGE: f64 = 9.0;
/// Widest Gauss-Kronrod panel of the piecewise rule.
const PANEL: f64 = 0.75;

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
        self.expectations_smooth(&|a, b| [f(a, b)], rule)[0]
    }

    /// [`expectation_smooth`](Self::expectation_smooth) of every component of `f` at once.
    pub fn expectations_smooth<const K: usize>(
        &self,
        f: &dyn Fn(f64, f64) -> [f64; K],
        rule: &GaussHermite,
    ) -> [f64; K] {
        if !self.is_valid() {
            return [f64::NAN; K];
        }
        let c = self.cholesky();
        let mut total = [0.0; K];
        for (&z1, &p1) in rule.nodes().iter().zip(rule.weights()) {
            let a = c.s_a * z1;
            for (&z2, &p2) in rule.nodes().iter().zip(rule.weights()) {
                let values = f(a, c.r * z1 + c.t * z2);
                for (t, v) in total.iter_mut().zip(values) {
                    *t += p1 * p2 * v;
                }
            }
        }
        total
    }

    /// `E[f(a, b)]` for `f` smooth except on the lines `kinks`, by the piecewise rule of the
    /// module doc. NaN for an invalid pair.
    pub fn expectation_piecewise(&self, f: &dyn Fn(f64, f64) -> f64, kinks: &[KinkLine]) -> f64 {
        self.expectations_piecewise(&|a, b| [f(a, b)], kinks)[0]
    }

    /// [`expectation_piecewise`](Self::expectation_piecewise) of every component of `f` at once.
    pub fn expectations_piecewise<const K: usize>(
        &self,
        f: &dyn Fn(f64, f64) -> [f64; K],
        kinks: &[KinkLine],
    ) -> [f64; K] {
        if !self.is_valid() {
            return [f64::NAN; K];
        }
        let c = self.cholesky();
        let inner = |z1: f64| {
            let a = c.s_a * z1;
            let mut cuts = vec![-RANGE, RANGE];
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
            gaussian_panels(&|z2| f(a, c.r * z1 + c.t * z2), &mut cuts)
        };
        gaussian_panels(&inner, &mut vec![-RANGE, 0.0, RANGE])
    }

    /// `E[f(a, b)]` for every component of `f`, by the polar rule of the module doc with
    /// `radial` along each ray; `f` may have kinks or jumps on the lines `kinks`. NaN for an
    /// invalid pair.
    pub fn expectations_polar<const K: usize>(
        &self,
        f: &dyn Fn(f64, f64) -> [f64; K],
        kinks: &[KinkLine],
        radial: &RadialRule,
    ) -> [f64; K] {
        if !self.is_valid() {
            return [f64::NAN; K];
        }
        let c = self.cholesky();
        let tau = 2.0 * std::f64::consts::PI;
        let mut cuts = vec![0.0, 0.25 * tau, 0.5 * tau, 0.75 * tau, tau];
        for line in kinks {
            // alpha s_a z1 + beta (r z1 + t z2) = n1 z1 + n2 z2 = 0 along (n2, -n1) and (-n2, n1).
            let (n1, n2) = (line.alpha * c.s_a + line.beta * c.r, line.beta * c.t);
            if n1 == 0.0 && n2 == 0.0 {
                continue;
            }
            let theta = (-n1).atan2(n2).rem_euclid(0.5 * tau);
            cuts.push(theta);
            cuts.push(theta + 0.5 * tau);
        }
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let mut total = [0.0; K];
        for piece in cuts.windows(2) {
            let (lo, hi) = (piece[0], piece[1]);
            let (center, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
            for j in 0..15 {
                let (theta, w) = if j < 8 {
                    (center - half * XGK[j], WGK[j])
                } else {
                    (center + half * XGK[j - 8], WGK[j - 8])
                };
                let (sin, cos) = theta.sin_cos();
                let angular = w * half / tau;
                for (&rho, &p) in radial.nodes().iter().zip(radial.weights()) {
                    let (z1, z2) = (rho * cos, rho * sin);
                    let values = f(c.s_a * z1, c.r * z1 + c.t * z2);
                    for (t, v) in total.iter_mut().zip(values) {
                        *t += angular * p * v;
                    }
                }
            }
        }
        total
    }
}

/// `integral of g(z) density(z) dz` over `[cuts[0], cuts[last]]` after sorting `cuts`, with
/// every piece between consecutive cuts covered by equal Kronrod-15 panels at most `PANEL` wide.
fn gaussian_panels<const K: usize>(g: &dyn Fn(f64) -> [f64; K], cuts: &mut Vec<f64>) -> [f64; K] {
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let mut total = [0.0; K];
    for piece in cuts.windows(2) {
        let (lo, hi) = (piece[0], piece[1]);
        let panels = ((hi - lo) / PANEL).ceil().max(1.0) as usize;
        let width = (hi - lo) / panels as f64;
        for p in 0..panels {
            let center = lo + (p as f64 + 0.5) * width;
            let half = 0.5 * width;
            // j = 0..=7: the centre and the left abscissae; j = 8..15: the right ones.
            for j in 0..15 {
                let (x, w) = if j < 8 {
                    (center - half * XGK[j], WGK[j])
                } else {
                    (center + half * XGK[j - 8], WGK[j - 8])
                };
                let weight = w * half * density(x);
                for (t, v) in total.iter_mut().zip(g(x)) {
                    *t += weight * v;
                }
            }
        }
    }
    total
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
        for &(q, m, v) in &[(1.0, 0.3, 1.0), (0.49, -0.2, 1.0), (2.5, 1.1, 0.8), (1e-8, 1e-5, 1.0)]
        {
            let pair = GaussianPair::new(q, m, v);
            let moments = [
                (pair.expectation_smooth(&|a, _| a * a, &rule), q),
                (pair.expectation_smooth(&|a, b| a * b, &rule), m),
                (pair.expectation_smooth(&|_, b| b * b, &rule), v),
            ];
            for (got, expected) in moments {
                assert!(
                    (got - expected).abs() < 1e-13 * (1.0 + expected.abs()),
                    "{got} vs {expected}"
                );
            }
            let kink = [KinkLine { alpha: 1.0, beta: 0.0 }];
            assert!(
                (pair.expectation_piecewise(&|a, b| a * b, &kink) - m).abs()
                    < 1e-10 * (1.0 + m.abs())
            );
            // The polar rule with 2 radial nodes is exact for quadratics, kinks or not.
            let radial = RadialRule::new(2);
            let [qq, mm, vv] =
                pair.expectations_polar(&|a, b| [a * a, a * b, b * b], &kink, &radial);
            for (got, expected) in [(qq, q), (mm, m), (vv, v)] {
                assert!(
                    (got - expected).abs() < 1e-13 * (1.0 + expected.abs()),
                    "polar: {got} vs {expected}"
                );
            }
            // E[a^2 b^2] = var_a var_b + 2 cov^2 (Isserlis).
            let fourth = pair.expectation_smooth(&|a, b| a * a * b * b, &rule);
            assert!((fourth - (q * v + 2.0 * m * m)).abs() < 1e-12 * (1.0 + q * v));
        }
    }

    /// `E[relu(a) relu(b)]` for unit variances and correlation rho is the arc-cosine kernel
    /// `(sqrt(1 - rho^2) + rho (pi - acos rho)) / (2 pi)`.
    #[test]
    fn relu_kernel_with_kinks_on_both_axes() {
        let radial = RadialRule::new(2);
        let kinks = [KinkLine { alpha: 1.0, beta: 0.0 }, KinkLine { alpha: 0.0, beta: 1.0 }];
        for &rho in &[-0.9, -0.3, 0.0, 0.5, 0.97] {
            let pair = GaussianPair::new(1.0, rho, 1.0);
            let got = pair.expectation_piecewise(&|a, b| relu(a) * relu(b), &kinks);
            let exact = ((1.0 - rho * rho).sqrt() + rho * (PI - f64::acos(rho))) / (2.0 * PI);
            assert!((got - exact).abs() < 1e-10, "rho {rho}: {got} vs {exact}");
            // P(a > 0, b > 0) = 1/4 + asin(rho) / (2 pi): a jump on both lines.
            let step = |x: f64| if x > 0.0 { 1.0 } else { 0.0 };
            let orthant = pair.expectation_piecewise(&|a, b| step(a) * step(b), &kinks);
            assert!(
                (orthant - (0.25 + rho.asin() / (2.0 * PI))).abs() < 1e-10,
                "rho {rho}: {orthant}"
            );
        }
        // The polar rule, to rounding, up to nearly degenerate pairs (where the Cartesian
        // rule is off by 7e-10 at rho = 0.9999) and at unequal variances.
        let step = |x: f64| if x > 0.0 { 1.0 } else { 0.0 };
        for &rho in &[-0.9999, -0.9, -0.3, 0.0, 0.5, 0.97, 0.9999, 1.0] {
            for &(var_a, var_b) in &[(1.0_f64, 1.0_f64), (0.25, 4.0)] {
                let scale = (var_a * var_b).sqrt();
                let pair = GaussianPair::new(var_a, rho * scale, var_b);
                let [kernel, orthant] = pair.expectations_polar(
                    &|a, b| [relu(a) * relu(b), step(a) * step(b)],
                    &kinks,
                    &radial,
                );
                let exact = scale
                    * ((1.0 - rho * rho).max(0.0).sqrt() + rho * (PI - f64::acos(rho)))
                    / (2.0 * PI);
                assert!((kernel - exact).abs() < 1e-14, "rho {rho}: {kernel} vs {exact}");
                assert!(
                    (orthant - (0.25 + rho.asin() / (2.0 * PI))).abs() < 1e-14,
                    "rho {rho}: {orthant}"
                );
            }
        }
    }

    #[test]
    fn invalid_pairs_give_nan() {
        let rule = GaussHermite::new(4);
        assert!(GaussianPair::new(1.0, 2.0, 1.0).expectation_smooth(&|a, _| a, &rule).is_nan());
        assert!(GaussianPair::new(-1.0, 0.0, 1.0).expectation_piecewise(&|a, _| a, &[]).is_nan());
        assert!(GaussianPair::new(1.0, -1.5, 1.0).expectations_polar(
            &|a, _| [a],
            &[],
            &RadialRule::new(2)
        )[0]
        .is_nan());
    }
}
