//! Seed-averaged overlap m_V over SGD steps, one line per pre-training strength mu.
//!
//! For the runs of one (activation, start, rank): the curves of each mu are averaged over
//! seeds index by index (as the paper's statistic does), drawn against the step (counted
//! from 1) on a log axis, with a dashed horizontal line at the escape threshold. Where the
//! deterministic large-N dynamics applies, its ODE curve of each mu is drawn dashed in that
//! mu's colour. Long curves are thinned to log-spaced steps, which a log axis shows without
//! loss.

use goldilocks_theory::format::trimmed;
use plotters::prelude::*;

use crate::error::AnalysisError;
use crate::ode_comparison::OdeOverlay;
use crate::paper_statistic::seed_average;
use crate::plot::{chart_builder, color, draw_legend, plot_error, PLOT_SIZE};
use crate::trajectory::RunTrajectory;

/// Most points drawn per curve.
const MAX_POINTS: usize = 400;

/// SVG of seed-averaged m_V over steps (log x axis, steps from 1), one line per mu (in
/// increasing mu), for the runs of one (activation, start, rank); a horizontal dashed line
/// marks `threshold`. Errors when no run matches.
pub fn overlap_curves_plot(
    runs: &[RunTrajectory],
    activation: &str,
    start: &str,
    rank: usize,
    threshold: f64,
    title: &str,
) -> Result<String, AnalysisError> {
    overlap_curves_with_ode_plot(runs, activation, start, rank, threshold, title, &[])
}

/// [`overlap_curves_plot`] with the ODE curve of every overlay whose mu has a measured line
/// drawn dashed in that line's colour (overlays of other activations or starts are
/// ignored), and one legend entry for them all.
pub fn overlap_curves_with_ode_plot(
    runs: &[RunTrajectory],
    activation: &str,
    start: &str,
    rank: usize,
    threshold: f64,
    title: &str,
    overlays: &[&OdeOverlay],
) -> Result<String, AnalysisError> {
    let err = plot_error("overlap curves");
    let selected: Vec<&RunTrajectory> = runs
        .iter()
        .filter(|r| r.activation == activation && r.start == start && r.rank == rank)
        .collect();
    if selected.is_empty() {
        return Err(AnalysisError::NoMatchingRuns {
            activation: activation.into(),
            start: start.into(),
            rank,
        });
    }
    let mut mus: Vec<f64> = Vec::new();
    for run in &selected {
        if !mus.contains(&run.mu) {
            mus.push(run.mu);
        }
    }
    mus.sort_by(f64::total_cmp);
    // (label, points (step, average m_V))
    let curves: Vec<(String, Vec<(f64, f64)>)> = mus
        .iter()
        .map(|&mu| {
            let group: Vec<&[f64]> =
                selected.iter().filter(|r| r.mu == mu).map(|r| r.m_v.as_slice()).collect();
            let average = seed_average(&group);
            let points = log_spaced_indices(average.len(), MAX_POINTS)
                .into_iter()
                .map(|i| ((i + 1) as f64, average[i]))
                .collect();
            (format!("mu = {} ({} seeds)", trimmed(mu, 4), group.len()), points)
        })
        .collect();
    // (index of the measured line, points (step, ODE m))
    let odes: Vec<(usize, Vec<(f64, f64)>)> = overlays
        .iter()
        .filter(|o| o.activation == activation && o.start == start)
        .filter_map(|o| {
            let line = mus.iter().position(|&mu| mu == o.mu)?;
            let ode = &o.comparison.ode;
            let points = log_spaced_indices(ode.len(), MAX_POINTS)
                .into_iter()
                .map(|i| ((i + 1) as f64, ode[i]))
                .collect();
            Some((line, points))
        })
        .collect();
    let steps = curves.iter().flat_map(|c| c.1.last()).map(|p| p.0).fold(1.0, f64::max);
    let x_hi = steps.max(2.0);
    let y_hi = curves
        .iter()
        .flat_map(|c| c.1.iter().map(|p| p.1))
        .chain([threshold, 1.0])
        .fold(f64::NEG_INFINITY, f64::max)
        * 1.05;
    let y_lo = curves
        .iter()
        .flat_map(|c| c.1.iter().map(|p| p.1))
        .chain([threshold, 0.0])
        .fold(f64::INFINITY, f64::min);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut chart = chart_builder(&root, title, 65)
            .build_cartesian_2d((1.0..x_hi).log_scale(), y_lo..y_hi)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc("SGD step")
            .y_desc("overlap m_V (seed average)")
            .x_label_formatter(&|x| trimmed(*x, 0))
            .y_label_formatter(&|y| trimmed(*y, 2))
            .draw()
            .map_err(&err)?;
        for (i, (label, points)) in curves.iter().enumerate() {
            let style = color(i).stroke_width(2);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), style))
                .map_err(&err)?
                .label(label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        for (k, (line, points)) in odes.iter().enumerate() {
            let series = chart
                .draw_series(DashedLineSeries::new(
                    points.iter().copied(),
                    5,
                    3,
                    color(*line).stroke_width(1),
                ))
                .map_err(&err)?;
            if k == 0 {
                let gray = RGBColor(90, 90, 90).stroke_width(1);
                series.label("large-N ODE (dashed, colour of its mu)").legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (5, 0)], gray)
                        + PathElement::new(vec![(8, 0), (13, 0)], gray)
                        + PathElement::new(vec![(16, 0), (20, 0)], gray)
                });
            }
        }
        let dashed = BLACK.stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(1.0, threshold), (x_hi, threshold)],
                6,
                4,
                dashed,
            ))
            .map_err(&err)?
            .label(format!("threshold m_V = {}", trimmed(threshold, 4)))
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (8, 0)], dashed)
                    + PathElement::new(vec![(12, 0), (20, 0)], dashed)
            });
        draw_legend(&mut chart, 15, "overlap curves")?;
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

