//! One summary row per (activation, start, mu, rank): the paper's statistic with its spread
//! over seed subsets, and the per-run escape times with censoring.

use serde::{Deserialize, Serialize};

use crate::error::AnalysisError;
use crate::escape::{escape_step, median_escape};
use crate::paper_statistic::paper_time;
use crate::subsets::subset_interval;
use crate::trajectory::RunTrajectory;

/// Quantiles of the paper's statistic over seed subsets reported as `paper_time_lo` and
/// `paper_time_hi`: the 5% and 95% points.
pub const SUBSET_QUANTILES: (f64, f64) = (0.05, 0.95);

/// How the runs are summarised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SummaryParams {
    /// Escape threshold theta on m_V for the per-run escape step (paper: 0.5).
    pub threshold: f64,
    /// Half-width of the band around mu in the paper's statistic (paper: 0.05).
    pub half_width: f64,
    /// Seeds per subset for the spread of the paper's statistic (the published runs used 3).
    pub subset_size: usize,
    /// Largest number of subsets: all are enumerated up to this count, beyond it this many are drawn at random.
    pub max_subsets: usize,
    /// Seed of the random subset draws.
    pub subset_seed: u64,
}

impl SummaryParams {
    /// The paper's settings: threshold 0.5, band mu +- 0.05, 3-seed subsets (at most 2000, seed 0).
    pub fn paper() -> Self {
        Self { threshold: 0.5, half_width: 0.05, subset_size: 3, max_subsets: 2000, subset_seed: 0 }
    }

    /// Checks that every parameter is usable.
    pub fn validate(&self) -> Result<(), AnalysisError> {
        let bad = |field: &'static str, reason: String| {
            Err(AnalysisError::InvalidParameter { field, reason })
        };
        if !self.threshold.is_finite() {
            return bad("threshold", format!("must be a finite number, got {}", self.threshold));
        }
        if !(self.half_width.is_finite() && self.half_width >= 0.0) {
            return bad("half_width", format!("must be finite and >= 0, got {}", self.half_width));
        }
        if self.subset_size == 0 {
            return bad("subset_size", "must be at least 1".to_string());
        }
        if self.max_subsets == 0 {
            return bad("max_subsets", "must be at least 1".to_string());
        }
        Ok(())
    }
}

impl Default for SummaryParams {
    fn default() -> Self {
        Self::paper()
    }
}

/// One row of summary.csv: the runs of one (activation, start, mu, rank).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Activation pair.
    pub activation: String,
    /// Starting condition.
    pub start: String,
    /// Pre-training strength mu.
    pub mu: f64,
    /// LoRA rank.
    pub rank: usize,
    /// Prescribed initial overlap m0 (None for random V).
    pub initial_overlap: Option<f64>,
    /// Number of runs (seeds).
    pub seeds: usize,
    /// The paper's statistic over all seeds, in steps; None if undefined.
    pub paper_time: Option<f64>,
    /// 5% point of the paper's statistic over seed subsets; None if undefined.
    pub paper_time_lo: Option<f64>,
    /// 95% point of the paper's statistic over seed subsets; None if undefined.
    pub paper_time_hi: Option<f64>,
    /// Median escape step over seeds, censored runs counting as +infinity; None when the median is censored.
    pub median_escape: Option<f64>,
    /// Smallest escape step over uncensored seeds; None if all are censored.
    pub escape_lo: Option<usize>,
    /// Largest escape step over uncensored seeds; None if all are censored.
    pub escape_hi: Option<usize>,
    /// Number of censored runs (never reached the threshold within their budget).
    pub censored: usize,
    /// Number of diverged runs (stopped when their state became non-finite; counted as not
    /// escaped in the median unless they escaped first). The paper's statistic, a mean over
    /// the seeds' curves, is undefined when any run diverged.
    pub diverged: usize,
    /// Step budget of the runs (the largest one if they differ).
    pub max_steps: usize,
}

/// Groups trajectories by (activation, start, mu, rank), keeping the order of first
/// appearance, and computes each group's row.
///
/// Errors on unusable parameters, on a run with a non-finite mu, initial overlap or m_V
/// value, or more m_V values than its budget, and on a group whose runs disagree on the
/// initial overlap or repeat a seed.
pub fn summarize(
    runs: &[RunTrajectory],
    params: &SummaryParams,
) -> Result<Vec<SummaryRow>, AnalysisError> {
    params.validate()?;
    for (index, run) in runs.iter().enumerate() {
        check_run(index, run)?;
    }
    let mut groups: Vec<Vec<&RunTrajectory>> = Vec::new();
    for run in runs {
        let same = |g: &Vec<&RunTrajectory>| {
            let first = g[0];
            first.activation == run.activation
                && first.start == run.start
                && first.mu == run.mu
                && first.rank == run.rank
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(group) => group.push(run),
            None => groups.push(vec![run]),
        }
    }
    groups.iter().map(|g| summarize_group(g, params)).collect()
}

