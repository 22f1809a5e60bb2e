//! `A(mu)`, `B(mu)` and the exit time `tau(mu)` of the LoRA search phase, following the
//! section "Theory: the exit time tau(mu)" of `shared/design/model.md`, in two variants
//! ([`TauVariant`]).
//!
//! `published`: the authors' sums, truncated at `k_max` (inclusive), with the coefficients of
//! [`HermiteCoefficients`]:
//! - `A(mu) = - sum_k b_k^r / (k! mu^{k+1}) * ( - s_k + s_k^r / mu^k )`,
//! - `B(mu) = - sum_k [ b_k^r s_k^r / (k! mu^{2k+2})
//!   + 1{k>=1} s_k / ((k-1)! mu^{k+2}) * (s_k^r - b_k^r / k) ]`.
//!
//! `corrected` (the default): the linearisation of the population flow at `(m, u) = (0, 0)`,
//! which keeps the `k = 0` term of B's second sum that the published code leaves out, resummed
//! in closed form (no truncation; see [`corrected`]):
//! - `A(mu) = E[Z sigma'(mu Z) (phi(Z) - sigma(mu Z))]`,
//! - `B(mu) = (A(mu) - E[phi'(Z) sigma'(mu Z)]) / mu`.
//!
//! Both are divided by `deg! * deg` when the *student* is a Hermite activation of (top) degree
//! `deg`, and `tau(mu) = (-B + sqrt(B^2 + 4 A^2)) / (2 A^2)`, the positive root of
//! `A^2 t^2 + B t - 1 = 0`. The exit time is `tau(mu) ln(R / eps)`.
//!
//! Numerics of the published sums. Writing `s_k^r = mu^k s_hat_k` and
//! `b_k^r = mu^{k+1} b_hat_k` (see [`coefficients`](crate::coefficients)), every power of
//! `mu` cancels except a few:
//! - `A(mu) = - sum_k b_hat_k / k! * (s_hat_k - s_k)`,
//! - `B(mu) = - sum_k [ b_hat_k s_hat_k / (k! mu)
//!   + 1{k>=1} s_k / (k-1)! * (s_hat_k / mu^2 - b_hat_k / (k mu)) ]`,
//!
//! which is what is evaluated (algebraically identical; a test checks it against the
//! literal formula). `tau` itself is evaluated as `2 / (B + sqrt(B^2 + 4 A^2))` when
//! `B > 0`, the same number without the cancellation of `-B + sqrt(...)`.

mod corrected;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::activation::ScalarActivation;
use crate::coefficients::HermiteCoefficients;
use crate::error::TheoryError;
use crate::quadrature::gauss_hermite::GaussHermite;

/// Which `A(mu)`, `B(mu)`: the authors' truncated sums or the corrected closed form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TauVariant {
    /// Exactly the authors' sums (their published tables), truncated at `k_max`.
    Published,
    /// The linearised population flow, with the `k = 0` term of `B`, in closed form.
    #[default]
    Corrected,
}

impl TauVariant {
    /// Both variants, published first.
    pub const ALL: [TauVariant; 2] = [TauVariant::Published, TauVariant::Corrected];
}

impl fmt::Display for TauVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TauVariant::Published => "published",
            TauVariant::Corrected => "corrected",
        })
    }
}

impl FromStr for TauVariant {
    type Err = TheoryError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "published" => Ok(TauVariant::Published),
            "corrected" => Ok(TauVariant::Corrected),
            other => Err(TheoryError::InvalidOptions {
                reason: format!("unknown tau variant {other:?} (expected published or corrected)"),
            }),
        }
    }
}

/// Variant, truncation and quadrature settings of [`tau`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TauOptions {
    /// Which formula for `A(mu)` and `B(mu)`.
    pub variant: TauVariant,
    /// Largest Hermite order kept in the published sums (inclusive); the paper uses 10. The
    /// corrected variant is resummed and does not truncate.
    pub k_max: usize,
    /// Gauss-Hermite nodes for smooth activations (80 to 100 is plenty); must be at least
    /// `k_max + 2` so that polynomial activations are integrated exactly.
    pub nodes: usize,
}

