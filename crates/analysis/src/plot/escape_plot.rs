//! Escape time versus pre-training strength mu, on a log time axis.
//!
//! One line per (activation, start) (and rank, when the rows hold several): color by
//! activation, line pattern by starting condition, a filled marker at the paper's statistic
//! and a vertical bar from its 5% to its 95% point over seed subsets. The published numbers
//! are drawn as hollow squares in the activation's color, for the activations that have them.

use goldilocks_theory::format::trimmed;
use plotters::prelude::*;

use crate::error::AnalysisError;
use crate::plot::{chart_builder, color, draw_legend, plot_error, PLOT_SIZE};
use crate::published::PublishedNumbers;
use crate::summary::SummaryRow;

/// One measured line of the plot.
struct Line {
    label: String,
    activation: usize,
    start: usize,
    /// (mu, paper_time), sorted by mu.
    points: Vec<(f64, f64)>,
    /// (mu, lo, hi) of the spread over seed subsets.
    bars: Vec<(f64, f64, f64)>,
}

/// The published points of one plotted activation.
struct Reference<'a> {
    /// Index of the activation (its color).
    activation: usize,
    name: &'a str,
    /// (mu, published escape time).
    points: Vec<(f64, f64)>,
}

/// SVG of escape time (the paper's statistic) versus mu, on a log y axis.
///
/// One line per (activation, start), with the rank in the label when the rows hold several
/// ranks; markers at `paper_time` and vertical bars from `paper_time_lo` to
/// `paper_time_hi` (the spread over seed subsets); the published numbers of the plotted
/// activations, within the plotted range of mu, as hollow squares. Rows with no
/// `paper_time` are skipped, and so are values that a log axis cannot show (<= 0).
pub fn escape_time_plot(
    rows: &[SummaryRow],
    published: &PublishedNumbers,
    title: &str,
) -> Result<String, AnalysisError> {
    let err = plot_error("escape time versus mu");
    let several_ranks = rows.iter().any(|r| r.rank != rows[0].rank);
    let mut activations: Vec<&str> = Vec::new();
    let mut starts: Vec<&str> = Vec::new();
    let mut lines: Vec<Line> = Vec::new();
    for row in rows {
        let Some(t) = row.paper_time.filter(|&t| t > 0.0) else {
            continue;
        };
        let activation = index_of(&mut activations, &row.activation);
        let start = index_of(&mut starts, &row.start);
        let label = if several_ranks {
            format!("{}, {}, r = {}", row.activation, row.start, row.rank)
        } else {
            format!("{}, {}", row.activation, row.start)
        };
        let line = match lines.iter().position(|l| l.label == label) {
            Some(i) => &mut lines[i],
            None => {
                lines.push(Line { label, activation, start, points: Vec::new(), bars: Vec::new() });
                lines.last_mut().expect("just pushed")
            }
        };
        line.points.push((row.mu, t));
        if let (Some(lo), Some(hi)) = (row.paper_time_lo, row.paper_time_hi) {
            if lo > 0.0 && hi > 0.0 {
                line.bars.push((row.mu, lo, hi));
            }
        }
    }
    for line in &mut lines {
        line.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    // Published points of the plotted activations, within the measured range of mu.
    let mut references: Vec<Reference> = Vec::new();
    for (i, &activation) in activations.iter().enumerate() {
        let mus =
            lines.iter().filter(|l| l.activation == i).flat_map(|l| l.points.iter().map(|p| p.0));
        let (lo, hi) =
            mus.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), m| (a.min(m), b.max(m)));
        let points: Vec<(f64, f64)> = published
            .escape_times(activation)
            .iter()
            .copied()
            .filter(|&(m, t)| m >= lo - 1e-9 && m <= hi + 1e-9 && t > 0.0)
            .collect();
        if !points.is_empty() {
            references.push(Reference { activation: i, name: activation, points });
        }
    }

    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
    let ys = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1).chain(l.bars.iter().flat_map(|b| [b.1, b.2])))
        .chain(references.iter().flat_map(|r| r.points.iter().map(|p| p.1)));
    let (x_range, y_range) = match (min_max(xs), min_max(ys)) {
        (Some((x0, x1)), Some((y0, y1))) => ((x0 - 0.05)..(x1 + 0.05), (y0 / 1.5)..(y1 * 1.5)),
        _ => (0.0..1.0, 1.0..10.0),
    };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut chart = chart_builder(&root, title, 75)
            .build_cartesian_2d(x_range, y_range.log_scale())
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc("pre-training strength mu")
            .y_desc("escape time (SGD steps)")
            .x_label_formatter(&|x| trimmed(*x, 2))
            .y_label_formatter(&|y| trimmed(*y, 1))
            .draw()
            .map_err(&err)?;

        for line in &lines {
            let c = color(line.activation);
            let style = c.stroke_width(2);
            let (dash, gap) = dash_pattern(line.start);
            let anno = if gap == 0 {
                chart.draw_series(LineSeries::new(line.points.clone(), style))
            } else {
                chart.draw_series(DashedLineSeries::new(line.points.clone(), dash, gap, style))
            }
            .map_err(&err)?;
            anno.label(line.label.clone()).legend(move |(x, y)| {
                // The marker first, then the line's own dash pattern, so that dashed and solid
                // lines stay distinguishable in the legend.
                let (dash, gap) = if gap == 0 { (24, 0) } else { (dash as i32, gap as i32) };
                let segment = |i: i32| {
                    let from = (6 + i * (dash + gap)).min(30);
                    PathElement::new(vec![(from, 0), ((from + dash).min(30), 0)], style)
                };
                EmptyElement::at((x, y))
                    + Circle::new((0, 0), 4, c.filled())
                    + segment(0)
                    + segment(1)
                    + segment(2)
                    + segment(3)
            });
            chart
                .draw_series(line.points.iter().map(|&p| Circle::new(p, 4, c.filled())))
                .map_err(&err)?;
            let bar = c.stroke_width(1);
            chart
                .draw_series(
                    line.bars
                        .iter()
                        .map(|&(x, lo, hi)| PathElement::new(vec![(x, lo), (x, hi)], bar)),
                )
                .map_err(&err)?;
            chart
                .draw_series(
                    line.bars.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)]).map(|p| {
                        EmptyElement::at(p) + PathElement::new(vec![(-4, 0), (4, 0)], bar)
                    }),
                )
                .map_err(&err)?;
        }
        for reference in &references {
            let style = color(reference.activation).stroke_width(2);
            chart
                .draw_series(
                    reference
                        .points
                        .iter()
                        .map(|&p| EmptyElement::at(p) + Rectangle::new([(-5, -5), (5, 5)], style)),
                )
                .map_err(&err)?
                .label(format!("published: {}", reference.name))
                .legend(move |(x, y)| {
                    EmptyElement::at((x + 13, y)) + Rectangle::new([(-5, -5), (5, 5)], style)
                });
        }
        if !lines.is_empty() || !references.is_empty() {
            draw_legend(&mut chart, 15, "escape time versus mu")?;
        }
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

