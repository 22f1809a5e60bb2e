//! "Large-N dynamics beside the measured m_V": why the dynamics does not describe some runs,
//! and the gaps and escape steps of the ODE and step-map curves beside the measured ones.

use std::fmt::Write as _;

use goldilocks_theory::format::trimmed;

use crate::escape::escape_step;
use crate::report::view::{cell, View};

impl View<'_> {
    /// "Large-N dynamics beside the measured m_V" (nothing with an empty section).
    pub(super) fn write_ode(&self, out: &mut String) {
        let section = self.input.ode;
        if section.is_empty() {
            return;
        }
        let _ = writeln!(out, "## Large-N dynamics beside the measured m_V\n");
        for sentence in &section.not_compared {
            let _ = writeln!(out, "- {sentence}");
        }
        if !section.not_compared.is_empty() {
            let _ = writeln!(out);
        }
        if section.overlays.is_empty() {
            return;
        }
        let threshold = trimmed(self.params().threshold, 4);
        let _ = writeln!(
            out,
            "For rank 1 in this setting the overlap m and the scalar u follow deterministic ODEs as N grows \
             (docs/theory.md, \"Deterministic limit of the summary statistics\"); the large-N step map keeps \
             every order in the learning rate. Every curve starts from u = 1/N^2 and a run's |m0|. Under a \
             prescribed start all seeds share m0, so one curve serves them all; from random V each seed's \
             curve starts from that seed's measured m_V at step 0, and the curves are averaged over seeds like \
             the measurements (the search phase lasts about ln(1/m0), so the curve from the mean m0 is not \
             the mean of the curves). The m_V plots draw the ODE dashed. max|d| is the largest difference, \
             over the steps recorded, between the seed-averaged m_V and the averaged ODE (or map) curve; \
             escape is the first step at which the averaged curve reaches {threshold}.\n"
        );
        let _ = writeln!(
            out,
            "| activation | start | mu | seeds | mean m0 | steps | max\\|d\\| ODE | max\\|d\\| map | escape measured / ODE / map |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---|");
        let escape = |curve: &[f64]| {
            escape_step(curve, self.params().threshold)
                .map_or_else(|| "-".to_string(), |s| s.to_string())
        };
        for overlay in &section.overlays {
            let c = &overlay.comparison;
            let start = if overlay.prescribed_start {
                format!("{} (one curve)", cell(&overlay.start))
            } else {
                format!("{} (one curve per seed)", cell(&overlay.start))
            };
            let _ = writeln!(
                out,
                "| {} | {start} | {} | {} | {} | {} | {:.3} | {:.3} | {} / {} / {} |",
                cell(&overlay.activation),
                trimmed(overlay.mu, 4),
                c.seeds,
                trimmed(c.initial_overlap, 4),
                c.measured.len(),
                c.max_gap_ode(),
                c.max_gap_map(),
                escape(&c.measured),
                escape(&c.ode),
                escape(&c.map)
            );
        }
        let mut sorted: Vec<f64> =
            section.overlays.iter().map(|o| o.comparison.max_gap_ode()).collect();
        sorted.sort_by(f64::total_cmp);
        let median = if sorted.len() % 2 == 1 {
            sorted[sorted.len() / 2]
        } else {
            0.5 * (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2])
        };
        let worst = section
            .overlays
            .iter()
            .max_by(|a, b| a.comparison.max_gap_ode().total_cmp(&b.comparison.max_gap_ode()));
        if let Some(at) = worst {
            let _ = writeln!(
                out,
                "\nmax|d| to the ODE: median {:.3} over {} comparisons, largest {:.3} ({}, {}, mu = {}).\n",
                median,
                sorted.len(),
                at.comparison.max_gap_ode(),
                cell(&at.activation),
                cell(&at.start),
                trimmed(at.mu, 4)
            );
        }
    }
}
