//! report.md: the measured escape times next to the published ones, and how the starting
//! overlap moves them.
//!
//! The report is a pure function of its input (no timestamps, no environment), so it can be
//! snapshot-tested. Sections: what was run and how to reproduce it; what is measured; one
//! table per starting condition, with every miss against the published numbers marked
//! plainly; the times of each (activation, mu) side by side across starting conditions with
//! their ratios; the theory fitted to the times; the deterministic large-N dynamics beside
//! the measured m_V curves (or why it does not apply); the plots; censored runs.
//!
//! One file per section, in the order of the report: `header` (what was run, how to reproduce
//! it, what is measured, at a glance), `results`, `overlap`, `theory`, `ode`, `plots`,
//! `censored`; `view` holds the ordered rows and what the sections share.

mod censored;
mod diverged;
mod fastest;
mod header;
mod ode;
mod overlap;
mod plots;
mod results;
mod theory;
mod view;

use crate::fastest_strength::FastestStrength;
use crate::no_fit::NoFitComparison;
use crate::ode_comparison::OdeSection;
use crate::published::PublishedNumbers;
use crate::summary::{SummaryParams, SummaryRow};
use crate::theory_fit::{TheoryCurve, TheoryFit};
use view::View;

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
    /// The fastest strength of each (activation, start, rank) with three or more strengths.
    pub fastest: &'a [FastestStrength],
    /// The no-fit theory predictions beside the measured times.
    pub no_fit: &'a [NoFitComparison],
    /// Theory curves fitted to the measured times (no theory section when both are empty).
    pub theory: &'a [TheoryFit],
    /// tau(mu) of every described pair in both variants.
    pub curves: &'a [TheoryCurve],
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
    view.write_fastest(&mut out);
    view.write_theory(&mut out);
    view.write_ode(&mut out);
    view.write_plots(&mut out);
    view.write_censored(&mut out);
    view.write_diverged(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparison::compare_with_published;
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
            diverged: 0,
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
            fastest: &[],
            no_fit: &[],
            theory: &[],
            curves: &[],
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
