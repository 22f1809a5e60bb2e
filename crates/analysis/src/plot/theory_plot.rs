//! Measured escape times beside the theory: the no-fit prediction (solid) and the fitted
//! c tau(mu) (dashed), one color per (activation, start), on a log axis.

use goldilocks_theory::format::trimmed;
use plotters::prelude::*;

use crate::error::AnalysisError;
use crate::no_fit::NoFitComparison;
use crate::plot::{chart_builder, color, draw_legend, plot_error, PLOT_SIZE};
use crate::theory_fit::TheoryFit;

/// SVG: for every (activation, start), the measured paper_time (filled circles), its no-fit
/// prediction (a solid line) and the fitted c tau(mu) of rank 1 (a dashed line of the same
/// color) against mu; fits of (activation, start) without a no-fit comparison are drawn too.
/// Errors only when drawing fails.
pub fn theory_fit_plot(
    no_fit: &[NoFitComparison],
    fits: &[TheoryFit],
    title: &str,
) -> Result<String, AnalysisError> {
    let err = plot_error("theory beside measurement");
    let values = || {
        let predicted = no_fit.iter().flat_map(|c| {
            c.points.iter().flat_map(|p| [p.measured_paper_time, Some(p.predicted_paper_time)])
        });
        let fitted = fits
            .iter()
            .flat_map(|f| f.points.iter().flat_map(|p| [Some(p.measured), Some(p.predicted)]));
        predicted.chain(fitted).flatten().filter(|v| *v > 0.0)
    };
    let y_lo = values().fold(f64::INFINITY, f64::min).clamp(1e-3, 1e12) / 1.3;
    let y_hi = values().fold(y_lo * 10.0, f64::max) * 1.3;
    let mus = || {
        no_fit
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.mu))
            .chain(fits.iter().flat_map(|f| f.points.iter().map(|p| p.mu)))
    };
    let x_lo = mus().fold(f64::INFINITY, f64::min).min(1.0) - 0.05;
    let x_hi = mus().fold(f64::NEG_INFINITY, f64::max).max(x_lo + 0.1) + 0.05;
    let mut groups: Vec<(&str, &str)> =
        no_fit.iter().map(|c| (c.activation.as_str(), c.start.as_str())).collect();
    for fit in fits {
        if !groups.contains(&(fit.activation.as_str(), fit.start.as_str())) {
            groups.push((fit.activation.as_str(), fit.start.as_str()));
        }
    }
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
            .y_desc("escape time (SGD steps)")
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
                (Some(c), _) => {
                    c.points.iter().filter_map(|p| Some((p.mu, p.measured_paper_time?))).collect()
                }
                (None, Some(f)) => f.points.iter().map(|p| (p.mu, p.measured)).collect(),
                (None, None) => Vec::new(),
            };
            chart
                .draw_series(measured.into_iter().map(|p| Circle::new(p, 4, style.filled())))
                .map_err(&err)?
                .label(format!("{activation}, {start}: measured"))
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, style.filled()));
            if let Some(c) = comparison {
                let line: Vec<(f64, f64)> =
                    c.points.iter().map(|p| (p.mu, p.predicted_paper_time)).collect();
                chart
                    .draw_series(LineSeries::new(line, style.stroke_width(2)))
                    .map_err(&err)?
                    .label(format!("{activation}, {start}: no-fit prediction"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], style.stroke_width(2))
                    });
            }
            if let Some(f) = fit {
                let line: Vec<(f64, f64)> = f.points.iter().map(|p| (p.mu, p.predicted)).collect();
                chart
                    .draw_series(DashedLineSeries::new(line, 6, 4, style.stroke_width(1)))
                    .map_err(&err)?
                    .label(format!(
                        "{activation}, {start}: fitted c tau(mu), c = {}",
                        trimmed(f.scale, 2)
                    ))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], style.stroke_width(1))
                    });
            }
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
        let svg = theory_fit_plot(&[comparison], &[fit], "theory").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("linear, published-start: measured"));
        assert!(svg.contains("linear, published-start: no-fit prediction"));
        assert!(svg.contains("c = 10"));
    }
}
