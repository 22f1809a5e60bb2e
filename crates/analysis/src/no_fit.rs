//! Theory beside measurement with no fitted constant: the steps that tau(mu) predicts for the
//! paper's statistic and for the escape step, against the measured ones.
//!
//! The prediction of each (activation, start, mu) comes from the experiment (it knows the
//! learning rate, the starting overlap and the threshold); here it is matched to the summary
//! rows of rank 1 (the theory is the rank-1 flow) and scored by the log-RMS deviation
//! `sqrt(mean((ln measured - ln predicted)^2))`: 0.1 means the measurement typically differs
//! from the prediction by a factor of exp(0.1) = 1.105.

use serde::{Deserialize, Serialize};

use crate::summary::SummaryRow;

/// The predicted statistics of one (activation, start, mu), in SGD steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoFitPrediction {
    /// Activation pair, as in [`SummaryRow::activation`].
    pub activation: String,
    /// Starting condition, as in [`SummaryRow::start`].
    pub start: String,
    /// Pre-training strength.
    pub mu: f64,
    /// Steps for the overlap to reach mu: the paper's statistic.
    pub paper_time: f64,
    /// Steps for the overlap to reach the escape threshold.
    pub escape_step: f64,
}

/// One strength of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoFitPoint {
    /// Pre-training strength.
    pub mu: f64,
    /// Predicted paper_time.
    pub predicted_paper_time: f64,
    /// Measured paper_time, where defined.
    pub measured_paper_time: Option<f64>,
    /// Predicted escape step.
    pub predicted_escape: f64,
    /// Measured median escape step, where defined.
    pub measured_escape: Option<f64>,
}

/// The no-fit comparison of one (activation, start) at rank 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoFitComparison {
    /// Activation pair.
    pub activation: String,
    /// Starting condition.
    pub start: String,
    /// Log-RMS deviation of the measured paper_time from the prediction (None: no point).
    pub paper_time_log_rms: Option<f64>,
    /// Log-RMS deviation of the measured median escape step from the prediction.
    pub escape_log_rms: Option<f64>,
    /// The strengths, in increasing mu.
    pub points: Vec<NoFitPoint>,
}

/// Matches every rank-1 summary row to its prediction and scores each (activation, start), in
/// order of first appearance; rows without a prediction are left out.
pub fn compare_no_fit(
    rows: &[SummaryRow],
    predictions: &[NoFitPrediction],
) -> Vec<NoFitComparison> {
    let mut comparisons: Vec<NoFitComparison> = Vec::new();
    for row in rows.iter().filter(|r| r.rank == 1) {
        let Some(prediction) = predictions.iter().find(|p| {
            p.activation == row.activation && p.start == row.start && (p.mu - row.mu).abs() < 1e-9
        }) else {
            continue;
        };
        let point = NoFitPoint {
            mu: row.mu,
            predicted_paper_time: prediction.paper_time,
            measured_paper_time: row.paper_time,
            predicted_escape: prediction.escape_step,
            measured_escape: row.median_escape,
        };
        match comparisons
            .iter_mut()
            .find(|c| c.activation == row.activation && c.start == row.start)
        {
            Some(comparison) => comparison.points.push(point),
            None => comparisons.push(NoFitComparison {
                activation: row.activation.clone(),
                start: row.start.clone(),
                paper_time_log_rms: None,
                escape_log_rms: None,
                points: vec![point],
            }),
        }
    }
    for comparison in &mut comparisons {
        comparison.points.sort_by(|a, b| a.mu.total_cmp(&b.mu));
        let points = &comparison.points;
        comparison.paper_time_log_rms =
            log_rms(points.iter().map(|p| (p.measured_paper_time, p.predicted_paper_time)));
        comparison.escape_log_rms =
            log_rms(points.iter().map(|p| (p.measured_escape, p.predicted_escape)));
    }
    comparisons
}

/// Log-RMS deviation over the pairs (measured, predicted) where both are positive.
fn log_rms(pairs: impl Iterator<Item = (Option<f64>, f64)>) -> Option<f64> {
    let squares: Vec<f64> = pairs
        .filter_map(|(measured, predicted)| {
            let measured = measured.filter(|&m| m > 0.0)?;
            (predicted > 0.0).then(|| (measured.ln() - predicted.ln()).powi(2))
        })
        .collect();
    (!squares.is_empty()).then(|| (squares.iter().sum::<f64>() / squares.len() as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(activation: &str, mu: f64, rank: usize, paper: Option<f64>, escape: f64) -> SummaryRow {
        SummaryRow {
            activation: activation.into(),
            start: "s".into(),
            mu,
            rank,
            initial_overlap: None,
            seeds: 3,
            paper_time: paper,
            paper_time_lo: None,
            paper_time_hi: None,
            median_escape: Some(escape),
            escape_lo: None,
            escape_hi: None,
            censored: 0,
            diverged: 0,
            max_steps: 100,
        }
    }

    fn prediction(activation: &str, mu: f64, paper_time: f64, escape_step: f64) -> NoFitPrediction {
        NoFitPrediction {
            activation: activation.into(),
            start: "s".into(),
            mu,
            paper_time,
            escape_step,
        }
    }

    #[test]
    fn deviations_are_log_rms_over_the_defined_points() {
        let e = std::f64::consts::E;
        let rows = vec![
            row("linear", 0.5, 1, Some(10.0 * e), 20.0),
            row("linear", 0.1, 1, Some(10.0 / e), 20.0),
            row("linear", 0.3, 1, None, 20.0),
            row("linear", 0.3, 4, Some(1.0), 1.0),
            row("relu", 0.3, 1, Some(1.0), 1.0),
        ];
        let predictions = vec![
            prediction("linear", 0.1, 10.0, 20.0),
            prediction("linear", 0.3, 10.0, 20.0),
            prediction("linear", 0.5, 10.0, 20.0),
        ];
        let comparisons = compare_no_fit(&rows, &predictions);
        assert_eq!(comparisons.len(), 1, "relu has no prediction; rank 4 is not compared");
        let c = &comparisons[0];
        assert_eq!(c.points.iter().map(|p| p.mu).collect::<Vec<_>>(), vec![0.1, 0.3, 0.5]);
        assert!((c.paper_time_log_rms.unwrap() - 1.0).abs() < 1e-12);
        assert!(c.escape_log_rms.unwrap().abs() < 1e-12);
    }

    #[test]
    fn no_defined_point_gives_no_deviation() {
        let rows = vec![row("linear", 0.5, 1, None, 0.0)];
        let c = &compare_no_fit(&rows, &[prediction("linear", 0.5, 10.0, 0.0)])[0];
        assert_eq!((c.paper_time_log_rms, c.escape_log_rms), (None, None));
    }
}
