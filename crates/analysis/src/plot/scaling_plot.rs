//! Escape step versus input dimension N on log-log axes, one color per target: every escaped
//! seed as a small hollow dot, every censored seed as a gray cross at its budget, the median
//! as a filled marker with a bar over the quartiles, the fitted power law as a solid line and
//! the known law (fitted by its constant) dashed.

use goldilocks_theory::format::trimmed;
use plotters::chart::SeriesLabelPosition;
use plotters::prelude::*;

use crate::error::AnalysisError;
use crate::plot::{chart_builder, color, plot_error, PLOT_SIZE};
use crate::scaling::{GrowthFit, ScalingPoint};

/// SVG of the escape steps of `points` against N with the fits of `fits` drawn through them.
/// Errors when no seed of any point escaped.
pub fn scaling_plot(
    points: &[ScalingPoint],
    fits: &[GrowthFit],
    title: &str,
) -> Result<String, AnalysisError> {
    let err = plot_error("escape step versus N");
    let escaped: Vec<f64> = points
        .iter()
        .flat_map(|p| p.escape_steps.iter().flatten().map(|&s| s as f64))
        .filter(|&s| s > 0.0)
        .collect();
    if escaped.is_empty() {
        return Err(AnalysisError::Plot {
            plot: "escape step versus N",
            reason: "no seed escaped: nothing to draw".into(),
        });
    }
    let mut sizes: Vec<f64> = points.iter().map(|p| p.n as f64).collect();
    let (n_lo, n_hi) = bounds(&sizes);
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    let budgets: Vec<f64> =
        points.iter().filter(|p| p.escaped() < p.seeds()).map(|p| p.max_steps as f64).collect();
    let (t_lo, t_hi) = bounds(&[escaped, budgets].concat());
    let target_index =
        |target: &str| fits.iter().position(|f| f.target == target).unwrap_or(fits.len());

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut chart = chart_builder(&root, title, 75)
            .build_cartesian_2d(
                (n_lo / 1.3..n_hi * 1.3).log_scale().with_key_points(sizes),
                (t_lo / 2.0..t_hi * 2.0).log_scale(),
            )
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc("input dimension N")
            .y_desc("escape step")
            .x_label_formatter(&|x| trimmed(*x, 0))
            .y_label_formatter(&|y| trimmed(*y, 0))
            .draw()
            .map_err(&err)?;
        for point in points {
            let c = color(target_index(&point.target));
            let n = point.n as f64;
            let seeds = point
                .escape_steps
                .iter()
                .flatten()
                .map(|&s| Circle::new((n, s as f64), 2, c.mix(0.5).stroke_width(1)));
            chart.draw_series(seeds).map_err(&err)?;
            let censored = point
                .escape_steps
                .iter()
                .filter(|s| s.is_none())
                .map(|_| Cross::new((n, point.max_steps as f64), 4, censored_style()));
            chart.draw_series(censored).map_err(&err)?;
            if let (Some(lo), Some(hi)) = (point.quantile(0.25), point.quantile(0.75)) {
                let bar = c.stroke_width(2);
                chart
                    .draw_series([(n, lo), (n, hi)].map(|p| {
                        EmptyElement::at(p) + PathElement::new(vec![(-5, 0), (5, 0)], bar)
                    }))
                    .map_err(&err)?;
                chart.draw_series([PathElement::new(vec![(n, lo), (n, hi)], bar)]).map_err(&err)?;
            }
            if let Some(median) = point.median() {
                chart.draw_series([Circle::new((n, median), 5, c.filled())]).map_err(&err)?;
            }
        }
        for (i, fit) in fits.iter().enumerate() {
            let (Some(power), Some(known)) = (fit.power, fit.known_fit()) else {
                continue;
            };
            let c = color(i);
            let (first, last) =
                (fit.fitted_sizes[0] as f64, fit.fitted_sizes[fit.fitted_sizes.len() - 1] as f64);
            let line: Vec<(f64, f64)> = log_points(first, last)
                .map(|n| (n, power.prefactor * n.powf(power.exponent)))
                .collect();
            let style = c.stroke_width(2);
            chart
                .draw_series(LineSeries::new(line, style))
                .map_err(&err)?
                .label(format!(
                    "{}: median, quartiles; fit {} N^{}",
                    fit.target,
                    trimmed(power.prefactor, 3),
                    trimmed(power.exponent, 2)
                ))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + Circle::new((0, 0), 4, c.filled())
                        + PathElement::new(vec![(6, 0), (26, 0)], style)
                });
            let law: Vec<(f64, f64)> = log_points(first, last)
                .map(|n| (n, known.fit.constant * known.law.value(n)))
                .collect();
            let dashed = c.mix(0.7).stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(law, 6, 4, dashed))
                .map_err(&err)?
                .label(format!("{}: known law c {}", fit.target, known.law))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (8, 0)], dashed)
                        + PathElement::new(vec![(12, 0), (20, 0)], dashed)
                });
        }
        if points.iter().any(|p| p.escaped() < p.seeds()) {
            chart
                .draw_series(std::iter::empty::<Cross<(f64, f64), i32>>())
                .map_err(&err)?
                .label("censored seed, at its budget")
                .legend(|(x, y)| Cross::new((x + 10, y), 4, censored_style()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(&err)?;
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

fn censored_style() -> ShapeStyle {
    RGBColor(110, 110, 110).stroke_width(1)
}

/// Smallest and largest of non-empty positive values.
fn bounds(values: &[f64]) -> (f64, f64) {
    values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

/// 40 points evenly spaced in ln N from `first` to `last`.
fn log_points(first: f64, last: f64) -> impl Iterator<Item = f64> {
    let (a, b) = (first.ln(), last.ln());
    (0..40).map(move |i| (a + (b - a) * f64::from(i) / 39.0).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaling::fit_growth;

    fn point(target: &str, k: u32, n: usize, steps: Vec<Option<usize>>) -> ScalingPoint {
        ScalingPoint {
            target: target.into(),
            information_exponent: k,
            n,
            learning_rate: 0.1,
            max_steps: 100_000,
            initial_overlap: Some(0.1),
            escape_steps: steps,
        }
    }

    #[test]
    fn draws_the_fit_and_the_known_law_of_each_target() {
        let points = vec![
            point("he1", 1, 16, vec![Some(20), Some(24), Some(30)]),
            point("he1", 1, 64, vec![Some(80), Some(90), None]),
            point("he3", 3, 16, vec![Some(3000), Some(5000), Some(4000)]),
            point("he3", 3, 32, vec![Some(15000), Some(19000), Some(16000)]),
            point("he2", 2, 16, vec![None, None, Some(100)]),
        ];
        let fits = fit_growth(&points).unwrap();
        let svg = scaling_plot(&points, &fits, "escape step versus N").unwrap();
        assert!(
            svg.contains("he1: median, quartiles; fit") && svg.contains("he1: known law c N"),
            "legend"
        );
        assert!(svg.contains("he3: known law c N^2") && svg.contains("input dimension N"));
        // he2 has no fit: its seed is drawn, but it has no legend entry.
        assert!(!svg.contains("he2:"));
        assert!(svg.matches("<circle").count() >= 11, "one dot per escaped seed");
        assert!(svg.contains("censored seed, at its budget"));
        let censored = vec![point("he3", 3, 16, vec![None, None])];
        assert!(scaling_plot(&censored, &fit_growth(&censored).unwrap(), "t").is_err());
    }
}
