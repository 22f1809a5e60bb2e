//! Escape-time scaling with the input dimension N: the measured points of each target
//! ([`ScalingPoint`], with censored order statistics), the growth fits against N
//! ([`fit_growth`]: a power law and fixed laws beside the known online-SGD law of the target's
//! information exponent, the laws being
//! [`GrowthLaw`](goldilocks_theory::GrowthLaw)s), scaling.csv and report.md. The plot is
//! [`crate::plot::scaling_plot`](mod@crate::plot::scaling_plot).

pub mod fit;
pub mod growth;
pub mod point;
pub mod report;
pub mod table;

pub use fit::{effective_exponent, fit_fixed_law, fit_power_law, FixedLawFit, PowerLawFit};
pub use growth::{fit_growth, GrowthFit, LawFit};
pub use point::{censored_quantile, ScalingPoint};
pub use report::{fit_sentence, render_scaling_report, ScalingReportInput};
pub use table::{write_scaling_csv, SCALING_COLUMNS};
