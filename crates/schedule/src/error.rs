//! The error returned when a schedule's configuration is invalid.
//!
//! Every variant names the field (with its path inside nested schedules, e.g. `of[1].every`)
//! and the offending value, so the message can be shown to the user as is.

/// A schedule configuration that cannot be used, naming the field and the bad value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// An integer field below its minimum, e.g. "every must be at least 1, got 0".
    #[error("{field} must be at least {min}, got {value}")]
    TooSmall {
        /// The field's name (or path, for nested schedules).
        field: String,
        /// The smallest allowed value.
        min: usize,
        /// The value found.
        value: usize,
    },
    /// An integer field larger than another field it is bounded by.
    #[error("{field} must not exceed {limit_field} ({limit}), got {value}")]
    Exceeds {
        /// The field's name.
        field: String,
        /// The value found.
        value: usize,
        /// The field that bounds it.
        limit_field: String,
        /// The bounding field's value.
        limit: usize,
    },
    /// A real-valued field outside its allowed range, e.g. "gamma must be in (0, 1], got 2".
    #[error("{field} must be {requirement}, got {value}")]
    OutOfRange {
        /// The field's name.
        field: String,
        /// The allowed range, in words or interval notation.
        requirement: String,
        /// The value found.
        value: f64,
    },
    /// A list field that must not be empty.
    #[error("{field} must not be empty")]
    Empty {
        /// The field's name.
        field: String,
    },
}

impl ScheduleError {
    /// The name (or path) of the offending field.
    pub fn field(&self) -> &str {
        match self {
            Self::TooSmall { field, .. }
            | Self::Exceeds { field, .. }
            | Self::OutOfRange { field, .. }
            | Self::Empty { field } => field,
        }
    }

    /// Prefixes the field path with `prefix`, e.g. `every` inside `of[1]` becomes `of[1].every`.
    pub fn within(mut self, prefix: &str) -> Self {
        let field = match &mut self {
            Self::TooSmall { field, .. }
            | Self::Exceeds { field, .. }
            | Self::OutOfRange { field, .. }
            | Self::Empty { field } => field,
        };
        *field = format!("{prefix}.{field}");
        self
    }

    pub(crate) fn too_small(field: &str, min: usize, value: usize) -> Self {
        Self::TooSmall { field: field.to_owned(), min, value }
    }

    pub(crate) fn exceeds(field: &str, value: usize, limit_field: &str, limit: usize) -> Self {
        Self::Exceeds { field: field.to_owned(), value, limit_field: limit_field.to_owned(), limit }
    }

    pub(crate) fn out_of_range(field: &str, requirement: impl Into<String>, value: f64) -> Self {
        Self::OutOfRange { field: field.to_owned(), requirement: requirement.into(), value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_field_and_value() {
        assert_eq!(
            ScheduleError::too_small("every", 1, 0).to_string(),
            "every must be at least 1, got 0"
        );
        assert_eq!(
            ScheduleError::exceeds("warmup_steps", 200, "total_steps", 100).to_string(),
            "warmup_steps must not exceed total_steps (100), got 200"
        );
        assert_eq!(
            ScheduleError::out_of_range("gamma", "in (0, 1]", 2.0).to_string(),
            "gamma must be in (0, 1], got 2"
        );
    }

    #[test]
    fn within_prefixes_the_path() {
        let err = ScheduleError::too_small("every", 1, 0).within("of[1]").within("of[0]");
        assert_eq!(err.field(), "of[0].of[1].every");
        assert_eq!(err.to_string(), "of[0].of[1].every must be at least 1, got 0");
    }
}