impl Default for TauOptions {
    /// The corrected variant, with the paper's truncation `k_max = 10` for the published one
    /// and 100 Gauss-Hermite nodes.
    fn default() -> Self {
        Self { variant: TauVariant::Corrected, k_max: 10, nodes: 100 }
    }
}

impl TauOptions {
    /// The authors' published sums at truncation `k_max`, with 100 nodes.
    pub fn published(k_max: usize) -> Self {
        Self { variant: TauVariant::Published, k_max, nodes: 100.max(k_max + 2) }
    }
}

impl TauOptions {
    /// Checks the options, returning [`TheoryError::InvalidOptions`] when they are unusable.
    pub fn validate(&self) -> Result<(), TheoryError> {
        if self.nodes < self.k_max + 2 {
            return Err(TheoryError::InvalidOptions {
                reason: format!(
                    "nodes = {} must be at least k_max + 2 = {}",
                    self.nodes,
                    self.k_max + 2
                ),
            });
        }
        if self.k_max > 150 {
            return Err(TheoryError::InvalidOptions {
                reason: format!("k_max = {} is beyond what f64 factorials allow (150)", self.k_max),
            });
        }
        Ok(())
    }
}

/// `A(mu)` and `B(mu)` at one `mu`, already divided by the Hermite learning-rate factor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TauCoefficients {
    /// Pre-training strength.
    pub mu: f64,
    /// `A(mu)` (divided by `hermite_factor`).
    pub a: f64,
    /// `B(mu)` (divided by `hermite_factor`).
    pub b: f64,
    /// The divisor `deg! * deg` applied to both (1 for a non-Hermite student).
    pub hermite_factor: f64,
}

impl TauCoefficients {
    /// `tau = (-B + sqrt(B^2 + 4 A^2)) / (2 A^2)`, the positive root of `A^2 t^2 + B t - 1`.
    pub fn tau(&self) -> f64 {
        let (a, b) = (self.a, self.b);
        let root = b.hypot(2.0 * a);
        if b > 0.0 {
            2.0 / (b + root)
        } else {
            (root - b) / (2.0 * a * a)
        }
    }

    /// The share of the starting overlap that grows: from `(m, u) = (m0, 0)` the linearised
    /// flow `dm/dt = A u`, `du/dt = A m + B u` gives `m(t) ~ kappa m0 exp(t / tau)` with
    /// `kappa = (sqrt(D) - B) / (2 sqrt(D))`, `D = B^2 + 4 A^2`.
    pub fn kappa(&self) -> f64 {
        let root = self.b.hypot(2.0 * self.a);
        (root - self.b) / (2.0 * root)
    }
}

/// `n!` as `f64`.
fn factorial(n: usize) -> f64 {
    (1..=n).map(|i| i as f64).product()
}

/// Checks `mu` and the options and returns the Hermite learning-rate divisor of `student`.
fn hermite_factor(
    mu: f64,
    student: &ScalarActivation,
    options: &TauOptions,
) -> Result<f64, TheoryError> {
    if !(mu > 0.0 && mu <= 1.0) {
        return Err(TheoryError::MuOutOfRange { mu });
    }
    options.validate()?;
    match student.hermite_degree {
        None => Ok(1.0),
        Some(0) => Err(TheoryError::InvalidHermiteDegree { degree: 0 }),
        Some(d) => Ok(factorial(d as usize) * d as f64),
    }
}

/// `A(mu)` and `B(mu)` for teacher `phi` and student `sigma` (model.md) in the variant of
/// `options`, divided by `deg! * deg` for a Hermite student of degree `deg`.
///
/// Errors: `mu` outside `(0, 1]`, unusable options, a Hermite degree of 0, a non-finite
/// coefficient, and `A(mu)` zero to rounding (relative to the sum of the magnitudes of its
/// terms) or non-finite.
pub fn tau_coefficients(
    mu: f64,
    teacher: &ScalarActivation,
    student: &ScalarActivation,
    options: &TauOptions,
) -> Result<TauCoefficients, TheoryError> {
    let factor = hermite_factor(mu, student, options)?;
    let raw = match options.variant {
        TauVariant::Published => published_sums(mu, teacher, student, options)?,
        TauVariant::Corrected => corrected::closed_form(mu, teacher, student, options.nodes),
    };
    let (a, b) = (raw.a / factor, raw.b / factor);
    if a.is_nan() {
        return Err(TheoryError::NonFinite { quantity: "A(mu)", mu, value: a });
    }
    if !a.is_finite() || a.abs() <= 1e3 * f64::EPSILON * raw.a_magnitude / factor || a == 0.0 {
        return Err(TheoryError::DegenerateA { mu, a });
    }
    if !b.is_finite() {
        return Err(TheoryError::NonFinite { quantity: "B(mu)", mu, value: b });
    }
    Ok(TauCoefficients { mu, a, b, hermite_factor: factor })
}

