//! "Censored runs": the runs that never reached the threshold, which are kept and counted.

use std::fmt::Write as _;

use goldilocks_theory::format::trimmed;

use crate::report::view::{cell, View};
use crate::summary::SummaryRow;

impl View<'_> {
    /// "Censored runs", always present.
    pub(super) fn write_censored(&self, out: &mut String) {
        let _ = writeln!(out, "## Censored runs\n");
        let threshold = trimmed(self.params().threshold, 4);
        let censored: Vec<&&SummaryRow> = self.rows.iter().filter(|r| r.censored > 0).collect();
        if censored.is_empty() {
            let _ =
                writeln!(out, "None: every run reached m_V >= {threshold} within its step budget.");
            return;
        }
        let total: usize = censored.iter().map(|r| r.censored).sum();
        let runs: usize = self.rows.iter().map(|r| r.seeds).sum();
        let _ = writeln!(
            out,
            "{total} of {runs} runs never reached m_V >= {threshold} within their step budget. They are kept: \
             each counts as +infinity in the median escape (shown as \"censored\" when the median itself is), \
             and paper_time, which reads the seed-averaged curve over the steps recorded, includes them.\n"
        );
        for row in censored {
            let _ = writeln!(
                out,
                "- {}, {}, mu = {}: {} of {} runs censored at {} steps.",
                self.activation_label(row),
                cell(&row.start),
                trimmed(row.mu, 4),
                row.censored,
                row.seeds,
                row.max_steps
            );
        }
    }
}
