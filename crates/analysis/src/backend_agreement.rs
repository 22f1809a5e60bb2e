//! Whether two record sets of one config agree: the same runs computed on two backends (or
//! two machines), compared run by run and, per variant, within seed noise.
//!
//! Two float implementations of the same SGD part by rounding, and the search phase
//! amplifies the difference, so escape steps need not be identical. They agree *within seed
//! noise* when, for every variant (activation, start, mu, rank), the mean escape steps of the
//! two sets differ by less than `z_max` standard errors of that difference, each set's
//! standard error taken from its own seeds (a censored run counts at the steps it ran).

use std::collections::BTreeMap;

use crate::error::AnalysisError;
use crate::RunRecord;

/// The comparison of one variant's runs.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantAgreement {
    /// "activation, start, mu = .., rank = ..".
    pub variant: String,
    /// Seeds compared.
    pub seeds: usize,
    /// Mean escape step of the first set (censored runs at the steps they ran).
    pub mean_first: f64,
    /// Mean escape step of the second set.
    pub mean_second: f64,
    /// (mean_first - mean_second) over the standard error of the difference; 0 when both
    /// sets are identical, infinite when they differ without any seed-to-seed spread.
    pub z: f64,
}

/// The comparison of two record sets of one config.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordAgreement {
    /// Runs compared (matched by activation, start, mu, rank and seed).
    pub runs: usize,
    /// Runs whose escape step (or censoring) is the same in both sets.
    pub same_escape: usize,
    /// The largest |m_V| difference over every step both runs recorded, over every run.
    pub largest_m_v_gap: f64,
    /// Per variant, in the order of the first set.
    pub variants: Vec<VariantAgreement>,
}

/// The key that matches a run of one set with its twin in the other.
fn run_key(record: &RunRecord) -> (String, String, String, usize, u64) {
    (
        record.activation.clone(),
        record.start.clone(),
        record.mu.to_string(),
        record.rank,
        record.seed,
    )
}

/// The escape step, or the steps run for a censored or diverged run.
fn escape_or_steps(record: &RunRecord) -> f64 {
    record.escape_step.unwrap_or(record.steps_run) as f64
}

impl RecordAgreement {
    /// Compares `first` and `second`, which must hold the same runs (in any order).
    pub fn compare(first: &[RunRecord], second: &[RunRecord]) -> Result<Self, AnalysisError> {
        let twins: BTreeMap<_, &RunRecord> = second.iter().map(|r| (run_key(r), r)).collect();
        if first.is_empty() || first.len() != second.len() || twins.len() != second.len() {
            return Err(AnalysisError::InvalidParameter {
                field: "records",
                reason: format!(
                    "the two sets must hold the same runs, got {} and {}",
                    first.len(),
                    second.len()
                ),
            });
        }
        let mut same_escape = 0;
        let mut largest_m_v_gap = 0.0f64;
        let mut variants: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for record in first {
            let twin =
                twins.get(&run_key(record)).ok_or_else(|| AnalysisError::InvalidParameter {
                    field: "records",
                    reason: format!(
                        "{} (seed {}, mu = {}) has no twin in the second set",
                        record.activation, record.seed, record.mu
                    ),
                })?;
            if record.escape_step == twin.escape_step && record.censored == twin.censored {
                same_escape += 1;
            }
            for (a, b) in record.m_v.iter().zip(&twin.m_v) {
                largest_m_v_gap = largest_m_v_gap.max(f64::from((a - b).abs()));
            }
            let variant = format!(
                "{}, {}, mu = {}, rank = {}",
                record.activation, record.start, record.mu, record.rank
            );
            let pair = (escape_or_steps(record), escape_or_steps(twin));
            match variants.iter_mut().find(|(name, _)| *name == variant) {
                Some((_, pairs)) => pairs.push(pair),
                None => variants.push((variant, vec![pair])),
            }
        }
        let variants = variants
            .into_iter()
            .map(|(variant, pairs)| {
                let first: Vec<f64> = pairs.iter().map(|p| p.0).collect();
                let second: Vec<f64> = pairs.iter().map(|p| p.1).collect();
                let (mean_first, var_first) = mean_and_variance(&first);
                let (mean_second, var_second) = mean_and_variance(&second);
                let n = pairs.len() as f64;
                let gap = mean_first - mean_second;
                let error = ((var_first + var_second) / n).sqrt();
                let z = if gap == 0.0 { 0.0 } else { gap / error };
                VariantAgreement { variant, seeds: pairs.len(), mean_first, mean_second, z }
            })
            .collect();
        Ok(Self { runs: first.len(), same_escape, largest_m_v_gap, variants })
    }