/// `A(mu)` and `B(mu)` before the Hermite divisor, with the sum of the magnitudes of A's terms
/// (the scale against which a vanishing A is judged).
struct RawCoefficients {
    a: f64,
    a_magnitude: f64,
    b: f64,
}

/// The authors' truncated sums.
fn published_sums(
    mu: f64,
    teacher: &ScalarActivation,
    student: &ScalarActivation,
    options: &TauOptions,
) -> Result<RawCoefficients, TheoryError> {
    let rule = GaussHermite::new(options.nodes);
    let c = HermiteCoefficients::compute(mu, teacher, student, options.k_max, &rule);
    if !c.all_finite() {
        let value = c
            .teacher
            .iter()
            .chain(&c.student)
            .chain(&c.student_derivative)
            .find(|v| !v.is_finite());
        return Err(TheoryError::NonFinite {
            quantity: "a Hermite coefficient",
            mu,
            value: value.copied().unwrap_or(f64::NAN),
        });
    }
    let (mut a, mut a_magnitude, mut b) = (0.0, 0.0, 0.0);
    for k in 0..=options.k_max {
        let (s, s_hat, b_hat) = (c.teacher[k], c.student[k], c.student_derivative[k]);
        let k_factorial = factorial(k);
        let a_term = -b_hat / k_factorial * (s_hat - s);
        a += a_term;
        a_magnitude += (b_hat / k_factorial * s_hat).abs() + (b_hat / k_factorial * s).abs();
        b -= b_hat * s_hat / (k_factorial * mu);
        if k >= 1 {
            b -= s / factorial(k - 1) * (s_hat / (mu * mu) - b_hat / (k as f64 * mu));
        }
    }
    Ok(RawCoefficients { a, a_magnitude, b })
}

/// `tau(mu)` for teacher `phi` and student `sigma`, following model.md: `A(mu)`,
/// `B(mu)` in the chosen variant (see [`tau_coefficients`]), division by `deg! * deg` for a Hermite student,
/// `tau = (-B + sqrt(B^2 + 4 A^2)) / (2 A^2)`.
///
/// Errors as [`tau_coefficients`], plus [`TheoryError::NonFinite`] if `tau` overflows.
pub fn tau(
    mu: f64,
    teacher: &ScalarActivation,
    student: &ScalarActivation,
    options: &TauOptions,
) -> Result<f64, TheoryError> {
    let coefficients = tau_coefficients(mu, teacher, student, options)?;
    let value = coefficients.tau();
    if !value.is_finite() {
        return Err(TheoryError::NonFinite { quantity: "tau(mu)", mu, value });
    }
    Ok(value)
}

/// The exit time `tau(mu) * ln(R / eps)`, for escape from an overlap of order `eps` to
/// order `R` (the paper's theory row uses `R = 1`, `eps = 1e-3`).
pub fn exit_time(tau: f64, r: f64, eps: f64) -> f64 {
    tau * (r / eps).ln()
}

