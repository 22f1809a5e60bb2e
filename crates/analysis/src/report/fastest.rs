//! "Fastest pre-training strength": mu* per (activation, start, rank) with its bootstrap
//! interval, and whether the minimum is interior.

use std::fmt::Write as _;

use goldilocks_theory::format::trimmed;

use crate::report::view::View;

impl View<'_> {
    /// "Fastest pre-training strength" (nothing when no group has three strengths).
    pub(super) fn write_fastest(&self, out: &mut String) {
        let results = self.input.fastest;
        if results.is_empty() {
            return;
        }
        let resamples = results.iter().map(|r| r.resamples).max().unwrap_or(0);
        let _ = writeln!(out, "## Fastest pre-training strength\n");
        let _ = writeln!(
            out,
            "mu* is the strength with the smallest statistic over all seeds; its interval is the \
             5%-95% range of the minimising mu over {resamples} bootstrap resamples of the seeds \
             (the same seeds at every mu). The minimum is interior when mu* and its interval lie \
             strictly inside the swept range. \"undefined at\" counts the strengths where the \
             statistic is undefined: for the median escape step the median run never escaped \
             (slow); the paper's statistic is also undefined when any run diverged, even after \
             escaping, so its minimum is called interior only when it is defined everywhere.\n"
        );
        let _ = writeln!(
            out,
            "| activation | start | rank | statistic | mu* | steps at mu* | mu* interval | undefined at | interior minimum |"
        );
        let _ = writeln!(out, "|---|---|---:|---|---:|---:|---|---:|---|");
        for r in results {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | [{}, {}] | {} | {} |",
                r.activation,
                r.start,
                r.rank,
                r.statistic.name(),
                trimmed(r.mu_star, 4),
                trimmed(r.fastest, 1),
                trimmed(r.mu_star_lo, 4),
                trimmed(r.mu_star_hi, 4),
                r.undefined,
                if r.interior { "yes" } else { "no" }
            );
        }
        let _ = writeln!(out);
    }
}