    /// Whether every variant's mean escape steps agree within `z_max` standard errors.
    pub fn within_seed_noise(&self, z_max: f64) -> bool {
        self.variants.iter().all(|v| v.z.abs() < z_max)
    }

    /// The variant whose means are furthest apart in standard errors.
    pub fn worst(&self) -> Option<&VariantAgreement> {
        self.variants.iter().max_by(|a, b| a.z.abs().total_cmp(&b.z.abs()))
    }
}

/// Mean and sample variance (0 for a single value).
fn mean_and_variance(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, variance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GridRecord;

    fn record(seed: u64, mu: f64, escape: Option<usize>, m_v: Vec<f32>) -> RunRecord {
        RunRecord {
            activation: "linear".into(),
            teacher: "linear".into(),
            student: "linear".into(),
            mu,
            rank: 1,
            start: "random-start".into(),
            initial_overlap: None,
            seed,
            learning_rate: 0.2,
            max_steps: 100,
            steps_run: 100,
            escape_step: escape,
            censored: escape.is_none(),
            diverged_at: None,
            m_v,
            grid: GridRecord::default(),
        }
    }

    #[test]
    fn identical_sets_agree_exactly() {
        let set: Vec<RunRecord> =
            (0..4).map(|s| record(s, 0.5, Some(40 + s as usize), vec![0.1, 0.6])).collect();
        let mut shuffled = set.clone();
        shuffled.reverse();
        let agreement = RecordAgreement::compare(&set, &shuffled).unwrap();
        assert_eq!((agreement.runs, agreement.same_escape), (4, 4));
        assert_eq!(agreement.largest_m_v_gap, 0.0);
        assert!(agreement.within_seed_noise(3.0));
        assert_eq!(agreement.worst().unwrap().z, 0.0);
    }

    /// Escape steps a step or two apart are within seed noise; a shift far beyond the seeds'
    /// spread is not; m_V gaps are the largest over the common steps.
    #[test]
    fn shifts_are_judged_against_the_seed_spread() {
        let first: Vec<RunRecord> =
            (0..4).map(|s| record(s, 0.5, Some(40 + 10 * s as usize), vec![0.1, 0.6])).collect();
        let near: Vec<RunRecord> = (0..4)
            .map(|s| record(s, 0.5, Some(41 + 10 * s as usize), vec![0.1, 0.62, 0.9]))
            .collect();
        let agreement = RecordAgreement::compare(&first, &near).unwrap();
        assert_eq!(agreement.same_escape, 0);
        assert!((agreement.largest_m_v_gap - 0.02).abs() < 1e-6);
        assert!(agreement.within_seed_noise(3.0), "{:?}", agreement.worst());
        let far: Vec<RunRecord> =
            (0..4).map(|s| record(s, 0.5, Some(90 + 10 * s as usize), vec![0.1])).collect();
        let agreement = RecordAgreement::compare(&first, &far).unwrap();
        assert!(!agreement.within_seed_noise(3.0));
        assert!(agreement.worst().unwrap().z < -3.0);
    }

    #[test]
    fn sets_of_other_runs_are_refused() {
        let first = vec![record(0, 0.5, Some(40), vec![0.1])];
        let other = vec![record(1, 0.5, Some(40), vec![0.1])];
        let error = RecordAgreement::compare(&first, &other).unwrap_err();
        assert!(error.to_string().contains("no twin"), "{error}");
        let error = RecordAgreement::compare(&first, &[]).unwrap_err();
        assert!(error.to_string().contains("same runs"), "{error}");
    }
}
