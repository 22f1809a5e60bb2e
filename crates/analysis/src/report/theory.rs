//! "Theory beside measurement": the constant c fitted to each theory curve, and the curve
//! beside the measured times.

use std::fmt::Write as _;

use goldilocks_theory::format::trimmed;

use crate::report::view::View;

impl View<'_> {
    /// "Theory beside measurement" (nothing without theory fits).
    pub(super) fn write_theory(&self, out: &mut String) {
        if self.input.theory.is_empty() {
            return;
        }
        let _ = writeln!(out, "## Theory beside measurement\n");
        let _ = writeln!(
            out,
            "The theory predicts the escape time as tau(mu) ln(R / eps) up to a constant, so for each \
             activation and starting condition a constant c (steps per unit of tau) is fitted in log \
             space to the measured paper_time; the log-RMS deviation says how well the shapes agree \
             (0.1: typically a factor of 1.11 between measurement and fitted curve).\n"
        );
        let _ = writeln!(out, "| activation | start | c | log-RMS deviation | strengths |");
        let _ = writeln!(out, "|---|---|---:|---:|---:|");
        for fit in self.input.theory {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                fit.activation,
                fit.start,
                trimmed(fit.scale, 2),
                trimmed(fit.log_rms, 3),
                fit.points.len()
            );
        }
        let _ = writeln!(out);
        for fit in self.input.theory {
            let _ = writeln!(
                out,
                "**{}, {}** (c = {}):\n",
                fit.activation,
                fit.start,
                trimmed(fit.scale, 2)
            );
            let _ = writeln!(out, "| mu | tau(mu) | c tau(mu) | measured | measured / (c tau) |");
            let _ = writeln!(out, "|---:|---:|---:|---:|---:|");
            for p in &fit.points {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    trimmed(p.mu, 4),
                    trimmed(p.tau, 4),
                    trimmed(p.predicted, 1),
                    trimmed(p.measured, 1),
                    trimmed(p.measured / p.predicted, 2)
                );
            }
            let _ = writeln!(out);
        }
    }
}
