//! The corrected `A(mu)` and `B(mu)`: the linearised population flow in closed form.
//!
//! Linearising the flow of `(m, u)` at `(0, 0)` gives `dm/dt = A u`, `du/dt = A m + B u` with
//! model.md's `A` and
//! `B = - sum_{k>=0} [ b_k^r s_k^r / (k! mu^{2k+2}) + s_k (k s_k^r - b_k^r) / (k! mu^{k+2}) ]`,
//! whose `k = 0` term, `+ s_0 b_0^r / mu^2`, is the one the published code drops. With the
//! reduced coefficients `s_hat_k = s_k^r / mu^k` and `b_hat_k = b_k^r / mu^{k+1}` the sums are
//! Hermite expansions of products, and Parseval (`E[f g] = sum_k f_k g_k / k!` for the
//! coefficients `f_k = E[He_k f]`) resums them:
//! - `A = sum_k b_hat_k (s_k - s_hat_k) / k! = E[Z sigma'(mu Z) (phi(Z) - sigma(mu Z))]`;
//! - `sum_k b_hat_k s_hat_k / k! = E[Z sigma'(mu Z) sigma(mu Z)]`,
//!   `sum_k s_k b_hat_k / k! = E[Z sigma'(mu Z) phi(Z)]`;
//! - `sum_k k s_k s_hat_k / k! = E[phi'(Z) sigma'(mu Z)] mu` by Stein's identity
//!   (`k s_k / k! = E[He_{k-1} phi'] / (k-1)!` and `s_hat_k = mu E[He_{k-1} sigma'(mu Z)]`).
//!
//! So `B = - [ E[Z sigma' sigma] / mu + E[phi' sigma'] / mu - E[Z sigma' phi] / mu ]
//! = (A - E[phi'(Z) sigma'(mu Z)]) / mu`, with `sigma'` at `mu Z`. A jump of `phi` at 0
//! (sign) contributes `jump * sigma'(0) / sqrt(2 pi)` to `E[phi' sigma']`, with `sigma'(0)`
//! the mean of its one-sided limits.

use super::RawCoefficients;
use crate::activation::ScalarActivation;
use crate::quadrature::expectation::standard_gaussian_expectation;
use crate::quadrature::gauss_hermite::GaussHermite;

/// The corrected, resummed `A(mu)` and `B(mu)` (before the Hermite divisor), integrated with
/// `nodes` Gauss-Hermite nodes (adaptive quadrature when either activation is non-smooth).
pub(super) fn closed_form(
    mu: f64,
    teacher: &ScalarActivation,
    student: &ScalarActivation,
    nodes: usize,
) -> RawCoefficients {
    let rule = GaussHermite::new(nodes);
    let non_smooth = teacher.non_smooth || student.non_smooth;
    let (phi, dphi) = (teacher.value, teacher.derivative);
    let (sigma, dsigma) = (student.value, student.derivative);
    let expect = |f: &dyn Fn(f64) -> f64| standard_gaussian_expectation(f, non_smooth, &rule);
    let a = expect(&|z| z * dsigma(mu * z) * (phi(z) - sigma(mu * z)));
    let a_magnitude =
        expect(&|z| (z * dsigma(mu * z)).abs() * (phi(z).abs() + sigma(mu * z).abs()));
    let mut slope_product = expect(&|z| dphi(z) * dsigma(mu * z));
    if teacher.jump_at_zero != 0.0 {
        let tiny = 1e-12;
        let dsigma_at_zero = 0.5 * (dsigma(tiny) + dsigma(-tiny));
        slope_product +=
            teacher.jump_at_zero * dsigma_at_zero / (2.0 * std::f64::consts::PI).sqrt();
    }
    RawCoefficients { a, a_magnitude, b: (a - slope_product) / mu }
}
