//! Analysis of Goldilocks experiments: escape times, the paper's statistic and its spread
//! over seed subsets, the summary table, comparison with the published numbers, SVG plots
//! and the markdown report; the theory's tau(mu) fitted to measured times ([`theory_fit`]);
//! measured m_V curves beside the deterministic large-N dynamics ([`ode_comparison`]); in
//! [`scaling`], the growth of the escape time with the input dimension N, fitted against the
//! known growth laws.
//!
//! The crate takes plain Rust data ([`RunTrajectory`]) and depends on no Goldilocks crate but
//! `goldilocks_theory` (tau(mu), the large-N dynamics, the growth laws), so it can be reused
//! on records from anywhere.
//!
//! # Example
//! ```
//! use goldilocks_analysis::{escape_step, paper_time, summarize, RunTrajectory, SummaryParams};
//!
//! // m_V after every step: index i holds the value after i + 1 steps.
//! let m_v: Vec<f64> = (0..100).map(|i| 0.01 * (i + 1) as f64).collect();
//! assert_eq!(escape_step(&m_v, 0.5), Some(50));
//! // Mean index at which the (seed-averaged) curve is within 0.5 +- 0.045: indices 45..=53.
//! assert_eq!(paper_time(&[&m_v], 0.5, 0.045), Some(49.0));
//!
//! let run = RunTrajectory {
//!     activation: "linear".into(), mu: 0.5, rank: 1, start: "random-start".into(),
//!     initial_overlap: None, seed: 0, m_v, max_steps: 100, diverged: false,
//! };
//! let rows = summarize(&[run], &SummaryParams::paper()).unwrap();
//! assert_eq!(rows[0].median_escape, Some(50.0));
//! ```

#![warn(missing_docs)]

pub mod backend_agreement;
pub mod comparison;
pub mod distinct;
pub mod error;
pub mod escape;
pub mod fastest_strength;
pub mod finetune;
pub mod interval;
pub mod no_fit;
pub mod ode_comparison;
pub mod paper_statistic;
pub mod plot;
pub mod published;
pub mod records;
pub mod report;
pub mod scaling;
pub mod subsets;
pub mod summary;
pub mod summary_csv;
pub mod theory_fit;
pub mod trajectory;

pub use backend_agreement::{RecordAgreement, VariantAgreement};
pub use comparison::{compare_with_published, Comparison, MISS_ABSOLUTE_STEPS, MISS_RELATIVE};
pub use error::AnalysisError;
pub use escape::{escape_step, median_escape};
pub use fastest_strength::{fastest_strengths, FastestStrength, SpeedStatistic};
pub use finetune::{
    find_goldilocks, summarize_finetuning, CheckpointSummary, FinetuneOutcome, FinetuneRow,
    Goldilocks,
};
pub use interval::{mean_interval, t_975, MeanInterval};
pub use no_fit::{compare_no_fit, NoFitComparison, NoFitPoint, NoFitPrediction};
pub use ode_comparison::{OdeComparison, OdeOverlay, OdeSection};
pub use paper_statistic::{paper_time, seed_average};
pub use plot::{
    escape_time_plot, headline_plot, ode_comparison_plot, overlap_curves_plot,
    overlap_curves_with_ode_plot, scaling_plot, series_plot, theory_fit_plot, Series, SeriesAxes,
    SeriesPoint,
};
pub use published::PublishedNumbers;
pub use records::{FinetuneRun, GridRecord, RunRecord, TaskFinetuneRun};
pub use report::{render_report, ReportInput};
pub use scaling::{
    fit_fixed_law, fit_growth, fit_power_law, render_scaling_report, write_scaling_csv,
    FixedLawFit, GrowthFit, PowerLawFit, ScalingPoint, ScalingReportInput,
};
pub use subsets::{quantile, subset_interval, subset_statistics};
pub use summary::{summarize, SummaryParams, SummaryRow, SUBSET_QUANTILES};
pub use summary_csv::{read_summary_csv, write_summary_csv, SUMMARY_COLUMNS};
pub use theory_fit::{fit_theory, FitPoint, TheoryCurve, TheoryFit};
pub use trajectory::RunTrajectory;
