//! Errors of the `tau(mu)` theory.

/// Why `tau(mu)` (or one of its ingredients) could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TheoryError {
    /// The pre-training strength must lie in `(0, 1]` (the theory divides by powers of `mu`).
    #[error("pre-training strength mu = {mu} is outside (0, 1]")]
    MuOutOfRange {
        /// The offending value.
        mu: f64,
    },
    /// The quadrature or truncation options cannot give a meaningful answer.
    #[error("invalid theory options: {reason}")]
    InvalidOptions {
        /// What is wrong, in words.
        reason: String,
    },
    /// A Hermite student activation must have degree at least 1 (the rule divides by `deg! * deg`).
    #[error("Hermite degree {degree} is invalid: the learning-rate rule needs degree >= 1")]
    InvalidHermiteDegree {
        /// The offending degree.
        degree: u32,
    },
    /// `A(mu)` vanishes (to rounding) or is not finite, so `tau(mu)` is undefined: for
    /// matching teacher and student this happens at `mu = 1`, where nothing is left to learn.
    #[error("A(mu) = {a} at mu = {mu}: it vanishes or is not finite, so tau(mu) is undefined")]
    DegenerateA {
        /// Pre-training strength.
        mu: f64,
        /// The value of `A(mu)` found.
        a: f64,
    },
    /// Some other intermediate quantity is not finite (NaN from an activation, overflow).
    #[error("{quantity} = {value} is not finite at mu = {mu}")]
    NonFinite {
        /// Which quantity: "B(mu)", "tau(mu)", a coefficient name, ...
        quantity: &'static str,
        /// Pre-training strength.
        mu: f64,
        /// The value found.
        value: f64,
    },
}
