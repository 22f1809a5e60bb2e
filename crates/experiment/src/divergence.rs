//! When a run counts as diverged: a loss it reports is non-finite, or above the bound its
//! config sets (`loss_bound`, off when absent). A diverged run is stopped at that step and
//! recorded as such; the other runs go on.

/// Whether `loss` marks its run as diverged under `bound` (None: only a non-finite loss).
pub(crate) fn loss_diverges(loss: f64, bound: Option<f64>) -> bool {
    !loss.is_finite() || bound.is_some_and(|bound| loss > bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_finite_loss_diverges_with_or_without_a_bound() {
        for bound in [None, Some(10.0)] {
            assert!(loss_diverges(f64::NAN, bound));
            assert!(loss_diverges(f64::INFINITY, bound));
            assert!(!loss_diverges(3.0, bound));
        }
        assert!(loss_diverges(10.5, Some(10.0)));
        assert!(!loss_diverges(10.0, Some(10.0)));
        assert!(!loss_diverges(1e30, None));
    }
}
