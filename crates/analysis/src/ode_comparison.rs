//! Measured m_V curves beside the deterministic large-N dynamics started from the same
//! point: the ODEs and the step map of [`goldilocks_theory::dynamics`]; and what an
//! experiment report shows of them ([`OdeSection`]).

use goldilocks_theory::dynamics::{LoraDynamics, OdeOptions, Overlaps};

use crate::error::AnalysisError;
use crate::paper_statistic::seed_average;

/// One measured curve (seed-averaged m_V) with the ODE and step-map curves from the same
/// starts: each run's curve is followed from that run's own initial overlap, and the curves
/// are averaged over runs like the measurements (the search phase lasts about
/// `ln(1 / m0)`, so the curve from the mean `m0` is not the mean of the curves).
#[derive(Debug, Clone, PartialEq)]
pub struct OdeComparison {
    /// Legend label, e.g. "N = 1000".
    pub label: String,
    /// Seeds averaged.
    pub seeds: usize,
    /// Mean `|m|` at step 0 over the seeds (each run's ODE and map start from its own).
    pub initial_overlap: f64,
    /// Seed-averaged m_V after `1, 2, ...` steps.
    pub measured: Vec<f64>,
    /// `|m|` of the ODEs at the same steps (`t = lr * step`), averaged over the runs' starts.
    pub ode: Vec<f64>,
    /// `|m|` of the large-N step map at the same steps, averaged over the runs' starts.
    pub map: Vec<f64>,
}

impl OdeComparison {
    /// Averages `runs` (m_V after every step; truncated to the shortest) and the ODE and
    /// step-map curves of `dynamics` from `(|initial_overlaps[i]|, dynamics.initial_u())`,
    /// one start per run. Runs with the same `|m0|` (a prescribed start) share one curve.
    pub fn compute(
        dynamics: &LoraDynamics,
        label: impl Into<String>,
        runs: &[&[f64]],
        initial_overlaps: &[f64],
        options: &OdeOptions,
    ) -> Result<Self, AnalysisError> {
        if runs.is_empty() {
            return Err(AnalysisError::InvalidParameter {
                field: "runs",
                reason: "no runs to compare with the ODE".into(),
            });
        }
        if initial_overlaps.len() != runs.len() {
            return Err(AnalysisError::InvalidParameter {
                field: "initial_overlaps",
                reason: format!("{} starts for {} runs", initial_overlaps.len(), runs.len()),
            });
        }
        if let Some(bad) = initial_overlaps.iter().find(|m| !(m.is_finite() && m.abs() <= 1.0)) {
            return Err(AnalysisError::InvalidParameter {
                field: "initial_overlaps",
                reason: format!("must be in [-1, 1], got {bad}"),
            });
        }
        let shortest = runs.iter().map(|r| r.len()).min().unwrap_or(0);
        let truncated: Vec<&[f64]> = runs.iter().map(|r| &r[..shortest]).collect();
        let measured = seed_average(&truncated);
        let mut odes: Vec<Vec<f64>> = Vec::with_capacity(runs.len());
        let mut maps: Vec<Vec<f64>> = Vec::with_capacity(runs.len());
        // (|m0|, index of its curves in odes and maps)
        let mut computed: Vec<(f64, usize)> = Vec::new();
        for &m0 in initial_overlaps {
            if let Some(&(_, i)) = computed.iter().find(|(m, _)| *m == m0.abs()) {
                odes.push(odes[i].clone());
                maps.push(maps[i].clone());
                continue;
            }
            computed.push((m0.abs(), odes.len()));
            let start = Overlaps { m: m0.abs(), u: dynamics.initial_u() };
            odes.push(dynamics.ode_curve(start, measured.len(), options)?);
            maps.push(dynamics.map_curve(start, measured.len())?);
        }
        let average = |curves: &[Vec<f64>]| {
            seed_average(&curves.iter().map(Vec::as_slice).collect::<Vec<_>>())
        };
        let initial_overlap =
            initial_overlaps.iter().map(|m| m.abs()).sum::<f64>() / runs.len() as f64;
        Ok(Self {
            label: label.into(),
            seeds: runs.len(),
            initial_overlap,
            measured,
            ode: average(&odes),
            map: average(&maps),
        })
    }

    /// `max_i |measured_i - ode_i|` over the run.
    pub fn max_gap_ode(&self) -> f64 {
        max_gap(&self.measured, &self.ode)
    }

    /// `max_i |measured_i - map_i|` over the run.
    pub fn max_gap_map(&self) -> f64 {
        max_gap(&self.measured, &self.map)
    }
}

