//! "Diverged runs": the runs whose state became non-finite, stopped there and kept as data;
//! the section is present only when there are any.

use std::fmt::Write as _;

use goldilocks_theory::format::trimmed;

use crate::report::view::{cell, View};
use crate::summary::SummaryRow;

impl View<'_> {
    /// "Diverged runs", when some run diverged.
    pub(super) fn write_diverged(&self, out: &mut String) {
        let diverged: Vec<&&SummaryRow> = self.rows.iter().filter(|r| r.diverged > 0).collect();
        if diverged.is_empty() {
            return;
        }
        let total: usize = diverged.iter().map(|r| r.diverged).sum();
        let runs: usize = self.rows.iter().map(|r| r.seeds).sum();
        let _ = writeln!(out, "\n## Diverged runs\n");
        let _ = writeln!(
            out,
            "{total} of {runs} runs diverged: their state became non-finite, or their loss passed \
             `training.loss_bound` where one is set (the learning rate is too large for them), so \
             they were stopped there and the others went on. A diverged \
             run counts as not escaped in the median unless it escaped first; paper_time, a \
             mean over every seed's curve, is undefined for a row with a diverged run.\n"
        );
        for row in diverged {
            let _ = writeln!(
                out,
                "- {}, {}, mu = {}: {} of {} runs diverged.",
                self.activation_label(row),
                cell(&row.start),
                trimmed(row.mu, 4),
                row.diverged,
                row.seeds
            );
        }
    }
}
