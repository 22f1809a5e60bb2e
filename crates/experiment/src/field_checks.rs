//! Checks of single config fields, shared by every kind's `validate`; each error names the
//! field (with its table, as in `model.batch`) and the value it got.

use crate::ExperimentError;

/// Checks that an experiment name is usable as a folder name.
pub(crate) fn validate_name(name: &str) -> Result<(), ExperimentError> {
    let name_ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with('.');
    if !name_ok {
        return Err(ExperimentError::invalid(
            "name",
            format!(
                "must be a non-empty file name of letters, digits, '-', '_' or '.', got {name:?}"
            ),
        ));
    }
    Ok(())
}

/// Checks that a count is at least 1.
pub(crate) fn at_least_one(field: &str, value: usize) -> Result<(), ExperimentError> {
    if value == 0 {
        return Err(ExperimentError::invalid(field, "must be at least 1, got 0"));
    }
    Ok(())
}

/// Checks that a number is finite and above 0.
pub(crate) fn positive_number(field: &str, value: f64) -> Result<(), ExperimentError> {
    if !(value.is_finite() && value > 0.0) {
        return Err(ExperimentError::invalid(
            field,
            format!("must be a positive number, got {value}"),
        ));
    }
    Ok(())
}

/// Checks that a number is finite and at least 0.
pub(crate) fn non_negative_number(field: &str, value: f64) -> Result<(), ExperimentError> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(ExperimentError::invalid(
            field,
            format!("must be a non-negative number, got {value}"),
        ));
    }
    Ok(())
}

/// Checks that a list holds at least one item; `item` names one in the message ("must list
/// at least one rank").
pub(crate) fn lists_at_least_one(
    field: &str,
    len: usize,
    item: &str,
) -> Result<(), ExperimentError> {
    if len == 0 {
        return Err(ExperimentError::invalid(field, format!("must list at least one {item}")));
    }
    Ok(())
}

/// Checks that a fraction lies in (0, 1].
pub(crate) fn unit_fraction(field: &str, value: f64) -> Result<(), ExperimentError> {
    if !(value > 0.0 && value <= 1.0) {
        return Err(ExperimentError::invalid(field, format!("must be in (0, 1], got {value}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_plain_file_names() {
        for good in ["default", "a-b_c.2"] {
            validate_name(good).unwrap();
        }
        for bad in ["", "../x", "a/b", ".hidden", "a b"] {
            assert!(validate_name(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn each_check_names_its_field_and_the_value() {
        assert!(at_least_one("model.batch", 1).is_ok());
        let zero = at_least_one("model.batch", 0).unwrap_err().to_string();
        assert!(zero.contains("`model.batch`") && zero.contains("got 0"), "{zero}");
        assert!(positive_number("rate", 0.5).is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(positive_number("rate", bad).is_err(), "{bad} was accepted");
        }
        assert!(unit_fraction("threshold", 1.0).is_ok());
        let above = unit_fraction("threshold", 1.5).unwrap_err().to_string();
        assert!(above.contains("`threshold`") && above.contains("1.5"), "{above}");
        assert!(unit_fraction("threshold", 0.0).is_err());
        assert!(non_negative_number("noise", 0.0).is_ok());
        assert!(non_negative_number("noise", -0.5).unwrap_err().to_string().contains("-0.5"));
        assert!(non_negative_number("noise", f64::NAN).is_err());
        assert!(lists_at_least_one("sweep.mu", 1, "strength").is_ok());
        let empty = lists_at_least_one("sweep.mu", 0, "strength").unwrap_err().to_string();
        assert!(empty.contains("`sweep.mu` must list at least one strength"), "{empty}");
    }
}
