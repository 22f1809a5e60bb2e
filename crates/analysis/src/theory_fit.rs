//! Theory beside measurement: the constant that maps tau(mu) to SGD steps, fitted to the
//! measured escape times, and how well the shapes agree.
//!
//! The theory predicts the escape time up to a constant, tau(mu) ln(R / eps) with unknown
//! R / eps in SGD steps, so for each (activation, start, rank) the constant c is fitted in log
//! space, c = exp(mean(ln t_i - ln tau_i)), over the strengths with a measured paper_time t_i.
//! The log-RMS deviation of ln t_i from ln(c tau_i) says how well the shapes agree: 0.1 means
//! the measured times typically differ from the fitted curve by a factor of exp(0.1) = 1.105.

use serde::{Deserialize, Serialize};

use crate::distinct::distinct;
use crate::summary::SummaryRow;

/// Theory values tau(mu) of one activation (as named in the summary rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TheoryCurve {
    /// Display name of the activation pair, as in [`SummaryRow::activation`].
    pub activation: String,
    /// (mu, tau(mu)) pairs of the corrected variant, the one fitted and predicted from.
    pub points: Vec<(f64, f64)>,
    /// (mu, tau(mu)) pairs of the published variant (the authors' sums, k_max = 10).
    pub published: Vec<(f64, f64)>,
}

impl TheoryCurve {
    /// Whether the two variants differ anywhere by more than 1e-6 (relative): only pairs with
    /// s_0 b_0^r != 0 (relu, squared teachers), up to the published truncation.
    pub fn variants_differ(&self) -> bool {
        self.points.iter().any(|&(mu, corrected)| {
            self.published
                .iter()
                .find(|(m, _)| (m - mu).abs() < 1e-9)
                .is_some_and(|&(_, published)| (published / corrected - 1.0).abs() > 1e-6)
        })
    }

    /// Corrected tau at `mu` (matched to 1e-9), if the curve has it.
    pub fn tau(&self, mu: f64) -> Option<f64> {
        self.points.iter().find(|(m, _)| (m - mu).abs() < 1e-9).map(|&(_, t)| t)
    }
}

/// One strength of a fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitPoint {
    /// Pre-training strength.
    pub mu: f64,
    /// tau(mu).
    pub tau: f64,
    /// The fitted prediction c tau(mu), in steps.
    pub predicted: f64,
    /// The measured paper_time, in steps.
    pub measured: f64,
}

/// The fitted constant and the agreement of shapes for one (activation, start, rank).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TheoryFit {
    /// Activation pair.
    pub activation: String,
    /// Starting condition.
    pub start: String,
    /// LoRA rank.
    pub rank: usize,
    /// The constant c in steps per unit of tau.
    pub scale: f64,
    /// Root mean square of ln(measured) - ln(c tau) over the points.
    pub log_rms: f64,
    /// The points used, in increasing mu.
    pub points: Vec<FitPoint>,
}

/// Fits c for every (activation, start, rank) with a theory curve and at least two strengths
/// whose paper_time and tau are both defined and positive; in order of first appearance.
pub fn fit_theory(rows: &[SummaryRow], curves: &[TheoryCurve]) -> Vec<TheoryFit> {
    let groups = distinct(rows.iter().map(|r| (r.activation.as_str(), r.start.as_str(), r.rank)));
    let mut fits = Vec::new();
    for (activation, start, rank) in groups {
        let Some(curve) = curves.iter().find(|c| c.activation == activation) else {
            continue;
        };
        let mut pairs: Vec<(f64, f64, f64)> = rows
            .iter()
            .filter(|r| r.activation == activation && r.start == start && r.rank == rank)
            .filter_map(|r| {
                let measured = r.paper_time.filter(|&t| t > 0.0)?;
                let tau = curve.tau(r.mu).filter(|&t| t > 0.0 && t.is_finite())?;
                Some((r.mu, tau, measured))
            })
            .collect();
        if pairs.len() < 2 {
            continue;
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = pairs.len() as f64;
        let log_scale = pairs.iter().map(|(_, tau, t)| t.ln() - tau.ln()).sum::<f64>() / n;
        let scale = log_scale.exp();
        let log_rms =
            (pairs.iter().map(|(_, tau, t)| (t.ln() - (scale * tau).ln()).powi(2)).sum::<f64>()
                / n)
                .sqrt();
        let points = pairs
            .into_iter()
            .map(|(mu, tau, measured)| FitPoint { mu, tau, predicted: scale * tau, measured })
            .collect();
        fits.push(TheoryFit {
            activation: activation.into(),
            start: start.into(),
            rank,
            scale,
            log_rms,
            points,
        });
    }
    fits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mu: f64, t: Option<f64>) -> SummaryRow {
        SummaryRow {
            activation: "linear".into(),
            start: "s".into(),
            mu,
            rank: 1,
            initial_overlap: None,
            seeds: 3,
            paper_time: t,
            paper_time_lo: None,
            paper_time_hi: None,
            median_escape: None,
            escape_lo: None,
            escape_hi: None,
            censored: 0,
            diverged: 0,
            max_steps: 100,
        }
    }

    #[test]
    fn an_exact_multiple_is_recovered_with_zero_deviation() {
        let curve = TheoryCurve {
            activation: "linear".into(),
            points: vec![(0.1, 2.0), (0.5, 5.0), (0.9, 100.0)],
            published: Vec::new(),
        };
        let rows = vec![row(0.1, Some(14.0)), row(0.5, Some(35.0)), row(0.9, Some(700.0))];
        let fits = fit_theory(&rows, &[curve]);
        assert_eq!(fits.len(), 1);
        assert!((fits[0].scale - 7.0).abs() < 1e-12);
        assert!(fits[0].log_rms < 1e-12);
        assert!((fits[0].points[2].predicted - 700.0).abs() < 1e-9);
    }

    #[test]
    fn the_deviation_measures_shape_mismatch() {
        let curve = TheoryCurve {
            activation: "linear".into(),
            points: vec![(0.1, 1.0), (0.5, 1.0)],
            published: Vec::new(),
        };
        // Measured 1 and e^2: c = e, deviations -1 and +1.
        let rows = vec![row(0.1, Some(1.0)), row(0.5, Some(std::f64::consts::E.powi(2)))];
        let fit = &fit_theory(&rows, &[curve])[0];
        assert!((fit.scale - std::f64::consts::E).abs() < 1e-12);
        assert!((fit.log_rms - 1.0).abs() < 1e-12);
    }

    #[test]
    fn groups_without_enough_points_or_curves_are_skipped() {
        let curve = TheoryCurve {
            activation: "linear".into(),
            points: vec![(0.1, 1.0), (0.5, 2.0)],
            published: Vec::new(),
        };
        let rows = vec![row(0.1, Some(3.0)), row(0.5, None)];
        assert!(fit_theory(&rows, &[curve]).is_empty());
        assert!(fit_theory(&[row(0.1, Some(1.0)), row(0.5, Some(2.0))], &[]).is_empty());
    }
}
