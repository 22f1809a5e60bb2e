//! Whether a measured escape time agrees with a published one.
//!
//! A measured value agrees when it is within 35% of the published value or within 6 steps
//! of it (the tolerance of the project's acceptance check); otherwise it is a miss, which
//! the report shows plainly.

/// Relative tolerance: a measured time within this fraction of the published one agrees.
pub const MISS_RELATIVE: f64 = 0.35;

/// Absolute tolerance in SGD steps: a measured time within this many steps agrees.
pub const MISS_ABSOLUTE_STEPS: f64 = 6.0;

/// Outcome of comparing a measured time with a published one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    /// Nothing to compare: no published number, or no measured one.
    Unavailable,
    /// Within 35% or 6 steps of the published number.
    Agrees {
        /// measured / published.
        ratio: f64,
    },
    /// Further than both 35% and 6 steps from the published number.
    Miss {
        /// measured / published.
        ratio: f64,
    },
}

impl Comparison {
    /// measured / published, when both exist.
    pub fn ratio(&self) -> Option<f64> {
        match *self {
            Comparison::Unavailable => None,
            Comparison::Agrees { ratio } | Comparison::Miss { ratio } => Some(ratio),
        }
    }

    /// Whether this is a miss.
    pub fn is_miss(&self) -> bool {
        matches!(self, Comparison::Miss { .. })
    }
}

/// Compares a measured time with a published one (see the module doc for the tolerance).
pub fn compare_with_published(measured: Option<f64>, published: Option<f64>) -> Comparison {
    let (Some(m), Some(p)) = (measured, published) else {
        return Comparison::Unavailable;
    };
    let ratio = m / p;
    let gap = (m - p).abs();
    if gap <= MISS_ABSOLUTE_STEPS || gap <= MISS_RELATIVE * p.abs() {
        Comparison::Agrees { ratio }
    } else {
        Comparison::Miss { ratio }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_is_35_percent_or_6_steps() {
        // 30% over: agrees.
        assert!(matches!(
            compare_with_published(Some(130.0), Some(100.0)),
            Comparison::Agrees { .. }
        ));
        // 40% over and 40 steps: miss.
        let c = compare_with_published(Some(140.0), Some(100.0));
        assert!(c.is_miss());
        assert!((c.ratio().unwrap() - 1.4).abs() < 1e-12);
        // 50% under, but only 5 steps: agrees by the absolute rule.
        assert!(!compare_with_published(Some(5.0), Some(10.0)).is_miss());
        // 7 steps and 70% off: miss.
        assert!(compare_with_published(Some(17.0), Some(10.0)).is_miss());
    }

    #[test]
    fn missing_values_are_unavailable() {
        assert_eq!(compare_with_published(None, Some(10.0)), Comparison::Unavailable);
        assert_eq!(compare_with_published(Some(10.0), None), Comparison::Unavailable);
        assert_eq!(Comparison::Unavailable.ratio(), None);
    }
}
