//! Deterministic large-N dynamics of the summary statistics of LoRA fine-tuning in the
//! paper's setting (K = 1, rank 1, paper init, frozen `w0 = mu w*`): the overlap
//! `m = <V, w*>` and the scalar `u = U`.
//!
//! Building blocks, one per file:
//! - [`bivariate`]: Gaussian expectations over a pair of correlated variables;
//! - [`radial_rule`]: the Gauss rule for the radius of a bivariate normal in polar coordinates;
//! - [`dormand_prince`]: the adaptive Dormand-Prince 5(4) integrator;
//! - [`lora_dynamics`]: the population terms, the ODEs and the large-N step map;
//! - [`error`]: the error type, [`DynamicsError`].
//!
//! The derivation and its assumptions are in `docs/theory.md`.
//!
//! # Example
//! ```
//! use goldilocks_theory::dynamics::{LoraDynamics, OdeOptions, Overlaps};
//! use goldilocks_theory::ScalarActivation;
//!
//! let identity = |x: f64| x;
//! let one = |_: f64| 1.0;
//! let linear = ScalarActivation::smooth(&identity, &one);
//! // N = 1000, B = 500, lr = 0.2, mu = 0.5.
//! let dynamics = LoraDynamics::new(linear, linear, 0.5, 0.2, 1000, 500).unwrap();
//! let start = Overlaps { m: 0.025, u: dynamics.initial_u() };
//! let curve = dynamics.ode_curve(start, 200, &OdeOptions::default()).unwrap();
//! assert!(curve[0] < 0.1 && curve[199] > 0.9);
//! ```

pub mod bivariate;
pub mod dormand_prince;
pub mod error;
pub mod lora_dynamics;
#[cfg(test)]
mod monte_carlo_tests;
pub mod radial_rule;

pub use bivariate::{GaussianPair, KinkLine};
pub use dormand_prince::{integrate, OdeOptions, OdeSolution};
pub use error::DynamicsError;
pub use lora_dynamics::{LoraDynamics, Overlaps, PopulationTerms, DEFAULT_NODES};
pub use radial_rule::RadialRule;