fn check_run(index: usize, run: &RunTrajectory) -> Result<(), AnalysisError> {
    let fail = |reason: String| AnalysisError::InvalidRun {
        index,
        activation: run.activation.clone(),
        start: run.start.clone(),
        mu: run.mu,
        seed: run.seed,
        reason,
    };
    if !run.mu.is_finite() {
        return Err(fail("mu is not a finite number".to_string()));
    }
    if let Some(m0) = run.initial_overlap {
        if !m0.is_finite() {
            return Err(fail(format!("initial_overlap {m0} is not a finite number")));
        }
    }
    if let Some(i) = run.m_v.iter().position(|m| !m.is_finite()) {
        return Err(fail(format!(
            "m_v[{i}] (after {} steps) is {} (did the run diverge?)",
            i + 1,
            run.m_v[i]
        )));
    }
    if run.m_v.len() > run.max_steps {
        return Err(fail(format!(
            "{} m_v values but a budget of {} steps",
            run.m_v.len(),
            run.max_steps
        )));
    }
    Ok(())
}

fn summarize_group(
    group: &[&RunTrajectory],
    params: &SummaryParams,
) -> Result<SummaryRow, AnalysisError> {
    let first = group[0];
    let inconsistent = |reason: String| AnalysisError::InconsistentGroup {
        activation: first.activation.clone(),
        start: first.start.clone(),
        mu: first.mu,
        rank: first.rank,
        reason,
    };
    if let Some(other) = group.iter().find(|r| r.initial_overlap != first.initial_overlap) {
        return Err(inconsistent(format!(
            "initial_overlap {:?} (seed {}) against {:?} (seed {})",
            first.initial_overlap, first.seed, other.initial_overlap, other.seed
        )));
    }
    for (i, a) in group.iter().enumerate() {
        if group[..i].iter().any(|b| b.seed == a.seed) {
            return Err(inconsistent(format!("seed {} appears more than once", a.seed)));
        }
    }
    let curves: Vec<&[f64]> = group.iter().map(|r| r.m_v.as_slice()).collect();
    let steps: Vec<Option<usize>> =
        group.iter().map(|r| escape_step(&r.m_v, params.threshold)).collect();
    let uncensored = steps.iter().flatten();
    let diverged = group.iter().filter(|r| r.diverged).count();
    let defined = diverged == 0;
    let interval = defined
        .then(|| {
            subset_interval(
                &curves,
                first.mu,
                params.half_width,
                params.subset_size,
                SUBSET_QUANTILES,
                params.max_subsets,
                params.subset_seed,
            )
        })
        .flatten();
    Ok(SummaryRow {
        activation: first.activation.clone(),
        start: first.start.clone(),
        mu: first.mu,
        rank: first.rank,
        initial_overlap: first.initial_overlap,
        seeds: group.len(),
        paper_time: defined.then(|| paper_time(&curves, first.mu, params.half_width)).flatten(),
        paper_time_lo: interval.map(|i| i.0),
        paper_time_hi: interval.map(|i| i.1),
        median_escape: median_escape(&steps),
        escape_lo: uncensored.clone().min().copied(),
        escape_hi: uncensored.max().copied(),
        censored: steps.iter().zip(group).filter(|(s, r)| s.is_none() && !r.diverged).count(),
        diverged,
        max_steps: group.iter().map(|r| r.max_steps).max().unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run whose m_V is a ramp reaching 1 after `rise` steps (never reaching if rise is huge).
    fn run(
        activation: &str,
        start: &str,
        mu: f64,
        seed: u64,
        rise: f64,
        len: usize,
    ) -> RunTrajectory {
        RunTrajectory {
            activation: activation.into(),
            mu,
            rank: 1,
            start: start.into(),
            initial_overlap: if start == "published-start" { Some(0.038) } else { None },
            seed,
            m_v: (0..len).map(|i| ((i + 1) as f64 / rise).min(1.0)).collect(),
            max_steps: len,
            diverged: false,
        }
    }

    #[test]
    fn groups_in_order_of_first_appearance() {
        let runs = vec![
            run("relu", "random-start", 0.5, 1, 50.0, 100),
            run("linear", "random-start", 0.5, 1, 50.0, 100),
            run("relu", "random-start", 0.5, 2, 60.0, 100),
            run("relu", "published-start", 0.5, 1, 40.0, 100),
            run("relu", "random-start", 0.2, 1, 40.0, 100),
        ];
        let rows = summarize(&runs, &SummaryParams::paper()).unwrap();
        let keys: Vec<(&str, &str, f64, usize)> =
            rows.iter().map(|r| (r.activation.as_str(), r.start.as_str(), r.mu, r.seeds)).collect();
        assert_eq!(
            keys,
            vec![
                ("relu", "random-start", 0.5, 2),
                ("linear", "random-start", 0.5, 1),
                ("relu", "published-start", 0.5, 1),
                ("relu", "random-start", 0.2, 1),
            ]
        );
        assert_eq!(rows[2].initial_overlap, Some(0.038));
        assert_eq!(rows[0].initial_overlap, None);
    }

    #[test]
    fn escape_steps_censoring_and_median() {
        // Ramps reaching 0.5 after rise / 2 steps: rises 40, 60 -> steps 20, 30; rise 1000 in
        // 100 steps never gets there: two censored runs.
        let runs = vec![
            run("linear", "random-start", 0.5, 1, 40.0, 100),
            run("linear", "random-start", 0.5, 2, 1000.0, 100),
            run("linear", "random-start", 0.5, 3, 60.0, 100),
            run("linear", "random-start", 0.5, 4, 1000.0, 100),
            run("linear", "random-start", 0.5, 5, 1000.0, 100),
        ];
        let rows = summarize(&runs, &SummaryParams::paper()).unwrap();
        let row = &rows[0];
        assert_eq!(row.seeds, 5);
        assert_eq!(row.censored, 3);
        assert_eq!(row.escape_lo, Some(20));
        assert_eq!(row.escape_hi, Some(30));
        // Sorted 20, 30, inf, inf, inf: the median is censored.
        assert_eq!(row.median_escape, None);
        assert_eq!(row.max_steps, 100);

        let rows = summarize(&runs[..3], &SummaryParams::paper()).unwrap();
        // Sorted 20, 30, inf: median 30.
        assert_eq!(rows[0].median_escape, Some(30.0));
        assert_eq!(rows[0].censored, 1);
    }

    #[test]
    fn paper_time_and_interval_come_from_the_same_curves() {
        let runs: Vec<RunTrajectory> = (0..4)
            .map(|s| run("linear", "random-start", 0.5, s, 40.0 + 10.0 * s as f64, 200))
            .collect();
        let params = SummaryParams::paper();
        let rows = summarize(&runs, &params).unwrap();
        let curves: Vec<&[f64]> = runs.iter().map(|r| r.m_v.as_slice()).collect();
        assert_eq!(rows[0].paper_time, paper_time(&curves, 0.5, 0.05));
        let (lo, hi) = subset_interval(&curves, 0.5, 0.05, 3, SUBSET_QUANTILES, 2000, 0).unwrap();
        assert_eq!((rows[0].paper_time_lo, rows[0].paper_time_hi), (Some(lo), Some(hi)));
        // Fewer seeds than the subset size: no interval, but the statistic is still there.
        let rows = summarize(&runs[..2], &params).unwrap();
        assert!(rows[0].paper_time.is_some());
        assert_eq!(rows[0].paper_time_lo, None);
    }

    #[test]
    fn bad_data_is_an_error() {
        let mut bad = run("linear", "random-start", 0.5, 1, 40.0, 100);
        bad.m_v[7] = f64::NAN;
        let err = summarize(&[bad], &SummaryParams::paper()).unwrap_err();
        assert!(err.to_string().contains("m_v[7]"), "{err}");

        let mut long = run("linear", "random-start", 0.5, 1, 40.0, 100);
        long.max_steps = 50;
        assert!(matches!(
            summarize(&[long], &SummaryParams::paper()),
            Err(AnalysisError::InvalidRun { .. })
        ));

        let a = run("linear", "random-start", 0.5, 1, 40.0, 100);
        let dup = summarize(&[a.clone(), a.clone()], &SummaryParams::paper()).unwrap_err();
        assert!(dup.to_string().contains("seed 1 appears more than once"), "{dup}");

        let mut b = run("linear", "random-start", 0.5, 2, 40.0, 100);
        b.initial_overlap = Some(0.1);
        assert!(matches!(
            summarize(&[a.clone(), b], &SummaryParams::paper()),
            Err(AnalysisError::InconsistentGroup { .. })
        ));

        let params = SummaryParams { subset_size: 0, ..SummaryParams::paper() };
        let err = summarize(&[a], &params).unwrap_err();
        assert!(err.to_string().contains("subset_size"), "{err}");
    }

    #[test]
    fn no_runs_no_rows() {
        assert_eq!(summarize(&[], &SummaryParams::paper()).unwrap(), vec![]);
    }
}
