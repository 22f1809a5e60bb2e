//! [`ScalarActivation`]: a scalar activation function as the `tau(mu)` theory needs it.
//!
//! The theory crate knows nothing of the model crate: an activation comes in as plain
//! functions for its value and derivative, a flag for kinks or jumps at 0 (which switches
//! the quadrature to an adaptive rule split at 0), and the Hermite degree that drives the
//! learning-rate rule of `shared/design/model.md`.

/// A scalar activation as the theory needs it.
#[derive(Clone, Copy)]
pub struct ScalarActivation<'a> {
    /// The function itself, `x -> sigma(x)`.
    pub value: &'a dyn Fn(f64) -> f64,
    /// Its derivative `sigma'(x)` (for relu the step `1{x > 0}`; for a teacher-only
    /// activation such as sign it is never used and may be anything, e.g. 0).
    pub derivative: &'a dyn Fn(f64) -> f64,
    /// True when the function or its derivative has kinks or jumps at 0 (relu, sign):
    /// expectations then use adaptive quadrature split at 0 instead of Gauss-Hermite.
    pub non_smooth: bool,
    /// Hermite degree for the learning-rate rule: `Some(k)` for `He_k` or a sum of Hermite
    /// polynomials whose top degree is `k`, `None` for every other activation. For a
    /// student, `A(mu)` and `B(mu)` are divided by `k! * k`.
    pub hermite_degree: Option<u32>,
    /// The jump `sigma(0+) - sigma(0-)` of the function at 0 (2 for sign, 0 for continuous
    /// functions): in the sense of distributions the derivative is `derivative` plus this
    /// jump times a Dirac delta at 0, which the corrected `B(mu)` integrates against.
    pub jump_at_zero: f64,
}

impl<'a> ScalarActivation<'a> {
    /// A smooth, non-Hermite activation (linear, erf, tanh, sigmoid, square, ...).
    pub fn smooth(value: &'a dyn Fn(f64) -> f64, derivative: &'a dyn Fn(f64) -> f64) -> Self {
        Self { value, derivative, non_smooth: false, hermite_degree: None, jump_at_zero: 0.0 }
    }

    /// An activation with a kink or jump at 0 (relu, sign), integrated adaptively.
    pub fn non_smooth(value: &'a dyn Fn(f64) -> f64, derivative: &'a dyn Fn(f64) -> f64) -> Self {
        Self { value, derivative, non_smooth: true, hermite_degree: None, jump_at_zero: 0.0 }
    }

    /// A Hermite activation (`He_k`, or a sum with top degree `k = degree`).
    pub fn hermite(
        value: &'a dyn Fn(f64) -> f64,
        derivative: &'a dyn Fn(f64) -> f64,
        degree: u32,
    ) -> Self {
        Self {
            value,
            derivative,
            non_smooth: false,
            hermite_degree: Some(degree),
            jump_at_zero: 0.0,
        }
    }
}

impl ScalarActivation<'_> {
    /// The same activation with a jump of `jump` at 0 (sign: 2).
    pub fn with_jump_at_zero(mut self, jump: f64) -> Self {
        self.jump_at_zero = jump;
        self
    }
}

impl std::fmt::Debug for ScalarActivation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScalarActivation")
            .field("value(1)", &(self.value)(1.0))
            .field("non_smooth", &self.non_smooth)
            .field("hermite_degree", &self.hermite_degree)
            .field("jump_at_zero", &self.jump_at_zero)
            .finish_non_exhaustive()
    }
}
