//! The head of the report: title and description, how to reproduce the experiment, what is
//! measured, and one sentence per starting condition on how it compares with the published
//! numbers.

use std::fmt::Write as _;

use goldilocks_theory::format::trimmed;

use crate::comparison::{MISS_ABSOLUTE_STEPS, MISS_RELATIVE};
use crate::report::view::View;
use crate::summary::SUBSET_QUANTILES;

impl View<'_> {
    /// The title, the description, "How to reproduce", "What is measured" and "At a glance".
    pub(super) fn write_header(&self, out: &mut String) {
        let p = self.params();
        let published = self.input.published;
        let _ = writeln!(out, "# Escape times of LoRA fine-tuning: {}\n", self.input.experiment);
        let description = self.input.description.trim();
        if !description.is_empty() {
            let _ = writeln!(out, "{description}\n");
        }
        let _ =
            writeln!(out, "## How to reproduce\n\n```sh\n{}\n```\n", self.input.commands.trim());
        let _ = writeln!(out, "## What is measured\n");
        let _ = writeln!(
            out,
            "- **Escape step** of a run: the first SGD step at which the overlap m_V = |<V, w*>| reaches {}. \
             A run that never gets there within its step budget is *censored*: it is kept and counted, never dropped.",
            trimmed(p.threshold, 4)
        );
        let _ = writeln!(
            out,
            "- **paper_time**, the statistic of the published figure: m_V is averaged over the seeds step by step, \
             and paper_time is the mean index i (the value after i + 1 steps, i counted from 0) at which that \
             average lies within mu ± {}.",
            trimmed(p.half_width, 4)
        );
        let _ = writeln!(
            out,
            "- **Spread over seeds**: the {}% and {}% points of paper_time over subsets of {} seeds (the published \
             numbers come from 3 seeds): every subset when there are at most {} of them, otherwise {} random subsets \
             (seed {}).",
            trimmed(SUBSET_QUANTILES.0 * 100.0, 2),
            trimmed(SUBSET_QUANTILES.1 * 100.0, 2),
            p.subset_size,
            p.max_subsets,
            p.max_subsets,
            p.subset_seed
        );
        let _ = writeln!(
            out,
            "- **Published**: {}. Setting: {}. The published runs' V happened to start at a mean overlap of {} \
             with the teacher, so compare under that starting overlap. A measured value is marked **miss** when it \
             is more than {}% and more than {} steps away from the published one.\n",
            published.source(),
            published.simulation_setting(),
            trimmed(published.start_overlap(), 4),
            trimmed(MISS_RELATIVE * 100.0, 1),
            trimmed(MISS_ABSOLUTE_STEPS, 1)
        );
        if self.rows.is_empty() {
            let _ = writeln!(out, "No results: the summary has no rows.\n");
            return;
        }
        let _ = writeln!(out, "## At a glance\n");
        for start in &self.starts {
            let _ = writeln!(out, "- {}: {}", self.start_short(start), self.verdict(start));
        }
        let _ = writeln!(out);
    }
}
