//! Measured m_V curves beside the ODE and the large-N step map, one color per curve (one
//! input dimension N, say), against the SGD step on a linear axis.

use goldilocks_theory::format::trimmed;
use plotters::prelude::*;

use crate::error::AnalysisError;
use crate::ode_comparison::OdeComparison;
use crate::plot::{chart_builder, color, draw_legend, plot_error, PLOT_SIZE};

/// SVG: for every comparison, the measured seed-averaged m_V (solid), the ODE (dashed) and
/// the step map (dotted), all in the comparison's color. Errors only when drawing fails.
pub fn ode_comparison_plot(
    comparisons: &[OdeComparison],
    title: &str,
) -> Result<String, AnalysisError> {
    let err = plot_error("ODE beside measurement");
    let steps = comparisons.iter().map(|c| c.measured.len()).max().unwrap_or(1).max(2) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut chart = chart_builder(&root, title, 65)
            .build_cartesian_2d(0.0..steps, 0.0..1.05)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc("SGD step")
            .y_desc("overlap m_V")
            .x_label_formatter(&|x| trimmed(*x, 0))
            .y_label_formatter(&|y| trimmed(*y, 2))
            .draw()
            .map_err(&err)?;
        for (i, comparison) in comparisons.iter().enumerate() {
            let style = color(i);
            let points = |curve: &[f64]| -> Vec<(f64, f64)> {
                curve.iter().enumerate().map(|(j, &m)| ((j + 1) as f64, m)).collect()
            };
            chart
                .draw_series(LineSeries::new(points(&comparison.measured), style.stroke_width(2)))
                .map_err(&err)?
                .label(format!("{}: measured ({} seeds)", comparison.label, comparison.seeds))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], style.stroke_width(2))
                });
            chart
                .draw_series(DashedLineSeries::new(
                    points(&comparison.ode),
                    8,
                    4,
                    style.stroke_width(1),
                ))
                .map_err(&err)?
                .label(format!(
                    "{}: ODE from each seed's m0 (mean {})",
                    comparison.label,
                    trimmed(comparison.initial_overlap, 4)
                ))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (8, 0)], style.stroke_width(1))
                        + PathElement::new(vec![(12, 0), (20, 0)], style.stroke_width(1))
                });
            chart
                .draw_series(DashedLineSeries::new(
                    points(&comparison.map),
                    2,
                    3,
                    style.stroke_width(1),
                ))
                .map_err(&err)?
                .label(format!("{}: large-N step map", comparison.label))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (2, 0)], style.stroke_width(1))
                        + PathElement::new(vec![(5, 0), (7, 0)], style.stroke_width(1))
                        + PathElement::new(vec![(10, 0), (12, 0)], style.stroke_width(1))
                });
        }
        draw_legend(&mut chart, 13, "ODE beside measurement")?;
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_curve_with_its_legend() {
        let comparison = OdeComparison {
            label: "N = 250".into(),
            seeds: 8,
            initial_overlap: 0.05,
            measured: vec![0.05, 0.2, 0.6, 0.9],
            ode: vec![0.06, 0.25, 0.65, 0.92],
            map: vec![0.06, 0.24, 0.64, 0.91],
        };
        let svg = ode_comparison_plot(&[comparison], "ODE").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("N = 250: measured (8 seeds)"));
        assert!(
            svg.contains("N = 250: ODE from each seed&apos;s m0 (mean 0.05)")
                || svg.contains("N = 250: ODE from each seed's m0 (mean 0.05)")
        );
        assert!(svg.contains("N = 250: large-N step map"));
    }
}
