//! Deterministic number formatting: the names of the [`GrowthLaw`](crate::scaling_law::GrowthLaw)s,
//! and the analysis crate's CSV tables, reports and plots.

/// `x` with at most `decimals` decimals, trailing zeros (and a trailing point) trimmed,
/// and without a negative sign on zero: 9.5 -> "9.5", 36.0 -> "36", 1/3 -> "0.3333" (4 decimals).
pub fn trimmed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_zeros_and_rounds() {
        assert_eq!(trimmed(9.5, 4), "9.5");
        assert_eq!(trimmed(36.0, 4), "36");
        assert_eq!(trimmed(1.0 / 3.0, 4), "0.3333");
        assert_eq!(trimmed(2038.5, 1), "2038.5");
        assert_eq!(trimmed(-0.00001, 4), "0");
        assert_eq!(trimmed(100.0, 0), "100");
        assert_eq!(trimmed(f64::INFINITY, 2), "inf");
    }
}
