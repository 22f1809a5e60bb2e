//! report.md: the measured escape times next to the published ones, and how the starting
//! overlap moves them.
//!
//! The report is a pure function of its input (no timestamps, no environment), so it can be
//! snapshot-tested. Sections: what was run and how to reproduce it; what is measured; one
//! table per starting condition, with every miss against the published numbers marked
//! plainly; the times of each (activation, mu) side by side across starting conditions with
//! their ratios; the theory fitted to the times; the deterministic large-N dynamics beside
//! the measured m_V curves (or why it does not apply); the plots; censored runs.

use std::fmt::Write as _;

use goldilocks_theory::format::trimmed;

use crate::comparison::{compare_with_published, Comparison, MISS_ABSOLUTE_STEPS, MISS_RELATIVE};
use crate::escape::escape_step;
use crate::ode_comparison::OdeSection;
use crate::published::PublishedNumbers;
use crate::summary::{SummaryParams, SummaryRow, SUBSET_QUANTILES};
use crate::theory_fit::TheoryFit;

/// Everything the report is made from.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// Name of the experiment (the results folder name).
    pub experiment: &'a str,
    /// What was run, in a few sentences (markdown).
    pub description: &'a str,
    /// The summary rows.
    pub rows: &'a [SummaryRow],
    /// The published numbers to compare with.
    pub published: &'a PublishedNumbers,
    /// How the rows were computed.
    pub params: &'a SummaryParams,
    /// Plots to embed: (caption, path relative to the report).
    pub plots: &'a [(String, String)],
    /// Shell commands that reproduce the experiment.
    pub commands: &'a str,
    /// Theory curves fitted to the measured times (empty: no theory section).
    pub theory: &'a [TheoryFit],
    /// The deterministic dynamics beside the measured m_V (empty: no such section).
    pub ode: &'a OdeSection,
}

/// Renders report.md.
pub fn render_report(input: &ReportInput) -> String {
    let view = View::new(input);
    let mut out = String::new();
    view.write_header(&mut out);
    view.write_results(&mut out);
    view.write_overlap_section(&mut out);
    view.write_theory(&mut out);
    view.write_ode(&mut out);
    view.write_plots(&mut out);
    view.write_censored(&mut out);
    out
}

/// The rows, ordered and indexed for the report.
struct View<'a> {
    input: &'a ReportInput<'a>,
    /// Rows sorted by (activation in order of first appearance, rank, mu), stably.
    rows: Vec<&'a SummaryRow>,
    /// Starting conditions in order of first appearance.
    starts: Vec<&'a str>,
    /// Whether the rows hold more than one rank (then ranks are shown).
    several_ranks: bool,
}

impl<'a> View<'a> {
    fn new(input: &'a ReportInput<'a>) -> Self {
        let mut activations: Vec<&str> = Vec::new();
        let mut starts: Vec<&str> = Vec::new();
        for row in input.rows {
            if !activations.contains(&row.activation.as_str()) {
                activations.push(&row.activation);
            }
            if !starts.contains(&row.start.as_str()) {
                starts.push(&row.start);
            }
        }
        let mut rows: Vec<&SummaryRow> = input.rows.iter().collect();
        let activation_index =
            |r: &SummaryRow| activations.iter().position(|a| *a == r.activation).unwrap_or(0);
        rows.sort_by(|a, b| {
            activation_index(a)
                .cmp(&activation_index(b))
                .then(a.rank.cmp(&b.rank))
                .then(a.mu.total_cmp(&b.mu))
        });
        let several_ranks = input.rows.iter().any(|r| r.rank != input.rows[0].rank);
        Self { input, rows, starts, several_ranks }
    }

    fn params(&self) -> &SummaryParams {
        self.input.params
    }

    fn comparison(&self, row: &SummaryRow) -> Comparison {
        compare_with_published(
            row.paper_time,
            self.input.published.escape_time(&row.activation, row.mu),
        )
    }

    /// How V starts under `start`, from the rows' initial overlaps.
    fn start_condition(&self, start: &str) -> String {
        let overlaps: Vec<Option<f64>> =
            self.rows.iter().filter(|r| r.start == start).map(|r| r.initial_overlap).collect();
        match overlaps.first() {
            Some(first) if overlaps.iter().all(|o| o == first) => match first {
                Some(m0) => {
                    format!("V starts at overlap m0 = {} with the teacher", trimmed(*m0, 4))
                }
                None => "V starts as a random unit vector".to_string(),
            },
            _ => "starting overlaps differ between rows".to_string(),
        }
    }