/// The comparison of one (activation, start, mu) of an experiment, as a report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OdeOverlay {
    /// Display name of the activation pair, as in the runs.
    pub activation: String,
    /// Name of the starting condition.
    pub start: String,
    /// Pre-training strength.
    pub mu: f64,
    /// Whether the runs start at a prescribed overlap (one ODE curve for all seeds) rather
    /// than from random V (one ODE curve per seed, from its own m0, averaged).
    pub prescribed_start: bool,
    /// Measured and deterministic curves.
    pub comparison: OdeComparison,
}

/// What an experiment report says about the deterministic dynamics: the comparisons made,
/// and a sentence for everything not compared, with the reason. The default (nothing
/// compared, nothing said) leaves the report without the section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OdeSection {
    /// One comparison per (activation, start, mu) with rank-1 runs.
    pub overlays: Vec<OdeOverlay>,
    /// Why some or all runs are not compared, one sentence each.
    pub not_compared: Vec<String>,
}

impl OdeSection {
    /// Whether the report has nothing to say about the dynamics.
    pub fn is_empty(&self) -> bool {
        self.overlays.is_empty() && self.not_compared.is_empty()
    }

    /// The overlays of one (activation, start), in the order they were added.
    pub fn overlays_of<'a>(
        &'a self,
        activation: &'a str,
        start: &'a str,
    ) -> impl Iterator<Item = &'a OdeOverlay> + 'a {
        self.overlays.iter().filter(move |o| o.activation == activation && o.start == start)
    }
}

/// Largest absolute difference over the common length (0 for empty curves).
pub fn max_gap(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use goldilocks_theory::ScalarActivation;

    /// `x`.
    fn identity(x: f64) -> f64 {
        x
    }

    /// `1`.
    fn one(_: f64) -> f64 {
        1.0
    }

    #[test]
    fn curves_from_the_map_itself_have_no_gap_to_the_map() {
        let linear = ScalarActivation::smooth(&identity, &one);
        let dynamics = LoraDynamics::new(linear, linear, 0.5, 0.2, 1000, 500).unwrap();
        let start = Overlaps { m: 0.03, u: dynamics.initial_u() };
        let curve = dynamics.map_curve(start, 150).unwrap();
        let comparison = OdeComparison::compute(
            &dynamics,
            "N = 1000",
            &[&curve, &curve],
            &[0.03, -0.03],
            &OdeOptions::default(),
        )
        .unwrap();
        assert_eq!(comparison.seeds, 2);
        assert!(comparison.max_gap_map() < 1e-12);
        // The ODE differs from the map at lr = 0.2, by less than a few hundredths.
        let gap = comparison.max_gap_ode();
        assert!(gap > 1e-4 && gap < 0.1, "gap {gap}");
    }

    /// A prescribed start: every run starts at the same |m0|, so all share one curve, the
    /// one a single run from that start gets.
    #[test]
    fn runs_from_the_same_overlap_share_one_curve() {
        let linear = ScalarActivation::smooth(&identity, &one);
        let dynamics =
            LoraDynamics::new(linear, linear, 0.5, 0.2, 1000, 500).unwrap().piecewise_linear();
        let measured = vec![0.1; 120];
        let options = OdeOptions::default();
        let shared = OdeComparison::compute(
            &dynamics,
            "x",
            &[&measured, &measured, &measured],
            &[0.038, -0.038, 0.038],
            &options,
        )
        .unwrap();
        let single =
            OdeComparison::compute(&dynamics, "x", &[&measured], &[0.038], &options).unwrap();
        assert!(max_gap(&shared.ode, &single.ode) < 1e-15);
        assert!(max_gap(&shared.map, &single.map) < 1e-15);
        assert!(shared.ode[119] > 0.5, "the ODE escapes within 120 steps");
    }

    #[test]
    fn bad_input_names_the_field() {
        let linear = ScalarActivation::smooth(&identity, &one);
        let dynamics = LoraDynamics::new(linear, linear, 0.5, 0.2, 1000, 500).unwrap();
        let error =
            OdeComparison::compute(&dynamics, "x", &[], &[], &OdeOptions::default()).unwrap_err();
        assert!(error.to_string().contains("runs"));
        let error =
            OdeComparison::compute(&dynamics, "x", &[&[0.1]], &[2.0], &OdeOptions::default())
                .unwrap_err();
        assert!(error.to_string().contains("initial_overlaps"));
        let error =
            OdeComparison::compute(&dynamics, "x", &[&[0.1]], &[0.1, 0.2], &OdeOptions::default())
                .unwrap_err();
        assert!(error.to_string().contains("initial_overlaps"));
    }

    #[test]
    fn max_gap_is_the_largest_difference() {
        assert_eq!(max_gap(&[0.1, 0.5, 0.9], &[0.1, 0.2, 0.95, 7.0]), 0.3);
        assert_eq!(max_gap(&[], &[1.0]), 0.0);
    }
}
