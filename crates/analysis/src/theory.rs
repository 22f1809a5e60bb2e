//! Theory of the exit time `tau(mu)`: how long LoRA fine-tuning stays in its search phase
//! as a function of the pre-training strength `mu`.
//!
//! This follows the section "Theory: the exit time tau(mu)" of `shared/design/model.md`
//! (after arXiv:2602.02855). With `r = mu^2`, `Z ~ N(0, 1)` and `X ~ N(0, r)`, the theory
//! needs three families of one-dimensional Gaussian integrals (Hermite coefficients of the
//! teacher `phi` and of the student `sigma` and its derivative), combines them into two
//! numbers `A(mu)` and `B(mu)` and returns
//! `tau(mu) = (-B + sqrt(B^2 + 4 A^2)) / (2 A^2)`; the exit time is `tau(mu) ln(R / eps)`.
//!
//! Building blocks, one per file:
//! - [`hermite`](mod@hermite): probabilists' Hermite polynomials `He_k` and the scaled `He_k^[r]`;
//! - [`gauss_hermite`]: Gauss-Hermite rules for `E[f(Z)]` with smooth `f`;
//! - [`gauss_kronrod`]: adaptive Gauss-Kronrod quadrature for kinks and jumps;
//! - [`expectation`]: Gaussian expectations, choosing between the two;
//! - [`activation`]: [`ScalarActivation`], an activation as the theory sees it;
//! - [`coefficients`]: the Hermite coefficients `s_k`, `s_k^r`, `b_k^r`;
//! - [`tau`](mod@tau): `A(mu)`, `B(mu)`, `tau(mu)`, the exit time and the linear closed form;
//! - [`error`]: the error type, [`TheoryError`].
//!
//! # Example
//! ```
//! use goldilocks_analysis::theory::{tau, tau_linear_closed_form, ScalarActivation, TauOptions};
//!
//! let identity = |x: f64| x;
//! let one = |_: f64| 1.0;
//! let linear = ScalarActivation::smooth(&identity, &one);
//! let t = tau(0.5, &linear, &linear, &TauOptions::default()).unwrap();
//! assert!((t - tau_linear_closed_form(0.5)).abs() < 1e-9 * t);
//! ```

pub mod activation;
pub mod coefficients;
pub mod error;
pub mod expectation;
pub mod gauss_hermite;
pub mod gauss_kronrod;
pub mod hermite;
pub mod tau;

#[cfg(test)]
pub(crate) mod test_activations;

pub use activation::ScalarActivation;
pub use coefficients::HermiteCoefficients;
pub use error::TheoryError;
pub use expectation::{gaussian_expectation, standard_gaussian_expectation};
pub use gauss_hermite::GaussHermite;
pub use gauss_kronrod::{integrate_adaptive, AdaptiveOptions, Integral};
pub use hermite::{hermite, hermite_sequence, scaled_hermite};
pub use tau::{
    exit_time, tau, tau_coefficients, tau_linear_closed_form, TauCoefficients, TauOptions,
};
