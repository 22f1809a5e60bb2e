//! The theory of LoRA fine-tuning after pre-training, as pure numerics: how long fine-tuning
//! stays in its search phase as a function of the pre-training strength `mu` (the exit time
//! tau(mu)), the deterministic large-N dynamics of the summary statistics (m, u), and the
//! known growth laws of escape times with the input dimension N.
//!
//! # Example
//! ```
//! use goldilocks_theory::{tau, tau_linear_closed_form, ScalarActivation, TauOptions};
//!
//! let identity = |x: f64| x;
//! let one = |_: f64| 1.0;
//! let linear = ScalarActivation::smooth(&identity, &one);
//! let t = tau(0.5, &linear, &linear, &TauOptions::default()).unwrap();
//! assert!((t - tau_linear_closed_form(0.5)).abs() < 1e-9 * t);
//! ```
//!
//! # The exit time tau(mu)
//!
//! This follows the section "Theory: the exit time tau(mu)" of `shared/design/model.md`
//! (after arXiv:2602.02855). With `r = mu^2`, `Z ~ N(0, 1)` and `X ~ N(0, r)`, the theory
//! needs three families of one-dimensional Gaussian integrals (Hermite coefficients of the
//! teacher `phi` and of the student `sigma` and its derivative), combines them into two
//! numbers `A(mu)` and `B(mu)` and returns
//! `tau(mu) = (-B + sqrt(B^2 + 4 A^2)) / (2 A^2)`; the exit time is `tau(mu) ln(R / eps)`.
//!
//! Building blocks:
//! - [`hermite`](mod@hermite): probabilists' Hermite polynomials `He_k` and the scaled `He_k^[r]`;
//! - [`quadrature`]: Gauss-Hermite and adaptive Gauss-Kronrod rules, and Gaussian
//!   expectations choosing between them;
//! - [`activation`]: [`ScalarActivation`], an activation as the theory sees it;
//! - [`coefficients`]: the Hermite coefficients `s_k`, `s_k^r`, `b_k^r`;
//! - [`tau`](mod@tau): `A(mu)`, `B(mu)` (published and corrected, [`TauVariant`]), `tau(mu)`,
//!   the exit time and the linear closed form;
//! - [`search_time`]: the SGD steps predicted from tau with no fitted constant;
//! - [`error`]: the error type, [`TheoryError`].
//!
//! # The large-N dynamics and the growth laws
//!
//! - [`dynamics`]: the overlap `m` and the scalar `u` of a rank-1 LoRA run as N grows, by
//!   ODEs and by the large-N step map ([`dynamics::LoraDynamics`]);
//! - [`scaling_law`]: the growth laws `N^p` and `N ln N` and the known law of a target's
//!   information exponent ([`GrowthLaw`]).
//!
//! # Utilities
//!
//! - [`rng`]: a small deterministic random number generator, splitmix64;
//! - [`format`](mod@format): deterministic number formatting.

#![warn(missing_docs)]

pub mod activation;
pub mod coefficients;
pub mod dynamics;
pub mod error;
pub mod format;
pub mod hermite;
pub mod quadrature;
pub mod rng;
pub mod scaling_law;
pub mod search_time;
pub mod tau;

#[cfg(test)]
pub(crate) mod test_activations;

pub use activation::ScalarActivation;
pub use coefficients::HermiteCoefficients;
pub use error::TheoryError;
pub use hermite::{hermite, hermite_sequence, scaled_hermite};
pub use quadrature::{
    gaussian_expectation, integrate_adaptive, standard_gaussian_expectation, AdaptiveOptions,
    GaussHermite, Integral,
};
pub use scaling_law::GrowthLaw;
pub use search_time::{predicted_steps, StartingOverlap};
pub use tau::{
    exit_time, tau, tau_coefficients, tau_linear_closed_form, TauCoefficients, TauOptions,
    TauVariant,
};
