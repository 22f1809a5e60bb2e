//! "Results by starting condition": one table per starting condition, every miss against
//! the published numbers marked plainly.

use std::fmt::Write as _;

use goldilocks_theory::format::trimmed;

use crate::comparison::Comparison;
use crate::report::view::{cell, ratio, time, View};
use crate::summary::{SummaryRow, SUBSET_QUANTILES};

impl View<'_> {
    /// "Results by starting condition" (nothing without rows).
    pub(super) fn write_results(&self, out: &mut String) {
        if self.rows.is_empty() {
            return;
        }
        let p = self.params();
        let _ = writeln!(out, "## Results by starting condition\n");
        for start in &self.starts {
            let _ = writeln!(out, "### {}: {}\n", cell(start), self.start_condition(start));
            let _ = writeln!(
                out,
                "| activation | mu | seeds | published | measured paper_time [{}%, {}% over {}-seed subsets] | measured / published | vs published | median escape (m_V >= {}) [min, max] | censored |",
                trimmed(SUBSET_QUANTILES.0 * 100.0, 2),
                trimmed(SUBSET_QUANTILES.1 * 100.0, 2),
                p.subset_size,
                trimmed(p.threshold, 4)
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---|---:|---|---|---:|");
            for row in self.rows.iter().filter(|r| r.start == *start) {
                let comparison = self.comparison(row);
                let verdict = match comparison {
                    Comparison::Unavailable => "-",
                    Comparison::Agrees { .. } => "ok",
                    Comparison::Miss { .. } => "**miss**",
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} of {} |",
                    self.activation_label(row),
                    trimmed(row.mu, 4),
                    row.seeds,
                    time(self.input.published.escape_time(&row.activation, row.mu)),
                    measured(row),
                    ratio(comparison.ratio()),
                    verdict,
                    median(row),
                    row.censored,
                    row.seeds
                );
            }
            let _ = writeln!(out, "\nAgainst the published numbers: {}\n", self.verdict(start));
        }
    }
}

/// The measured paper_time with its spread over seed subsets.
fn measured(row: &SummaryRow) -> String {
    match (row.paper_time, row.paper_time_lo, row.paper_time_hi) {
        (None, _, _) if row.diverged > 0 => {
            format!("undefined ({} of {} runs diverged)", row.diverged, row.seeds)
        }
        (None, _, _) => "undefined (the seed average never lies in the band)".to_string(),
        (Some(t), Some(lo), Some(hi)) => {
            format!("{} [{}, {}]", trimmed(t, 1), trimmed(lo, 1), trimmed(hi, 1))
        }
        (Some(t), _, _) => format!("{} [too few seeds for a spread]", trimmed(t, 1)),
    }
}

/// The median escape step with the range over uncensored runs.
fn median(row: &SummaryRow) -> String {
    let range = match (row.escape_lo, row.escape_hi) {
        (Some(lo), Some(hi)) => format!(" [{lo}, {hi}]"),
        _ => String::new(),
    };
    match row.median_escape {
        Some(m) => format!("{}{range}", trimmed(m, 1)),
        None if row.censored > 0 => format!("censored (> {}){range}", row.max_steps),
        None if row.diverged > 0 => format!("diverged{range}"),
        None => "-".to_string(),
    }
}