    /// Short form of the start condition for column headers.
    fn start_short(&self, start: &str) -> String {
        let overlaps: Vec<Option<f64>> =
            self.rows.iter().filter(|r| r.start == start).map(|r| r.initial_overlap).collect();
        match overlaps.first() {
            Some(Some(m0)) if overlaps.iter().all(|o| *o == Some(*m0)) => {
                format!("{start} (m0 = {})", trimmed(*m0, 4))
            }
            Some(None) if overlaps.iter().all(|o| o.is_none()) => format!("{start} (random V)"),
            _ => start.to_string(),
        }
    }

    fn activation_label(&self, row: &SummaryRow) -> String {
        let name = cell(&row.activation);
        if self.several_ranks {
            format!("{name}, r = {}", row.rank)
        } else {
            name
        }
    }

    fn write_header(&self, out: &mut String) {
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

    /// One sentence on how the rows of `start` compare with the published numbers.
    fn verdict(&self, start: &str) -> String {
        let compared: Vec<(&SummaryRow, Comparison)> = self
            .rows
            .iter()
            .filter(|r| r.start == start)
            .map(|r| (*r, self.comparison(r)))
            .filter(|(_, c)| *c != Comparison::Unavailable)
            .collect();
        if compared.is_empty() {
            return "no row has both a measured and a published time to compare.".to_string();
        }
        let misses: Vec<String> = compared
            .iter()
            .filter(|(_, c)| c.is_miss())
            .map(|(r, c)| {
                format!(
                    "{} at mu = {} (measured {}, published {}, ratio {})",
                    self.activation_label(r),
                    trimmed(r.mu, 4),
                    time(r.paper_time),
                    time(self.input.published.escape_time(&r.activation, r.mu)),
                    ratio(c.ratio())
                )
            })
            .collect();
        let within = compared.len() - misses.len();
        let verdict = if misses.is_empty() {
            format!(
                "all {} comparable times within tolerance of the published numbers.",
                compared.len()
            )
        } else {
            format!(
                "{within} of {} comparable times within tolerance of the published numbers; **{} miss{}**: {}.",
                compared.len(),
                misses.len(),
                if misses.len() == 1 { "" } else { "es" },
                misses.join("; ")
            )
        };
        if self.has_published_start(start) {
            verdict
        } else {
            format!(
                "{verdict} These runs do not start at the published runs' overlap ({}), so they are not expected \
                 to match; see how the starting overlap moves the times below.",
                trimmed(self.input.published.start_overlap(), 4)
            )
        }
    }

    /// Whether every row of `start` starts V at the published runs' mean overlap.
    fn has_published_start(&self, start: &str) -> bool {
        let m0 = self.input.published.start_overlap();
        self.rows
            .iter()
            .filter(|r| r.start == start)
            .all(|r| r.initial_overlap.is_some_and(|o| (o - m0).abs() <= 1e-9))
    }

    fn write_results(&self, out: &mut String) {
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

    fn write_overlap_section(&self, out: &mut String) {
        if self.rows.is_empty() {
            return;
        }
        let _ = writeln!(out, "## How the starting overlap moves the times\n");
        // (activation, rank, mu) keys present under two or more starts, in row order.
        let mut keys: Vec<&SummaryRow> = Vec::new();
        for row in &self.rows {
            let same_key = |r: &SummaryRow| {
                r.activation == row.activation && r.rank == row.rank && r.mu == row.mu
            };
            if keys.iter().any(|r| same_key(r)) {
                continue;
            }
            if self.rows.iter().filter(|r| same_key(r)).any(|r| r.start != row.start) {
                keys.push(row);
            }
        }
        if keys.is_empty() {
            let _ = writeln!(
                out,
                "Every (activation, mu) was run under a single starting condition: nothing to compare.\n"
            );
            return;
        }
        let reference = self.starts[0];
        let others = &self.starts[1..];
        let _ = writeln!(
            out,
            "The search phase lasts about log(1/m0) in the starting overlap m0, so the same statistic moves with \
             the starting condition. paper_time of each (activation, mu) under every starting condition, and its \
             ratio to {reference}:\n"
        );
        let mut header = String::from("| activation | mu |");
        let mut rule = String::from("|---|---:|");
        for start in &self.starts {
            let _ = write!(header, " {} |", cell(&self.start_short(start)));
            rule.push_str("---:|");
        }
        for start in others {
            let _ = write!(header, " {} / {} |", cell(start), cell(reference));
            rule.push_str("---:|");
        }
        let _ = writeln!(out, "{header}\n{rule}");
        // Per (activation label, other start): ratios of paper_time and of median escape.
        let mut ratios: Vec<(String, &str, Vec<f64>, Vec<f64>)> = Vec::new();
        for key in &keys {
            let find = |start: &str| {
                self.rows.iter().find(|r| {
                    r.start == start
                        && r.activation == key.activation
                        && r.rank == key.rank
                        && r.mu == key.mu
                })
            };
            let label = self.activation_label(key);
            let mut line = format!("| {label} | {} |", trimmed(key.mu, 4));
            for start in &self.starts {
                let value = match find(start) {
                    Some(r) => r
                        .paper_time
                        .map(|t| trimmed(t, 1))
                        .unwrap_or_else(|| "undefined".to_string()),
                    None => "-".to_string(),
                };
                let _ = write!(line, " {value} |");
            }
            let base = find(reference);
            for start in others {
                let other = find(start);
                let r =
                    pair_ratio(other.and_then(|r| r.paper_time), base.and_then(|r| r.paper_time));
                let _ = write!(line, " {} |", ratio(r));
                let m = pair_ratio(
                    other.and_then(|r| r.median_escape),
                    base.and_then(|r| r.median_escape),
                );
                let entry = match ratios.iter().position(|e| e.0 == label && e.1 == *start) {
                    Some(i) => &mut ratios[i],
                    None => {
                        ratios.push((label.clone(), start, Vec::new(), Vec::new()));
                        ratios.last_mut().expect("just pushed")
                    }
                };
                entry.2.extend(r);
                entry.3.extend(m);
            }
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(
            out,
            "\nMean ratios per activation (over the strengths where both times are defined):\n"
        );
        for (label, start, paper, medians) in &ratios {
            let _ = writeln!(
                out,
                "- {label}, {} / {reference}: paper_time {}; median escape {}.",
                cell(start),
                mean_ratio(paper),
                mean_ratio(medians)
            );
        }
        let _ = writeln!(out);
    }

    fn write_theory(&self, out: &mut String) {
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

    fn write_ode(&self, out: &mut String) {
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

    fn write_plots(&self, out: &mut String) {
        if self.input.plots.is_empty() {
            return;
        }
        let _ = writeln!(out, "## Plots\n");
        for (caption, path) in self.input.plots {
            let _ = writeln!(out, "![{}]({})\n\n*{}*\n", caption.replace(']', ")"), path, caption);
        }
    }

    fn write_censored(&self, out: &mut String) {
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

/// A time in steps, one decimal at most; "-" when absent.
fn time(t: Option<f64>) -> String {
    t.map(|t| trimmed(t, 1)).unwrap_or_else(|| "-".to_string())
}

/// A ratio with two decimals; "-" when absent.
fn ratio(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.2}")).unwrap_or_else(|| "-".to_string())
}

/// numerator / denominator when both exist and the denominator is positive.
fn pair_ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => Some(n / d),
        _ => None,
    }
}

/// "1.35 over 8 strengths (from 1.20 to 1.50)", or "not defined at any strength".
fn mean_ratio(values: &[f64]) -> String {
    if values.is_empty() {
        return "not defined at any strength".to_string();
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let strengths = if values.len() == 1 { "strength" } else { "strengths" };
    format!("{mean:.2} over {} {strengths} (from {lo:.2} to {hi:.2})", values.len())
}

/// The measured paper_time with its spread over seed subsets.
fn measured(row: &SummaryRow) -> String {
    match (row.paper_time, row.paper_time_lo, row.paper_time_hi) {
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
        None => "-".to_string(),
    }
}

/// Text made safe for a markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ode_comparison::{OdeComparison, OdeOverlay};

    #[allow(clippy::too_many_arguments)]
    fn row(
        activation: &str,
        start: &str,
        mu: f64,
        seeds: usize,
        paper: Option<(f64, f64, f64)>,
        median_escape: Option<f64>,
        escape: Option<(usize, usize)>,
        censored: usize,
    ) -> SummaryRow {
        SummaryRow {
            activation: activation.into(),
            start: start.into(),
            mu,
            rank: 1,
            initial_overlap: if start == "published-start" { Some(0.038) } else { None },
            seeds,
            paper_time: paper.map(|p| p.0),
            paper_time_lo: paper.map(|p| p.1),
            paper_time_hi: paper.map(|p| p.2),
            median_escape,
            escape_lo: escape.map(|e| e.0),
            escape_hi: escape.map(|e| e.1),
            censored,
            max_steps: 3000,
        }
    }

    /// Hand-made rows: made-up times, chosen to exercise agreements, a miss, undefined and
    /// censored values, an activation without published numbers and a missing start.
    fn rows() -> Vec<SummaryRow> {
        vec![
            row(
                "linear",
                "published-start",
                0.1,
                3,
                Some((10.0, 10.0, 10.0)),
                Some(31.0),
                Some((29, 35)),
                0,
            ),
            row(
                "linear",
                "published-start",
                0.5,
                3,
                Some((70.5, 70.5, 70.5)),
                Some(120.0),
                Some((110, 131)),
                0,
            ),
            row(
                "relu",
                "published-start",
                0.5,
                3,
                Some((190.0, 190.0, 190.0)),
                Some(250.0),
                Some((240, 266)),
                0,
            ),
            row(
                "linear",
                "random-start",
                0.1,
                12,
                Some((14.25, 11.0, 18.5)),
                Some(38.5),
                Some((30, 51)),
                0,
            ),
            row(
                "linear",
                "random-start",
                0.5,
                12,
                Some((93.0, 75.0, 120.0)),
                Some(150.0),
                Some((120, 190)),
                1,
            ),
            row("relu", "random-start", 0.5, 12, None, None, Some((700, 900)), 7),
            row(
                "sign->tanh",
                "random-start",
                0.3,
                12,
                Some((40.0, 35.0, 47.0)),
                Some(80.0),
                Some((60, 99)),
                0,
            ),
        ]
    }

    fn input<'a>(
        rows: &'a [SummaryRow],
        published: &'a PublishedNumbers,
        params: &'a SummaryParams,
        plots: &'a [(String, String)],
    ) -> ReportInput<'a> {
        ReportInput {
            experiment: "tiny",
            description: "A hand-made set of rows for the report's snapshot test.",
            rows,
            published,
            params,
            plots,
            commands: "cargo xtask experiment --config configs/tiny.toml",
            theory: &[],
            ode: &NO_ODE,
        }
    }

    static NO_ODE: OdeSection = OdeSection { overlays: Vec::new(), not_compared: Vec::new() };

    /// A logistic-like curve from m0 that crosses 0.5 at step `half` (index `half - 1`).
    fn curve(half: f64, len: usize) -> Vec<f64> {
        (1..=len).map(|step| 1.0 / (1.0 + (-(step as f64 - half) / 8.0).exp())).collect()
    }

    /// Hand-made comparisons: one prescribed start, one random start, and a sentence on
    /// what was not compared.
    fn ode_section() -> OdeSection {
        let overlay = |start: &str, prescribed_start, seeds, measured, ode, map| OdeOverlay {
            activation: "linear".into(),
            start: start.into(),
            mu: 0.5,
            prescribed_start,
            comparison: OdeComparison {
                label: format!("linear, {start}"),
                seeds,
                initial_overlap: if prescribed_start { 0.038 } else { 0.0251 },
                measured: curve(measured, 200),
                ode: curve(ode, 200),
                map: curve(map, 200),
            },
        };
        OdeSection {
            overlays: vec![
                overlay("published-start", true, 3, 70.0, 68.0, 69.0),
                overlay("random-start", false, 12, 95.0, 90.0, 92.0),
            ],
            not_compared: vec![
                "sign->tanh: runs of rank 2 are not compared (the dynamics is for rank 1).".into(),
            ],
        }
    }

    #[test]
    fn report_snapshot() {
        let rows = rows();
        let published = PublishedNumbers::load();
        let params = SummaryParams::paper();
        let ode = ode_section();
        let plots = vec![
            ("Escape time versus mu".to_string(), "escape_time.svg".to_string()),
            (
                "m_V curves, linear, random-start".to_string(),
                "overlap_linear_random-start.svg".to_string(),
            ),
        ];
        let report =
            render_report(&ReportInput { ode: &ode, ..input(&rows, &published, &params, &plots) });
        insta::assert_snapshot!(report);
    }

    #[test]
    fn ode_section_gives_gaps_and_escapes() {
        let rows = rows();
        let published = PublishedNumbers::load();
        let params = SummaryParams::paper();
        let ode = ode_section();
        let report =
            render_report(&ReportInput { ode: &ode, ..input(&rows, &published, &params, &[]) });
        assert!(report.contains("## Large-N dynamics beside the measured m_V"));
        let gap = ode.overlays[1].comparison.max_gap_ode();
        // Curves crossing 0.5 at steps 95 and 90: the gap is about 5 / (4 * 8).
        assert!((gap - 0.155).abs() < 0.01, "{gap}");
        let line = report
            .lines()
            .find(|l| l.starts_with("| linear | random-start (one curve per seed) | 0.5 | 12 |"))
            .expect("random-start row");
        assert!(line.contains(&format!("| {gap:.3} |")), "{line}");
        assert!(line.ends_with("| 95 / 90 / 92 |"), "{line}");
        assert!(report.contains("- sign->tanh: runs of rank 2 are not compared"));
        assert!(report.contains(&format!("largest {gap:.3} (linear, random-start, mu = 0.5)")));
        // Without comparisons or reasons there is no section.
        let plain = render_report(&input(&rows, &published, &params, &[]));
        assert!(!plain.contains("Large-N dynamics"));
    }

    #[test]
    fn a_reason_alone_is_reported() {
        let published = PublishedNumbers::load();
        let params = SummaryParams::paper();
        let rows = rows();
        let ode = OdeSection {
            overlays: Vec::new(),
            not_compared: vec![
                "The dynamics does not describe these runs: model.width must be 1.".into()
            ],
        };
        let report =
            render_report(&ReportInput { ode: &ode, ..input(&rows, &published, &params, &[]) });
        let section = &report[report.find("## Large-N dynamics").expect("section")..];
        assert!(
            section.contains("- The dynamics does not describe these runs: model.width must be 1.")
        );
        let end = section.find("## Censored").unwrap_or(section.len());
        assert!(!section[..end].contains("| activation |"));
    }

    #[test]
    fn misses_are_named_plainly() {
        let rows = rows();
        let published = PublishedNumbers::load();
        let params = SummaryParams::paper();
        let report = render_report(&input(&rows, &published, &params, &[]));
        // relu at mu = 0.5 under published-start is far from its published value.
        let relu = published.escape_time("relu", 0.5).unwrap();
        assert!(compare_with_published(Some(190.0), Some(relu)).is_miss());
        let line = report
            .lines()
            .find(|l| l.starts_with("| relu | 0.5 | 3 |"))
            .expect("relu row of published-start");
        assert!(line.contains("**miss**"), "{line}");
        assert!(report.contains("**1 miss**"), "{report}");
    }

    #[test]
    fn overlap_section_gives_ratios() {
        let rows = rows();
        let published = PublishedNumbers::load();
        let params = SummaryParams::paper();
        let report = render_report(&input(&rows, &published, &params, &[]));
        // linear mu = 0.1: 14.25 / 10 = 1.43 (two decimals); mu = 0.5: 93 / 70.5 = 1.32.
        let line =
            report.lines().find(|l| l.starts_with("| linear | 0.1 | 10 |")).expect("ratio row");
        assert!(line.ends_with("| 1.43 |"), "{line}");
        let mean = (14.25 / 10.0 + 93.0 / 70.5) / 2.0;
        assert!(report.contains(&format!(
            "- linear, random-start / published-start: paper_time {mean:.2} over 2 strengths"
        )));
        // sign->tanh has a single start: not in the comparison table.
        assert!(!report.contains("| sign->tanh | 0.3 | -"));
    }

    #[test]
    fn empty_rows_still_render() {
        let published = PublishedNumbers::load();
        let params = SummaryParams::paper();
        let report = render_report(&input(&[], &published, &params, &[]));
        assert!(report.contains("No results"));
        assert!(report.contains("## Censored runs"));
    }
}