/// Closed form of `tau(mu)` for the linear teacher and student, `phi = sigma = x`:
/// `tau(mu) = (1 + sqrt(1 + 4 (1 - mu)^2)) / (2 (1 - mu)^2)` (infinite at `mu = 1`).
///
/// Derivation from model.md, with `r = mu^2` and `sigma' = 1`:
/// - `s_k = E[He_k(Z) Z] = E[He_k(Z) He_1(Z)] = delta_{k1}`;
/// - `s_k^r = E[He_k^[r](X) X] = E[He_k^[r](X) He_1^[r](X)] = r delta_{k1}`;
/// - `b_k^r = E[X He_k^[r](X) * 1] = r delta_{k1}` (the same integral).
///
/// So only `k = 1` survives (at `k = 0`, `b_0^r = E[X] = 0`), and
/// - `A = - b_1^r / (1! mu^2) * (-s_1 + s_1^r / mu) = -(r / mu^2) (-1 + r / mu) = 1 - mu`;
/// - `B = - [ b_1^r s_1^r / (1! mu^4) + s_1 / (0! mu^3) (s_1^r - b_1^r / 1) ]
///   = - [ r^2 / mu^4 + (r - r) / mu^3 ] = -1`;
/// - `tau = (-B + sqrt(B^2 + 4 A^2)) / (2 A^2) = (1 + sqrt(1 + 4 (1 - mu)^2)) / (2 (1 - mu)^2)`.
///
/// As `mu -> 0` it tends to the golden ratio `(1 + sqrt 5) / 2`; as `mu -> 1` it grows like
/// `1 / (1 - mu)^2`.
pub fn tau_linear_closed_form(mu: f64) -> f64 {
    let a = 1.0 - mu;
    let a2 = a * a;
    (1.0 + (1.0 + 4.0 * a2).sqrt()) / (2.0 * a2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hermite::hermite;
    use crate::test_activations::{erf, erf_derivative, identity, one, relu, sign, step, zero};

    fn linear() -> ScalarActivation<'static> {
        ScalarActivation::smooth(&identity, &one)
    }

    fn relu_activation() -> ScalarActivation<'static> {
        ScalarActivation::non_smooth(&relu, &step)
    }

    fn mu_grid() -> Vec<f64> {
        (0..=17).map(|i| 0.1 + 0.05 * i as f64).collect()
    }

    #[test]
    fn linear_matches_closed_form() {
        let options = TauOptions::default();
        for mu in mu_grid() {
            let got = tau(mu, &linear(), &linear(), &options).unwrap();
            let expected = tau_linear_closed_form(mu);
            assert!(((got - expected) / expected).abs() < 1e-9, "mu {mu}: {got} vs {expected}");
        }
        // Also on the adaptive path (same function declared non-smooth).
        let linear_adaptive = ScalarActivation::non_smooth(&identity, &one);
        let got = tau(0.37, &linear_adaptive, &linear_adaptive, &options).unwrap();
        assert!((got / tau_linear_closed_form(0.37) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn linear_coefficients_are_one_minus_mu_and_minus_one() {
        let c = tau_coefficients(0.4, &linear(), &linear(), &TauOptions::default()).unwrap();
        assert!((c.a - 0.6).abs() < 1e-13 && (c.b + 1.0).abs() < 1e-13 && c.hermite_factor == 1.0);
        assert!((tau_linear_closed_form(1e-9) - (1.0 + 5f64.sqrt()) / 2.0).abs() < 1e-8);
    }

    /// The reduced formula must equal model.md's literal one, powers of mu and all.
    #[test]
    fn reduced_formula_equals_literal_formula() {
        let erf_act = ScalarActivation::smooth(&erf, &erf_derivative);
        let options = TauOptions::published(10);
        let rule = GaussHermite::new(options.nodes);
        for &mu in &[0.1, 0.35, 0.7, 0.95] {
            for (teacher, student) in
                [(&erf_act, &erf_act), (&relu_activation(), &relu_activation())]
            {
                let c = HermiteCoefficients::compute(mu, teacher, student, options.k_max, &rule);
                let (mut a, mut b) = (0.0, 0.0);
                for k in 0..=options.k_max {
                    let kf = factorial(k);
                    let (s, s_r, b_r) = (c.teacher[k], c.s_r(k), c.b_r(k));
                    a -= b_r / (kf * mu.powi(k as i32 + 1)) * (-s + s_r / mu.powi(k as i32));
                    b -= b_r * s_r / (kf * mu.powi(2 * k as i32 + 2));
                    if k >= 1 {
                        b -=
                            s / (factorial(k - 1) * mu.powi(k as i32 + 2)) * (s_r - b_r / k as f64);
                    }
                }
                let reduced = tau_coefficients(mu, teacher, student, &options).unwrap();
                assert!(
                    (reduced.a - a).abs() < 1e-12 * (1.0 + a.abs()),
                    "mu {mu}: A {} vs {a}",
                    reduced.a
                );
                assert!(
                    (reduced.b - b).abs() < 1e-10 * (1.0 + b.abs()),
                    "mu {mu}: B {} vs {b}",
                    reduced.b
                );
            }
        }
    }

    #[test]
    fn tau_grows_with_mu_and_blows_up_at_one() {
        let options = TauOptions::default();
        // Corrected: both increasing on the whole grid (the published relu rises again below
        // mu = 0.25, see `published_relu_matches_its_closed_form`).
        for (name, act, from) in [("linear", linear(), 0.0), ("relu", relu_activation(), 0.0)] {
            let grid: Vec<f64> = mu_grid().into_iter().filter(|&mu| mu >= from - 1e-12).collect();
            let values: Vec<f64> =
                grid.iter().map(|&mu| tau(mu, &act, &act, &options).unwrap()).collect();
            assert!(values.windows(2).all(|w| w[1] > w[0]), "{name}: not increasing {values:?}");
            let near_one = tau(0.999, &act, &act, &options).unwrap();
            assert!(near_one > 1e4 * values[0], "{name}: tau(0.999) = {near_one}");
            assert!(
                matches!(tau(1.0, &act, &act, &options), Err(TheoryError::DegenerateA { .. })),
                "{name}"
            );
        }
    }

    /// The published sums: relu is positively homogeneous and `x relu'(x) = relu(x)`, so `s_hat_k = mu s_k` and
    /// `b_hat_k = s_k`, with the exact `s_0 = phi(0)`, `s_1 = 1/2`,
    /// `s_k = phi(0) He_{k-2}(0)` for `k >= 2` (two integrations by parts). Then
    /// `A = (1 - mu) C1` and `B = -(C1 + C2 / mu)` with `C1 = sum_k s_k^2 / k!` and
    /// `C2 = sum_{k>=1} (k - 1) s_k^2 / k!`: a second closed form, independent of the quadrature.
    #[test]
    fn published_relu_matches_its_closed_form() {
        let options = TauOptions::published(10);
        let phi0 = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
        let s: Vec<f64> = (0..=options.k_max)
            .map(|k| match k {
                0 => phi0,
                1 => 0.5,
                _ => phi0 * hermite(k - 2, 0.0),
            })
            .collect();
        let c1: f64 = s.iter().enumerate().map(|(k, sk)| sk * sk / factorial(k)).sum();
        let c2: f64 = s
            .iter()
            .enumerate()
            .skip(1)
            .map(|(k, sk)| (k as f64 - 1.0) * sk * sk / factorial(k))
            .sum();
        for mu in mu_grid() {
            let c = tau_coefficients(mu, &relu_activation(), &relu_activation(), &options).unwrap();
            let (a, b) = ((1.0 - mu) * c1, -(c1 + c2 / mu));
            assert!((c.a - a).abs() < 1e-11 * a.abs(), "mu {mu}: A {} vs {a}", c.a);
            assert!((c.b - b).abs() < 1e-11 * b.abs(), "mu {mu}: B {} vs {b}", c.b);
        }
        // The consequence: relu's tau is not monotone at small mu.
        let t = |mu: f64| tau(mu, &relu_activation(), &relu_activation(), &options).unwrap();
        assert!(t(0.1) > t(0.2));
    }

    #[test]
    fn corrected_relu_is_twice_linear() {
        let options = TauOptions::default();
        for mu in mu_grid() {
            let relu = tau(mu, &relu_activation(), &relu_activation(), &options).unwrap();
            let linear = tau_linear_closed_form(mu);
            assert!((relu / (2.0 * linear) - 1.0).abs() < 1e-9, "mu {mu}: {relu} vs 2 x {linear}");
        }
    }

    /// The corrected B as a sum over k >= 0: the published sum plus its missing k = 0 term.
    fn corrected_by_sums(
        mu: f64,
        teacher: &ScalarActivation,
        student: &ScalarActivation,
        k_max: usize,
    ) -> (f64, f64) {
        let rule = GaussHermite::new(k_max + 60);
        let c = HermiteCoefficients::compute(mu, teacher, student, k_max, &rule);
        let (mut a, mut b) = (0.0, 0.0);
        for k in 0..=k_max {
            let kf = factorial(k);
            let (s, s_r, b_r) = (c.teacher[k], c.s_r(k), c.b_r(k));
            a -= b_r / (kf * mu.powi(k as i32 + 1)) * (-s + s_r / mu.powi(k as i32));
            b -= b_r * s_r / (kf * mu.powi(2 * k as i32 + 2))
                + s * (k as f64 * s_r - b_r) / (kf * mu.powi(k as i32 + 2));
        }
        (a, b)
    }

    /// Polynomial pairs have finite Hermite expansions, so the sums over k >= 0 are exact and
    /// must equal the resummed closed form; square has s_0 b_0^r != 0, so the published sums
    /// differ from both.
    #[test]
    fn corrected_closed_form_equals_the_full_sums() {
        let square = |x: f64| x * x;
        let square_slope = |x: f64| 2.0 * x;
        let he3 = |x: f64| hermite(3, x);
        let he3_slope = |x: f64| 3.0 * hermite(2, x);
        let square_act = ScalarActivation::smooth(&square, &square_slope);
        let he3_act = ScalarActivation::hermite(&he3, &he3_slope, 3);
        let options = TauOptions::default();
        for mu in [0.2, 0.5, 0.8] {
            for (name, act, factor) in [("square", square_act, 1.0), ("he3", he3_act, 18.0)] {
                let (a, b) = corrected_by_sums(mu, &act, &act, 8);
                let c = tau_coefficients(mu, &act, &act, &options).unwrap();
                assert!((c.a * factor - a).abs() < 1e-11 * a.abs(), "{name} mu {mu}: A");
                assert!((c.b * factor - b).abs() < 1e-10 * b.abs(), "{name} mu {mu}: B");
            }
            let published =
                tau_coefficients(mu, &square_act, &square_act, &TauOptions::published(8));
            let corrected = tau_coefficients(mu, &square_act, &square_act, &options).unwrap();
            assert!((published.unwrap().b - corrected.b).abs() > 0.1, "square mu {mu}");
        }
    }

    /// Where s_0 b_0^r = 0 (odd teachers; students with an even derivative) the two variants
    /// differ only by the published truncation, which vanishes as k_max grows.
    #[test]
    fn variants_agree_where_the_k0_term_vanishes() {
        let erf_act = ScalarActivation::smooth(&erf, &erf_derivative);
        let sign_teacher = ScalarActivation::non_smooth(&sign, &zero).with_jump_at_zero(2.0);
        let he2 = |x: f64| hermite(2, x);
        let he2_slope = |x: f64| 2.0 * x;
        let he2_act = ScalarActivation::hermite(&he2, &he2_slope, 2);
        let corrected = TauOptions::default();
        for mu in [0.2, 0.5, 0.8] {
            for (name, teacher, student, k_max) in [
                ("linear", linear(), linear(), 10),
                ("he2", he2_act, he2_act, 10),
                ("erf", erf_act, erf_act, 40),
                ("sign-erf", sign_teacher, erf_act, 80),
            ] {
                let p = tau(mu, &teacher, &student, &TauOptions::published(k_max)).unwrap();
                let c = tau(mu, &teacher, &student, &corrected).unwrap();
                assert!((p / c - 1.0).abs() < 1e-7, "{name} mu {mu}: published {p}, corrected {c}");
            }
        }
    }

    #[test]
    fn errors_are_typed() {
        let options = TauOptions::default();
        for mu in [0.0, -0.1, 1.01, f64::NAN] {
            assert!(matches!(
                tau(mu, &linear(), &linear(), &options),
                Err(TheoryError::MuOutOfRange { .. })
            ));
        }
        let bad = TauOptions { nodes: 5, ..TauOptions::published(10) };
        assert!(matches!(
            tau(0.5, &linear(), &linear(), &bad),
            Err(TheoryError::InvalidOptions { .. })
        ));
        let constant = |_: f64| 1.0;
        let he0 = ScalarActivation::hermite(&constant, &zero, 0);
        assert!(matches!(
            tau(0.5, &he0, &he0, &options),
            Err(TheoryError::InvalidHermiteDegree { degree: 0 })
        ));
        let nan = |_: f64| f64::NAN;
        let broken = ScalarActivation::smooth(&nan, &one);
        assert!(matches!(
            tau(0.5, &broken, &linear(), &options),
            Err(TheoryError::NonFinite { .. })
        ));
    }

    #[test]
    fn hermite_student_divides_a_and_b_by_deg_factorial_times_deg() {
        let he2 = |x: f64| hermite(2, x);
        let he2_prime = |x: f64| 2.0 * x;
        let plain = ScalarActivation::smooth(&he2, &he2_prime);
        let hermite2 = ScalarActivation::hermite(&he2, &he2_prime, 2);
        let options = TauOptions::default();
        let c_plain = tau_coefficients(0.6, &plain, &plain, &options).unwrap();
        let c_hermite = tau_coefficients(0.6, &hermite2, &hermite2, &options).unwrap();
        assert_eq!(c_hermite.hermite_factor, 4.0);
        assert!((c_hermite.a * 4.0 - c_plain.a).abs() < 1e-14 * c_plain.a.abs().max(1.0));
        assert!((c_hermite.b * 4.0 - c_plain.b).abs() < 1e-14 * c_plain.b.abs().max(1.0));
        // Dividing A and B by c multiplies tau by c.
        let ratio = c_hermite.tau() / c_plain.tau();
        assert!((ratio - 4.0).abs() < 1e-12);
    }

    #[test]
    fn stable_root_matches_textbook_root() {
        for (a, b) in [(0.5, 2.0), (0.5, -2.0), (1e-3, 1.0), (3.0, 0.0)] {
            let c = TauCoefficients { mu: 0.5, a, b, hermite_factor: 1.0 };
            let textbook = (-b + (b * b + 4.0 * a * a).sqrt()) / (2.0 * a * a);
            assert!((c.tau() - textbook).abs() < 1e-6 * textbook, "a {a} b {b}");
            let t = c.tau();
            assert!((a * a * t * t + b * t - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn exit_time_is_tau_times_log() {
        assert!((exit_time(2.0, 1.0, 1e-3) - 2.0 * 1000f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn sign_teacher_and_erf_are_finite_and_smooth_quadrature_converges() {
        let options = TauOptions::default();
        let sign_teacher = ScalarActivation::non_smooth(&sign, &zero).with_jump_at_zero(2.0);
        let erf_act = ScalarActivation::smooth(&erf, &erf_derivative);
        for mu in [0.1, 0.5, 0.9] {
            let t = tau(mu, &sign_teacher, &erf_act, &options).unwrap();
            assert!(t.is_finite() && t > 0.0);
            // 80 vs 100 nodes agree to 1e-10 on a smooth pair.
            let t80 = tau(mu, &erf_act, &erf_act, &TauOptions { nodes: 80, ..options }).unwrap();
            let t100 = tau(mu, &erf_act, &erf_act, &options).unwrap();
            assert!((t80 / t100 - 1.0).abs() < 1e-10, "mu {mu}: {t80} vs {t100}");
        }
    }

    /// Prints the tables of the report: `cargo test -p goldilocks-theory tau::tests::print_tables -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn print_tables() {
        let options = TauOptions::published(10);
        let published_mu = [0.0993, 0.1985, 0.3011, 0.4003, 0.4995, 0.5988, 0.7013, 0.8005, 0.8998];
        println!("mu | tau linear (quadrature) | closed form | exit time (R=1, eps=1e-3)");
        for mu in published_mu {
            let t = tau(mu, &linear(), &linear(), &options).unwrap();
            println!(
                "{mu} | {t:.4} | {:.4} | {:.3}",
                tau_linear_closed_form(mu),
                exit_time(t, 1.0, 1e-3)
            );
        }
        let erf_act = ScalarActivation::smooth(&erf, &erf_derivative);
        println!("mu | tau relu | tau erf | relu A | relu B | erf A | erf B");
        for i in 1..=9 {
            let mu = i as f64 / 10.0;
            let r = tau_coefficients(mu, &relu_activation(), &relu_activation(), &options).unwrap();
            let e = tau_coefficients(mu, &erf_act, &erf_act, &options).unwrap();
            println!(
                "{mu} | {:.4} | {:.4} | {:.6} | {:.6} | {:.6} | {:.6}",
                r.tau(),
                e.tau(),
                r.a,
                r.b,
                e.a,
                e.b
            );
        }
    }
}
