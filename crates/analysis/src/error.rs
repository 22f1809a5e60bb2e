//! The typed errors of the analysis crate.
//!
//! Every failure names what it is about (a run, a summary group, a CSV row and column, a
//! plot) so that the runner can stop with one clear message.

use thiserror::Error;

/// What can go wrong while summarising runs, reading or writing tables and drawing plots.
#[derive(Debug, Error)]
pub enum AnalysisError {
    /// A summary parameter is out of range.
    #[error("invalid summary parameter `{field}`: {reason}")]
    InvalidParameter {
        /// Name of the parameter (a field of `SummaryParams`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// One run's data cannot be analysed.
    #[error(
        "run {index} (activation {activation}, start {start}, mu = {mu}, seed {seed}): {reason}"
    )]
    InvalidRun {
        /// Position of the run in the slice given to the analysis.
        index: usize,
        /// Activation pair of the run.
        activation: String,
        /// Starting condition of the run.
        start: String,
        /// Pre-training strength of the run.
        mu: f64,
        /// Seed of the run.
        seed: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The runs of one summary group disagree on something that must be shared.
    #[error("runs of (activation {activation}, start {start}, mu = {mu}, rank {rank}) disagree: {reason}")]
    InconsistentGroup {
        /// Activation pair of the group.
        activation: String,
        /// Starting condition of the group.
        start: String,
        /// Pre-training strength of the group.
        mu: f64,
        /// LoRA rank of the group.
        rank: usize,
        /// What the runs disagree on.
        reason: String,
    },
    /// A plot was asked for runs that are not there.
    #[error("no runs with activation {activation}, start {start} and rank {rank} to plot")]
    NoMatchingRuns {
        /// Requested activation pair.
        activation: String,
        /// Requested starting condition.
        start: String,
        /// Requested LoRA rank.
        rank: usize,
    },
    /// Reading or writing CSV failed.
    #[error("summary CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The header of a summary CSV is not the expected one.
    #[error("summary CSV: header is {found:?}, expected {expected:?}")]
    CsvHeader {
        /// Header found in the file.
        found: Vec<String>,
        /// Header this crate writes.
        expected: Vec<String>,
    },
    /// A field of a summary CSV cannot be read.
    #[error("summary CSV, data row {row}, column `{column}`: cannot read {value:?}: {reason}")]
    CsvField {
        /// Data row, counted from 1 (the header is not counted).
        row: usize,
        /// Column name.
        column: &'static str,
        /// The field as found.
        value: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// Writing the output failed.
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
    /// The table of published numbers cannot be read.
    #[error("published numbers: {0}")]
    Published(String),
    /// Drawing a plot failed.
    #[error("plot `{plot}`: {reason}")]
    Plot {
        /// Which plot.
        plot: &'static str,
        /// The drawing backend's message.
        reason: String,
    },
    /// The deterministic dynamics could not be computed.
    #[error("dynamics: {0}")]
    Dynamics(#[from] goldilocks_theory::dynamics::DynamicsError),
}
