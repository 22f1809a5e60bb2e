//! "Theory beside measurement": the no-fit prediction of tau(mu) beside the measured paper_time
//! and escape step, and, secondary, the constant c fitted to each theory curve.

use std::fmt::Write as _;

use goldilocks_theory::format::trimmed;

use crate::report::view::View;

impl View<'_> {
    /// "Theory beside measurement" (nothing without predictions or fits).
    pub(super) fn write_theory(&self, out: &mut String) {
        let (no_fit, fits) = (self.input.no_fit, self.input.theory);
        if no_fit.is_empty() && fits.is_empty() {
            return;
        }
        let _ = writeln!(out, "## Theory beside measurement\n");
        if !no_fit.is_empty() {
            let _ = writeln!(
                out,
                "With no fitted constant, the linearised search phase (corrected tau(mu), \
                 docs/theory.md) predicts the paper's statistic as (tau / lr) ln(mu / (kappa m0)) \
                 and the escape step as (tau / lr) ln(threshold / (kappa m0)), with \
                 kappa = (sqrt(D) - B) / (2 sqrt(D)), D = B^2 + 4 A^2, lr the rate the runs used and, \
                 from a random V, ln m0 averaged over its law at N. The log-RMS deviation says how \
                 far the measurement is from it (0.1: typically a factor of 1.11).\n"
            );
            let _ = writeln!(
                out,
                "| activation | start | log-RMS, paper_time | log-RMS, escape step | strengths |"
            );
            let _ = writeln!(out, "|---|---|---:|---:|---:|");
            let rms = |v: Option<f64>| v.map_or("-".to_string(), |v| trimmed(v, 3));
            for c in no_fit {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    c.activation,
                    c.start,
                    rms(c.paper_time_log_rms),
                    rms(c.escape_log_rms),
                    c.points.len()
                );
            }
            let _ = writeln!(out);
            for c in no_fit {
                let _ = writeln!(out, "**{}, {}** (no fitted constant):\n", c.activation, c.start);
                let _ = writeln!(
                    out,
                    "| mu | predicted paper_time | measured | measured / predicted | predicted escape | measured median escape | measured / predicted |"
                );
                let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|");
                let value = |v: Option<f64>| v.map_or("-".to_string(), |v| trimmed(v, 1));
                let ratio = |m: Option<f64>, p: f64| {
                    m.filter(|_| p > 0.0).map_or("-".to_string(), |m| trimmed(m / p, 2))
                };
                for p in &c.points {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} | {} |",
                        trimmed(p.mu, 4),
                        trimmed(p.predicted_paper_time, 1),
                        value(p.measured_paper_time),
                        ratio(p.measured_paper_time, p.predicted_paper_time),
                        trimmed(p.predicted_escape, 1),
                        value(p.measured_escape),
                        ratio(p.measured_escape, p.predicted_escape)
                    );
                }
                let _ = writeln!(out);
            }
        }
        let differing: Vec<_> = self.input.curves.iter().filter(|c| c.variants_differ()).collect();
        if !differing.is_empty() {
            let _ = writeln!(
                out,
                "For these pairs s_0 b_0^r != 0, so the authors' published sums, which leave out \
                 the k = 0 term of B, differ from the corrected tau(mu) used above:\n"
            );
            let _ = writeln!(
                out,
                "| activation | mu | tau, corrected | tau, published | published / corrected |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|");
            for curve in differing {
                for &(mu, corrected) in &curve.points {
                    let published = curve.published.iter().find(|(m, _)| (m - mu).abs() < 1e-9);
                    let (value, ratio) = match published {
                        Some(&(_, p)) => (trimmed(p, 4), trimmed(p / corrected, 3)),
                        None => ("-".to_string(), "-".to_string()),
                    };
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {value} | {ratio} |",
                        curve.activation,
                        trimmed(mu, 4),
                        trimmed(corrected, 4)
                    );
                }
            }
            let _ = writeln!(out);
        }
        if !fits.is_empty() {
            let _ = writeln!(
                out,
                "Secondary: a constant c (steps per unit of tau) fitted in log space to the measured \
                 paper_time, which tests the shape of tau(mu) alone.\n"
            );
            let _ =
                writeln!(out, "| activation | start | rank | c | log-RMS deviation | strengths |");
            let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
            for fit in fits {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    fit.activation,
                    fit.start,
                    fit.rank,
                    trimmed(fit.scale, 2),
                    trimmed(fit.log_rms, 3),
                    fit.points.len()
                );
            }
            let _ = writeln!(out);
        }
    }
}
