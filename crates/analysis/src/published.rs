//! The published numbers of arXiv:2602.02855 (`shared/reference/paper-numbers.md`).
//!
//! They live in `data/paper-numbers.toml`, embedded at compile time. They are reference
//! values for comparison only: reports and plots show them beside the measured values, and
//! no computation of this crate uses them as an expected output.

use serde::Deserialize;

use crate::error::AnalysisError;

/// The embedded data file.
const PAPER_NUMBERS_TOML: &str = include_str!("../data/paper-numbers.toml");

/// Published escape times (simulation) and theory values tau(mu), per activation.
///
/// Reference values for comparison only: never the expected output of a computation.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedNumbers {
    source: String,
    simulation_setting: String,
    start_overlap: f64,
    simulation: Vec<Series>,
    theory_setting: String,
    theory: Vec<Series>,
}

/// One activation's published (mu, value) points.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    activation: String,
    points: Vec<(f64, f64)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    source: String,
    simulation: RawSimulation,
    theory: RawTheory,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulation {
    setting: String,
    start_overlap: f64,
    series: Vec<RawSimulationSeries>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheory {
    setting: String,
    series: Vec<RawTheorySeries>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulationSeries {
    activation: String,
    mu: Vec<f64>,
    escape_time: Vec<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheorySeries {
    activation: String,
    mu: Vec<f64>,
    tau: Vec<f64>,
}

impl PublishedNumbers {
    /// The published numbers embedded in this crate (`data/paper-numbers.toml`).
    ///
    /// The embedded file is checked by this crate's tests, so this cannot fail in a
    /// released build; [`PublishedNumbers::from_toml`] is the fallible form.
    pub fn load() -> Self {
        Self::from_toml(PAPER_NUMBERS_TOML)
            .expect("the embedded data/paper-numbers.toml is valid (checked by the crate's tests)")
    }

    /// Parses a file in the format of `data/paper-numbers.toml`.
    pub fn from_toml(text: &str) -> Result<Self, AnalysisError> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| AnalysisError::Published(e.to_string()))?;
        let series = |activation: String, mu: Vec<f64>, values: Vec<f64>, what: &str| {
            if mu.len() != values.len() {
                return Err(AnalysisError::Published(format!(
                    "{activation}: {} values of mu but {} of {what}",
                    mu.len(),
                    values.len()
                )));
            }
            Ok(Series { activation, points: mu.into_iter().zip(values).collect() })
        };
        let simulation = raw
            .simulation
            .series
            .into_iter()
            .map(|s| series(s.activation, s.mu, s.escape_time, "escape_time"))
            .collect::<Result<_, _>>()?;
        let theory = raw
            .theory
            .series
            .into_iter()
            .map(|s| series(s.activation, s.mu, s.tau, "tau"))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            source: raw.source,
            simulation_setting: raw.simulation.setting,
            start_overlap: raw.simulation.start_overlap,
            simulation,
            theory_setting: raw.theory.setting,
            theory,
        })
    }

    /// Published escape time (the paper's statistic, in SGD steps) for `activation` at
    /// strength `mu` (matched within 1e-9); `None` when not published.
    pub fn escape_time(&self, activation: &str, mu: f64) -> Option<f64> {
        self.escape_times(activation).iter().find(|(m, _)| (m - mu).abs() <= 1e-9).map(|&(_, t)| t)
    }

    /// All published (mu, escape time) points of `activation`; empty when there are none.
    pub fn escape_times(&self, activation: &str) -> &[(f64, f64)] {
        find(&self.simulation, activation)
    }

    /// Published theory points (mu, tau(mu)) of `activation`; empty when there are none.
    pub fn tau(&self, activation: &str) -> &[(f64, f64)] {
        find(&self.theory, activation)
    }

    /// Activations with published escape times, in file order.
    pub fn simulated_activations(&self) -> impl Iterator<Item = &str> {
        self.simulation.iter().map(|s| s.activation.as_str())
    }

    /// Where the numbers come from (the paper).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The setting of the published simulations.
    pub fn simulation_setting(&self) -> &str {
        &self.simulation_setting
    }

    /// The setting of the published theory values.
    pub fn theory_setting(&self) -> &str {
        &self.theory_setting
    }

    /// Mean overlap |<V, w*>| at which the published runs' V started.
    pub fn start_overlap(&self) -> f64 {
        self.start_overlap
    }
}

fn find<'a>(series: &'a [Series], activation: &str) -> &'a [(f64, f64)] {
    series.iter().find(|s| s.activation == activation).map(|s| s.points.as_slice()).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_file_loads_with_every_series() {
        let p = PublishedNumbers::from_toml(PAPER_NUMBERS_TOML).unwrap();
        assert_eq!(p.simulated_activations().collect::<Vec<_>>(), vec!["linear", "relu"]);
        assert_eq!(p.escape_times("linear").len(), 9);
        assert_eq!(p.escape_times("relu").len(), 9);
        assert_eq!(p.tau("linear").len(), 9);
        assert!(p.source().contains("2602.02855"));
        assert!(p.start_overlap() > 0.0 && p.start_overlap() < 1.0);
        assert_eq!(p, PublishedNumbers::load());
    }

    #[test]
    fn lookups_match_mu_within_tolerance_and_miss_cleanly() {
        let p = PublishedNumbers::load();
        // The file's own value, looked up at a mu written differently.
        let (mu, t) = p.escape_times("relu")[4];
        assert_eq!(p.escape_time("relu", mu + 1e-12), Some(t));
        assert_eq!(p.escape_time("relu", mu + 1e-3), None);
        assert_eq!(p.escape_time("sign->tanh", mu), None);
        assert!(p.tau("relu").is_empty());
    }

    #[test]
    fn published_times_grow_with_mu() {
        // A property of the data file (catches a mangled copy), not a computed result.
        let p = PublishedNumbers::load();
        for activation in ["linear", "relu"] {
            let pts = p.escape_times(activation);
            assert!(pts.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1), "{activation}");
        }
    }

    #[test]
    fn malformed_files_are_errors() {
        let short = PAPER_NUMBERS_TOML.replacen("escape_time = [9.5, ", "escape_time = [", 1);
        let err = PublishedNumbers::from_toml(&short).unwrap_err();
        assert!(err.to_string().contains("linear"), "{err}");
        assert!(PublishedNumbers::from_toml("source = 1").is_err());
    }
}