/// Indices of a curve of `len` points to draw: all of them when `len <= max_points`,
/// otherwise about `max_points` indices whose steps (index + 1) are log-spaced from 1 to
/// `len`, first and last included, increasing and without repeats.
fn log_spaced_indices(len: usize, max_points: usize) -> Vec<usize> {
    if len <= max_points || max_points < 2 {
        return (0..len).collect();
    }
    let ln = (len as f64).ln();
    let mut out: Vec<usize> = Vec::with_capacity(max_points);
    for j in 0..max_points {
        let step = (j as f64 * ln / (max_points - 1) as f64).exp().round() as usize;
        let index = step.clamp(1, len) - 1;
        if out.last() != Some(&index) {
            out.push(index);
        }
    }
    if out.last() != Some(&(len - 1)) {
        out.push(len - 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mu: f64, seed: u64, delay: f64, start: &str) -> RunTrajectory {
        RunTrajectory {
            activation: "relu".into(),
            mu,
            rank: 1,
            start: start.into(),
            initial_overlap: None,
            seed,
            m_v: (0..2000).map(|i| 1.0 / (1.0 + (-(i as f64 - delay) / 10.0).exp())).collect(),
            max_steps: 2000,
            diverged: false,
        }
    }

    fn runs() -> Vec<RunTrajectory> {
        vec![
            run(0.5, 1, 100.0, "random-start"),
            run(0.1, 1, 20.0, "random-start"),
            run(0.5, 2, 120.0, "random-start"),
            run(0.1, 2, 25.0, "random-start"),
            run(0.1, 1, 10.0, "published-start"),
        ]
    }

    #[test]
    fn svg_has_one_line_per_mu_and_the_threshold() {
        let svg =
            overlap_curves_plot(&runs(), "relu", "random-start", 1, 0.5, "relu, random start")
                .unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        for label in [
            "mu = 0.1 (2 seeds)",
            "mu = 0.5 (2 seeds)",
            "threshold m_V = 0.5",
            "SGD step",
            "relu, random start",
        ] {
            assert!(svg.contains(label), "missing {label}");
        }
        // Lines in increasing mu: the legend lists 0.1 before 0.5.
        assert!(svg.find("mu = 0.1").unwrap() < svg.find("mu = 0.5").unwrap());
        // The published-start run is not part of this plot.
        assert!(!svg.contains("(1 seeds)"));
    }

    fn overlay(mu: f64, start: &str, level: f64) -> OdeOverlay {
        OdeOverlay {
            activation: "relu".into(),
            start: start.into(),
            mu,
            prescribed_start: false,
            comparison: crate::OdeComparison {
                label: "x".into(),
                seeds: 2,
                initial_overlap: 0.03,
                measured: vec![0.5; 2000],
                ode: vec![level; 2000],
                map: vec![level; 2000],
            },
        }
    }

    /// The number of SVG polylines: one per drawn series segment list.
    fn polylines(svg: &str) -> usize {
        svg.matches("<polyline").count() + svg.matches("<path").count()
    }

    #[test]
    fn ode_overlays_are_drawn_dashed_in_the_colour_of_their_mu() {
        let plain =
            overlap_curves_plot(&runs(), "relu", "random-start", 1, 0.5, "relu, random start")
                .unwrap();
        let overlays = [
            overlay(0.5, "random-start", 0.777),
            overlay(0.1, "published-start", 0.333),
            overlay(0.3, "random-start", 0.444),
        ];
        let refs: Vec<&OdeOverlay> = overlays.iter().collect();
        let svg = overlap_curves_with_ode_plot(
            &runs(),
            "relu",
            "random-start",
            1,
            0.5,
            "relu, random start",
            &refs,
        )
        .unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(!plain.contains("large-N ODE"));
        assert!(svg.contains("large-N ODE (dashed, colour of its mu)"));
        // mu = 0.5 is the second line: its ODE dashes use the second palette colour; the
        // other start's overlay and the mu without runs (0.3) add nothing.
        let second = crate::plot::color(1);
        let dash = format!(
            "stroke=\"#{:02X}{:02X}{:02X}\" stroke-width=\"1\"",
            second.0, second.1, second.2
        );
        assert!(svg.matches(&dash).count() > 20, "no dashes {dash}");
        assert_eq!(plain.matches(&dash).count(), 0);
        assert!(polylines(&svg) > polylines(&plain) + 20);
        let only_other = overlap_curves_with_ode_plot(
            &runs(),
            "relu",
            "random-start",
            1,
            0.5,
            "relu, random start",
            &[&overlays[1], &overlays[2]],
        )
        .unwrap();
        assert!(!only_other.contains("large-N ODE"));
        assert_eq!(polylines(&only_other), polylines(&plain));
    }

    #[test]
    fn no_matching_runs_is_an_error() {
        let err = overlap_curves_plot(&runs(), "linear", "random-start", 1, 0.5, "t").unwrap_err();
        assert!(matches!(err, AnalysisError::NoMatchingRuns { .. }), "{err}");
        let err = overlap_curves_plot(&runs(), "relu", "random-start", 2, 0.5, "t").unwrap_err();
        assert!(err.to_string().contains("rank 2"), "{err}");
    }

    #[test]
    fn thinning_keeps_ends_and_order() {
        assert_eq!(log_spaced_indices(5, 400), vec![0, 1, 2, 3, 4]);
        let idx = log_spaced_indices(100_000, 400);
        assert!(idx.len() <= 401 && idx.len() > 100, "{}", idx.len());
        assert_eq!(idx[0], 0);
        assert_eq!(*idx.last().unwrap(), 99_999);
        assert!(idx.windows(2).all(|w| w[0] < w[1]));
    }
}
