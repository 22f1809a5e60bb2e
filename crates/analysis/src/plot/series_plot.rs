//! A generic line chart: named series of (x, y) points, each point with an optional
//! interval drawn as an error bar; for curves such as accuracy over steps or steps to a
//! target versus pre-training steps.

use goldilocks_theory::format::trimmed;
use plotters::prelude::*;

use crate::error::AnalysisError;
use crate::plot::{chart_builder, color, draw_legend, plot_error, PLOT_SIZE};

/// One point of a [`Series`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    /// Abscissa.
    pub x: f64,
    /// Ordinate.
    pub y: f64,
    /// Optional interval `(low, high)` around `y`, drawn as an error bar.
    pub interval: Option<(f64, f64)>,
}

/// A named line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points, in drawing order.
    pub points: Vec<SeriesPoint>,
    /// Whether the line is dashed.
    pub dashed: bool,
}

/// Axis titles and the chart title of a [`series_plot`].
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesAxes<'a> {
    /// Chart title.
    pub title: &'a str,
    /// x axis title.
    pub x: &'a str,
    /// y axis title.
    pub y: &'a str,
}

/// SVG of `series` on linear axes that fit every point and interval, with a legend. Errors
/// when there is no finite point.
pub fn series_plot(series: &[Series], axes: &SeriesAxes<'_>) -> Result<String, AnalysisError> {
    let err = plot_error("series");
    let finite = |v: &f64| v.is_finite();
    let xs: Vec<f64> =
        series.iter().flat_map(|s| s.points.iter().map(|p| p.x)).filter(finite).collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| {
            s.points
                .iter()
                .flat_map(|p| [Some(p.y), p.interval.map(|i| i.0), p.interval.map(|i| i.1)])
        })
        .flatten()
        .filter(finite)
        .collect();
    if xs.is_empty() || ys.is_empty() {
        return Err(AnalysisError::Plot {
            plot: "series",
            reason: "no finite point to draw".into(),
        });
    }
    let range = |v: &[f64], pad: f64| {
        let (lo, hi) =
            v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        let span = (hi - lo).max(1e-9);
        (lo - pad * span, hi + pad * span)
    };
    let (x_lo, x_hi) = range(&xs, 0.03);
    let (y_lo, y_hi) = range(&ys, 0.08);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut chart = chart_builder(&root, axes.title, 65)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc(axes.x)
            .y_desc(axes.y)
            .x_label_formatter(&|x| trimmed(*x, 0))
            .y_label_formatter(&|y| trimmed(*y, 3))
            .draw()
            .map_err(&err)?;
        for (i, line) in series.iter().enumerate() {
            let style = color(i).stroke_width(2);
            let points: Vec<(f64, f64)> = line
                .points
                .iter()
                .filter(|p| p.x.is_finite() && p.y.is_finite())
                .map(|p| (p.x, p.y))
                .collect();
            let drawn = if line.dashed {
                chart
                    .draw_series(DashedLineSeries::new(points.clone(), 8, 5, style))
                    .map_err(&err)?
            } else {
                chart.draw_series(LineSeries::new(points.clone(), style)).map_err(&err)?
            };
            drawn
                .label(line.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color(i).filled())))
                .map_err(&err)?;
            let bars = line.points.iter().filter_map(|p| {
                p.interval
                    .filter(|(lo, hi)| lo.is_finite() && hi.is_finite())
                    .map(|(lo, hi)| (p.x, p.y, lo, hi))
            });
            let cap = (x_hi - x_lo) * 0.006;
            let bar_style = color(i).stroke_width(1);
            chart
                .draw_series(bars.flat_map(|(x, _, lo, hi)| {
                    [
                        PathElement::new(vec![(x, lo), (x, hi)], bar_style),
                        PathElement::new(vec![(x - cap, lo), (x + cap, lo)], bar_style),
                        PathElement::new(vec![(x - cap, hi), (x + cap, hi)], bar_style),
                    ]
                }))
                .map_err(&err)?;
        }
        draw_legend(&mut chart, 15, "series")?;
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_lines_labels_and_error_bars() {
        let point = |x: f64, y: f64| SeriesPoint { x, y, interval: Some((y - 1.0, y + 1.0)) };
        let series = vec![
            Series {
                label: "rank 4".into(),
                points: vec![point(0.0, 10.0), point(100.0, 20.0)],
                dashed: false,
            },
            Series {
                label: "full".into(),
                points: vec![point(0.0, 5.0), point(100.0, f64::NAN)],
                dashed: true,
            },
        ];
        let svg = series_plot(
            &series,
            &SeriesAxes { title: "steps to target", x: "pre-training steps", y: "steps" },
        )
        .unwrap();
        assert!(
            svg.contains("rank 4") && svg.contains("full") && svg.contains("pre-training steps")
        );
        let empty = [Series { label: "none".into(), points: vec![], dashed: false }];
        assert!(series_plot(&empty, &SeriesAxes { title: "t", x: "x", y: "y" }).is_err());
    }
}
