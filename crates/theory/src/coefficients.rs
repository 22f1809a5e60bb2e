//! The Hermite coefficients behind `A(mu)` and `B(mu)`: `s_k` of the teacher and
//! `s_k^r`, `b_k^r` of the student, for `k = 0..=k_max`.
//!
//! Definitions (`shared/design/model.md`), with `r = mu^2`, `Z ~ N(0, 1)`, `X ~ N(0, r)`:
//! - `s_k   = E[He_k(Z) phi(Z)]`;
//! - `s_k^r = E[He_k^[r](X) sigma(X)]`;
//! - `b_k^r = E[X He_k^[r](X) sigma'(X)]`.
//!
//! Substituting `X = mu Z` and `He_k^[r](mu Z) = mu^k He_k(Z)` gives
//! `s_k^r = mu^k E[He_k(Z) sigma(mu Z)]` and `b_k^r = mu^{k+1} E[Z He_k(Z) sigma'(mu Z)]`.
//! The struct stores the reduced integrals `s_hat_k = s_k^r / mu^k` and
//! `b_hat_k = b_k^r / mu^{k+1}`, which are of order one for every `mu`; the powers of `mu`
//! in `A` and `B` then cancel analytically (see [`tau`](mod@crate::tau)), so no `mu^{-(2k+2)}`
//! is ever formed. [`HermiteCoefficients::s_r`] and [`HermiteCoefficients::b_r`] give the
//! literal `s_k^r` and `b_k^r` back.

use crate::activation::ScalarActivation;
use crate::hermite::hermite;
use crate::quadrature::expectation::standard_gaussian_expectation;
use crate::quadrature::gauss_hermite::GaussHermite;

/// Hermite coefficients of a teacher/student pair at one pre-training strength `mu`.
#[derive(Debug, Clone, PartialEq)]
pub struct HermiteCoefficients {
    /// The pre-training strength `mu` (so `r = mu^2`).
    pub mu: f64,
    /// `s_k = E[He_k(Z) phi(Z)]`, `k = 0..=k_max` (teacher, variance 1).
    pub teacher: Vec<f64>,
    /// `s_hat_k = E[He_k(Z) sigma(mu Z)] = s_k^r / mu^k`, `k = 0..=k_max`.
    pub student: Vec<f64>,
    /// `b_hat_k = E[Z He_k(Z) sigma'(mu Z)] = b_k^r / mu^{k+1}`, `k = 0..=k_max`.
    pub student_derivative: Vec<f64>,
}

impl HermiteCoefficients {
    /// Computes the coefficients for `k = 0..=k_max`, using `rule` for smooth activations
    /// and adaptive quadrature split at 0 for those flagged `non_smooth`.
    pub fn compute(
        mu: f64,
        teacher: &ScalarActivation,
        student: &ScalarActivation,
        k_max: usize,
        rule: &GaussHermite,
    ) -> Self {
        let phi = teacher.value;
        let sigma = student.value;
        let sigma_prime = student.derivative;
        let teacher_coefficients = (0..=k_max)
            .map(|k| {
                standard_gaussian_expectation(&|z| hermite(k, z) * phi(z), teacher.non_smooth, rule)
            })
            .collect();
        let student_coefficients = (0..=k_max)
            .map(|k| {
                standard_gaussian_expectation(
                    &|z| hermite(k, z) * sigma(mu * z),
                    student.non_smooth,
                    rule,
                )
            })
            .collect();
        let derivative_coefficients = (0..=k_max)
            .map(|k| {
                standard_gaussian_expectation(
                    &|z| z * hermite(k, z) * sigma_prime(mu * z),
                    student.non_smooth,
                    rule,
                )
            })
            .collect();
        Self {
            mu,
            teacher: teacher_coefficients,
            student: student_coefficients,
            student_derivative: derivative_coefficients,
        }
    }

    /// The truncation order `k_max` (the vectors hold `k_max + 1` entries).
    pub fn k_max(&self) -> usize {
        self.teacher.len().saturating_sub(1)
    }

    /// The literal `s_k^r = E[He_k^[r](X) sigma(X)] = mu^k s_hat_k` of model.md.
    pub fn s_r(&self, k: usize) -> f64 {
        self.mu.powi(k as i32) * self.student[k]
    }

    /// The literal `b_k^r = E[X He_k^[r](X) sigma'(X)] = mu^{k+1} b_hat_k` of model.md.
    pub fn b_r(&self, k: usize) -> f64 {
        self.mu.powi(k as i32 + 1) * self.student_derivative[k]
    }

    /// Whether every coefficient is finite.
    pub fn all_finite(&self) -> bool {
        self.teacher
            .iter()
            .chain(&self.student)
            .chain(&self.student_derivative)
            .all(|v| v.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hermite::scaled_hermite;
    use crate::quadrature::expectation::gaussian_expectation;
    use crate::test_activations::{erf, erf_derivative, relu, step};

    #[test]
    fn reduced_coefficients_match_the_literal_definitions() {
        // Compare against the definitions integrated under N(0, r) directly.
        let erf_act = ScalarActivation::smooth(&erf, &erf_derivative);
        let relu_act = ScalarActivation::non_smooth(&relu, &step);
        let rule = GaussHermite::new(100);
        for &mu in &[0.1, 0.5, 0.9] {
            let r = mu * mu;
            for act in [&erf_act, &relu_act] {
                let c = HermiteCoefficients::compute(mu, act, act, 8, &rule);
                for k in 0..=8 {
                    let s_r = gaussian_expectation(
                        &|x| scaled_hermite(k, r, x) * (act.value)(x),
                        r,
                        act.non_smooth,
                        100,
                    );
                    let b_r = gaussian_expectation(
                        &|x| x * scaled_hermite(k, r, x) * (act.derivative)(x),
                        r,
                        act.non_smooth,
                        100,
                    );
                    let scale_s = mu.powi(k as i32) * 10f64.powi(k as i32 / 2 + 1);
                    assert!(
                        (c.s_r(k) - s_r).abs() < 1e-12 * scale_s,
                        "mu {mu} k {k}: {} vs {s_r}",
                        c.s_r(k)
                    );
                    assert!(
                        (c.b_r(k) - b_r).abs() < 1e-12 * scale_s,
                        "mu {mu} k {k}: {} vs {b_r}",
                        c.b_r(k)
                    );
                }
            }
        }
    }

    #[test]
    fn linear_coefficients() {
        let identity = |x: f64| x;
        let one = |_: f64| 1.0;
        let linear = ScalarActivation::smooth(&identity, &one);
        let c = HermiteCoefficients::compute(0.3, &linear, &linear, 10, &GaussHermite::new(80));
        for k in 0..=10 {
            let expect_s = if k == 1 { 1.0 } else { 0.0 };
            let expect_hat = if k == 1 { 0.3 } else { 0.0 };
            let expect_b = if k == 1 { 1.0 } else { 0.0 };
            assert!((c.teacher[k] - expect_s).abs() < 1e-13);
            assert!((c.student[k] - expect_hat).abs() < 1e-13);
            assert!((c.student_derivative[k] - expect_b).abs() < 1e-12);
        }
        assert!((c.s_r(1) - 0.09).abs() < 1e-15 && (c.b_r(1) - 0.09).abs() < 1e-14);
    }
}
