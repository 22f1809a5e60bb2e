//! Measured escape times beside the fitted theory curve c tau(mu), one color per
//! (activation, start), on a log axis.

use goldilocks_theory::format::trimmed;
use plotters::prelude::*;

use crate::error::AnalysisError;
use crate::plot::{chart_builder, color, draw_legend, plot_error, PLOT_SIZE};
use crate::theory_fit::TheoryFit;

/// SVG: for every fit, the measured paper_time (filled circles) and c tau(mu) (a dashed line of
/// the same color) against mu. Errors only when drawing fails.
pub fn theory_fit_plot(fits: &[TheoryFit], title: &str) -> Result<String, AnalysisError> {
    let err = plot_error("theory beside measurement");
    let values =
        || fits.iter().flat_map(|f| f.points.iter().flat_map(|p| [p.measured, p.predicted]));
    let y_lo = values().fold(f64::INFINITY, f64::min).clamp(1e-3, 1e12) / 1.3;
    let y_hi = values().fold(y_lo * 10.0, f64::max) * 1.3;
    let mus = || fits.iter().flat_map(|f| f.points.iter().map(|p| p.mu));
    let x_lo = mus().fold(f64::INFINITY, f64::min).min(1.0) - 0.05;
    let x_hi = mus().fold(f64::NEG_INFINITY, f64::max).max(x_lo + 0.1) + 0.05;
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
        for (i, fit) in fits.iter().enumerate() {
            let style = color(i);
            let label = format!("{}, {}: measured", fit.activation, fit.start);
            chart
                .draw_series(
                    fit.points.iter().map(|p| Circle::new((p.mu, p.measured), 4, style.filled())),
                )
                .map_err(&err)?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, style.filled()));
            let line: Vec<(f64, f64)> = fit.points.iter().map(|p| (p.mu, p.predicted)).collect();
            chart
                .draw_series(DashedLineSeries::new(line, 6, 4, style.stroke_width(2)))
                .map_err(&err)?
                .label(format!(
                    "{}, {}: c tau(mu), c = {}",
                    fit.activation,
                    fit.start,
                    trimmed(fit.scale, 2)
                ))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], style.stroke_width(2))
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
        let svg = theory_fit_plot(&[fit], "theory").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("linear, published-start: measured"));
        assert!(svg.contains("c = 10"));
    }
}
