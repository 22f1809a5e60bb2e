//! Gaussian quadrature: the rules behind every expectation of the theory.
//!
//! - [`gauss_hermite`]: Gauss-Hermite rules for `E[f(Z)]` with smooth `f`;
//! - [`gauss_kronrod`]: adaptive Gauss-Kronrod quadrature for kinks and jumps;
//! - [`expectation`]: Gaussian expectations, choosing between the two.

pub mod expectation;
pub mod gauss_hermite;
pub mod gauss_kronrod;

pub use expectation::{gaussian_expectation, standard_gaussian_expectation};
pub use gauss_hermite::GaussHermite;
pub use gauss_kronrod::{integrate_adaptive, AdaptiveOptions, Integral};