/// Dash and gap lengths (pixels) of the line for the `start`-th starting condition:
/// solid, dashed, dotted, cycling. A gap of 0 means solid.
fn dash_pattern(start: usize) -> (u32, u32) {
    match start % 3 {
        0 => (0, 0),
        1 => (9, 5),
        _ => (3, 4),
    }
}

/// Position of `name` in `names`, appending it if new.
fn index_of<'a>(names: &mut Vec<&'a str>, name: &'a str) -> usize {
    names.iter().position(|&n| n == name).unwrap_or_else(|| {
        names.push(name);
        names.len() - 1
    })
}

/// Smallest and largest value, `None` for no values.
fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        activation: &str,
        start: &str,
        mu: f64,
        t: Option<f64>,
        spread: Option<(f64, f64)>,
    ) -> SummaryRow {
        SummaryRow {
            activation: activation.into(),
            start: start.into(),
            mu,
            rank: 1,
            initial_overlap: None,
            seeds: 12,
            paper_time: t,
            paper_time_lo: spread.map(|s| s.0),
            paper_time_hi: spread.map(|s| s.1),
            median_escape: t,
            escape_lo: None,
            escape_hi: None,
            censored: 0,
            diverged: 0,
            max_steps: 1000,
        }
    }

    fn rows() -> Vec<SummaryRow> {
        vec![
            row("linear", "published-start", 0.1, Some(10.5), Some((10.5, 10.5))),
            row("linear", "published-start", 0.5, Some(72.0), Some((72.0, 72.0))),
            row("linear", "random-start", 0.1, Some(14.0), Some((11.0, 18.0))),
            row("linear", "random-start", 0.5, Some(93.0), Some((75.0, 120.0))),
            row("sign->tanh", "random-start", 0.5, Some(150.0), None),
            row("sign->tanh", "random-start", 0.9, None, None),
        ]
    }

    #[test]
    fn svg_is_well_formed_with_every_series() {
        let svg = escape_time_plot(&rows(), &PublishedNumbers::load(), "Escape time").unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        assert!(svg.trim_end().ends_with("</svg>"));
        for label in [
            "linear, published-start",
            "linear, random-start",
            "sign-&gt;tanh, random-start",
            "published: linear",
            "pre-training strength mu",
            "escape time (SGD steps)",
            "Escape time",
        ] {
            assert!(svg.contains(label), "missing {label}");
        }
        // relu is not plotted, so neither are its published numbers.
        assert!(!svg.contains("published: relu"));
    }

    #[test]
    fn rank_goes_into_the_label_when_ranks_differ() {
        let mut rows = rows();
        rows[2].rank = 4;
        let svg = escape_time_plot(&rows, &PublishedNumbers::load(), "t").unwrap();
        assert!(svg.contains("linear, random-start, r = 4"));
        assert!(svg.contains("linear, random-start, r = 1"));
    }

    #[test]
    fn rows_without_a_time_still_give_a_plot() {
        let rows = vec![row("linear", "random-start", 0.5, None, None)];
        let svg = escape_time_plot(&rows, &PublishedNumbers::load(), "empty").unwrap();
        assert!(svg.contains("</svg>") && svg.contains("empty"));
        assert!(!svg.contains("linear, random-start"));
    }

    #[test]
    fn output_is_deterministic() {
        let a = escape_time_plot(&rows(), &PublishedNumbers::load(), "t").unwrap();
        let b = escape_time_plot(&rows(), &PublishedNumbers::load(), "t").unwrap();
        assert_eq!(a, b);
    }
}
