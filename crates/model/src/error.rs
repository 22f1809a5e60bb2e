//! Errors of the model crate.

/// What can go wrong when building model parts from a description.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    /// An activation name that is not known.
    #[error("unknown activation `{0}`: expected linear, square, erf, sigmoid, relu, tanh, sign, he1 ... he30, a sum such as he2+he4, or erf^2, relu^2, sigmoid^2, tanh^2")]
    UnknownActivation(String),
    /// An activation that cannot be used by the student (no derivative).
    #[error("activation `{0}` has no derivative and can only be used by the teacher")]
    TeacherOnly(String),
    /// A parameter outside its valid range.
    #[error("{name} must be {expected}, got {value}")]
    OutOfRange {
        /// Name of the parameter.
        name: &'static str,
        /// The valid range, in words.
        expected: &'static str,
        /// The value given.
        value: f64,
    },
    /// Shapes that do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
}
