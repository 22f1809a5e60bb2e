//! Errors of the summary-statistics dynamics.

/// Why the dynamics could not be set up or integrated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DynamicsError {
    /// A parameter is out of range; `field` names it.
    #[error("invalid dynamics parameter `{field}`: {reason}")]
    InvalidParameter {
        /// Name of the parameter.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The right-hand side or the state stopped being finite.
    #[error("{quantity} is not finite at t = {t}")]
    NonFinite {
        /// What was not finite.
        quantity: &'static str,
        /// Time at which it happened.
        t: f64,
    },
    /// The adaptive integrator could not meet its tolerance with a representable step.
    #[error("the step size underflowed at t = {t} (h = {h}): the problem is too stiff for the tolerance")]
    StepSizeUnderflow {
        /// Time reached.
        t: f64,
        /// Last step size tried.
        h: f64,
    },
    /// The adaptive integrator spent its step budget before reaching the end time.
    #[error("the integrator spent its budget of {max_steps} steps at t = {t}")]
    TooManySteps {
        /// The budget.
        max_steps: usize,
        /// Time reached.
        t: f64,
    },
}
