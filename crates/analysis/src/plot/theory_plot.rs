//! Measured escape times beside the theory: the no-fit prediction (solid) and, for the paper's
//! statistic, the fitted c tau(mu) (dashed), one color per activation, on a log axis.

use goldilocks_theory::format::trimmed;
use plotters::prelude::*;

use crate::distinct::distinct;
use crate::error::AnalysisError;
use crate::fastest_strength::SpeedStatistic;
use crate::no_fit::NoFitComparison;
use crate::plot::{chart_builder, color, draw_legend, plot_error, PLOT_SIZE};
use crate::theory_fit::TheoryFit;

/// SVG of one statistic against mu: for every (activation, start) of `no_fit` (and of `fits`
/// when the statistic is the paper's), the measured values (filled circles), the no-fit
/// prediction (a solid line) and the fitted c tau(mu) of the lowest rank (a dashed line of
/// the same color, paper_time only). The legend names each color once and the three styles
/// once. Errors only when drawing fails.
pub fn theory_fit_plot(
    no_fit: &[NoFitComparison],
    fits: &[TheoryFit],
    statistic: SpeedStatistic,
    title: &str,
) -> Result<String, AnalysisError> {
    let err = plot_error("theory beside measurement");
    let fits: &[TheoryFit] = if statistic == SpeedStatistic::PaperTime { fits } else { &[] };
    let measured_of = |c: &NoFitComparison| -> Vec<(f64, f64)> {
        c.points
            .iter()
            .filter_map(|p| {
                let value = match statistic {
                    SpeedStatistic::PaperTime => p.measured_paper_time,
                    SpeedStatistic::MedianEscape => p.measured_escape,
                }?;
                Some((p.mu, value))
            })
            .collect()
    };
    let predicted_of = |c: &NoFitComparison| -> Vec<(f64, f64)> {
        c.points
            .iter()
            .map(|p| match statistic {
                SpeedStatistic::PaperTime => (p.mu, p.predicted_paper_time),
                SpeedStatistic::MedianEscape => (p.mu, p.predicted_escape),
            })
            .collect()
    };
    let mut all: Vec<(f64, f64)> = Vec::new();
    for c in no_fit {
        all.extend(measured_of(c));
        all.extend(predicted_of(c));
    }
    for f in fits {
        all.extend(f.points.iter().flat_map(|p| [(p.mu, p.measured), (p.mu, p.predicted)]));
    }
    all.retain(|&(_, v)| v > 0.0 && v.is_finite());
    let y_lo = all.iter().map(|p| p.1).fold(f64::INFINITY, f64::min).clamp(1e-3, 1e12) / 1.3;
    let y_hi = all.iter().map(|p| p.1).fold(y_lo * 10.0, f64::max) * 1.3;
    let x_lo = all.iter().map(|p| p.0).fold(f64::INFINITY, f64::min).min(1.0) - 0.05;
    let x_hi = all.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max).max(x_lo + 0.1) + 0.05;
    let groups = distinct(
        no_fit
            .iter()
            .map(|c| (c.activation.as_str(), c.start.as_str()))
            .chain(fits.iter().map(|f| (f.activation.as_str(), f.start.as_str()))),
    );
    let one_start = groups.windows(2).all(|w| w[0].1 == w[1].1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut chart = chart_builder(&root, title, 65)
            .build_cartesian_2d(x_lo..x_hi, (y_lo..y_hi).log_scale())
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc("pre-training strength mu")
            .y_desc(format!("{} (SGD steps)", statistic.name()))
            .x_label_formatter(&|x| trimmed(*x, 2))
            .y_label_formatter(&|y| trimmed(*y, 0))
            .draw()
            .map_err(&err)?;
        for (i, (activation, start)) in groups.into_iter().enumerate() {
            let style = color(i);
            let comparison = no_fit.iter().find(|c| c.activation == activation && c.start == start);
            let fit = fits
                .iter()
                .filter(|f| f.activation == activation && f.start == start)
                .min_by_key(|f| f.rank);
            let measured: Vec<(f64, f64)> = match (comparison, fit) {
                (Some(c), _) => measured_of(c),
                (None, Some(f)) => f.points.iter().map(|p| (p.mu, p.measured)).collect(),
                (None, None) => Vec::new(),
            };
            let name =
                if one_start { activation.to_string() } else { format!("{activation}, {start}") };
            chart
                .draw_series(measured.into_iter().map(|p| Circle::new(p, 4, style.filled())))
                .map_err(&err)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], style.stroke_width(3))
                });
            if let Some(c) = comparison {
                chart
                    .draw_series(LineSeries::new(predicted_of(c), style.stroke_width(2)))
                    .map_err(&err)?;
            }
            if let Some(f) = fit {
                let line: Vec<(f64, f64)> = f.points.iter().map(|p| (p.mu, p.predicted)).collect();
                chart
                    .draw_series(DashedLineSeries::new(line, 6, 4, style.stroke_width(1)))
                    .map_err(&err)?;
            }
        }
        let key = BLACK;
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(&err)?
            .label("points: measured")
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, key.filled()));
        if !no_fit.is_empty() {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(&err)?
                .label("solid: no-fit prediction")
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], key.stroke_width(2))
                });
        }
        if !fits.is_empty() {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(&err)?
                .label("dashed: fitted c tau(mu)")
                .legend(move |(x, y)| {
                    PathElement::new(
                        vec![(x, y), (x + 6, y), (x + 10, y), (x + 16, y)],
                        key.stroke_width(1),
                    )
                });
        }
        draw_legend(&mut chart, 14, "theory beside measurement")?;
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::no_fit::NoFitPoint;
    use crate::theory_fit::FitPoint;

    #[test]
    fn draws_measured_points_and_the_fitted_curve() {
        let fit = TheoryFit {
            activation: "linear".into(),
            start: "published-start".into(),
            rank: 1,
            scale: 10.0,
            log_rms: 0.1,
            points: vec![
                FitPoint { mu: 0.1, tau: 1.9, predicted: 19.0, measured: 11.0 },
                FitPoint { mu: 0.5, tau: 4.8, predicted: 48.0, measured: 70.0 },
            ],
        };
        let comparison = NoFitComparison {
            activation: "linear".into(),
            start: "published-start".into(),
            paper_time_log_rms: Some(0.1),
            escape_log_rms: Some(0.1),
            points: vec![NoFitPoint {
                mu: 0.1,
                predicted_paper_time: 12.0,
                measured_paper_time: Some(11.0),
                predicted_escape: 27.0,
                measured_escape: Some(30.0),
            }],
        };
        let svg = theory_fit_plot(
            std::slice::from_ref(&comparison),
            std::slice::from_ref(&fit),
            SpeedStatistic::PaperTime,
            "theory",
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("\nlinear\n"), "one legend entry per activation");
        assert!(svg.contains("no-fit prediction") && svg.contains("fitted c tau(mu)"));
        let escape =
            theory_fit_plot(&[comparison], &[fit], SpeedStatistic::MedianEscape, "theory").unwrap();
        assert!(escape.contains("median escape step") && !escape.contains("fitted c tau(mu)"));
    }
}
