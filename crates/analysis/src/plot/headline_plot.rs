//! The headline plot of a pre-training experiment: fine-tuning steps to the target loss
//! versus pre-training steps, one line per method (LoRA ranks, full fine-tuning) with 95%
//! intervals over seeds; below it, each checkpoint's overlap with the target teacher and norm.

use goldilocks_theory::format::trimmed;
use plotters::prelude::*;

use crate::error::AnalysisError;
use crate::finetune::{CheckpointSummary, FinetuneRow};
use crate::plot::{chart_builder, color, draw_legend, plot_error};

/// Size of the two-panel plot, in pixels.
const SIZE: (u32, u32) = (900, 820);

/// Where step 0 sits on the logarithmic step axis: left of a dashed break, labelled "0".
const STEP_ZERO: f64 = 0.5;

fn step_x(step: usize) -> f64 {
    if step == 0 {
        STEP_ZERO
    } else {
        step as f64
    }
}

/// The values 1, 2, 5, 10, 20, 50, ... that lie in `lo..=hi`: ticks with labels across a
/// logarithmic axis of any range.
fn one_two_five(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    let mut decade = 10f64.powi(lo.max(1e-300).log10().floor() as i32);
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let tick = m * decade;
            if (lo..=hi).contains(&tick) {
                ticks.push(tick);
            }
        }
        decade *= 10.0;
    }
    ticks
}

/// The fine-tuning-steps axis: logarithmic over the positive values, and, when some value is
/// 0 (a checkpoint that already meets the target), a band below a dashed break where 0 is
/// drawn and labelled.
struct StepsAxis {
    /// The smallest positive value drawn.
    positive_lo: f64,
    /// Where 0 is drawn (None: no value is 0).
    zero: Option<f64>,
    /// The axis range.
    range: (f64, f64),
}

impl StepsAxis {
    fn new(rows: &[FinetuneRow]) -> Self {
        let values = || rows.iter().flat_map(|r| [r.steps.low(), r.steps.mean, r.steps.high()]);
        let positive_lo = values().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min).min(1e12);
        let positive_lo = if positive_lo.is_finite() { positive_lo } else { 1.0 };
        let hi = values().fold(positive_lo * 10.0, f64::max) * 1.5;
        let zero = values().any(|v| v <= 0.0).then_some(positive_lo / 6.0);
        let range = (zero.unwrap_or(positive_lo) / 1.5, hi);
        Self { positive_lo, zero, range }
    }

    /// Where `value` is drawn.
    fn y(&self, value: f64) -> f64 {
        match self.zero {
            Some(zero) if value <= 0.0 => zero,
            _ => value.max(self.positive_lo),
        }
    }

    fn ticks(&self) -> Vec<f64> {
        let mut ticks: Vec<f64> = self.zero.into_iter().collect();
        ticks.extend(one_two_five(self.positive_lo / 1.5, self.range.1));
        ticks
    }

    fn label(&self, y: f64) -> String {
        if self.zero.is_some_and(|zero| (y / zero - 1.0).abs() < 1e-9) {
            "0".into()
        } else {
            trimmed(y, 0)
        }
    }
}

/// SVG of the headline plot for the rows and checkpoints of one source. Censored means
/// (some seed never reached the target) are drawn as hollow markers. Errors only when
/// drawing fails.
pub fn headline_plot(
    rows: &[FinetuneRow],
    checkpoints: &[CheckpointSummary],
    title: &str,
) -> Result<String, AnalysisError> {
    let err = plot_error("headline");
    let steps = || rows.iter().map(|r| r.checkpoint_step).chain(checkpoints.iter().map(|c| c.step));
    let x_lo = STEP_ZERO / 1.5;
    let x_hi = steps().map(step_x).fold(2.0, f64::max) * 1.5;
    let mut x_ticks = vec![STEP_ZERO];
    x_ticks.extend(one_two_five(1.0, x_hi));
    let x_break = (STEP_ZERO * 1.0f64).sqrt();
    let x_label = |x: &f64| if *x < 1.0 { "0".to_string() } else { trimmed(*x, 0) };
    let axis = StepsAxis::new(rows);
    let (y_lo, y_hi) = axis.range;
    let mut methods: Vec<&str> = Vec::new();
    for row in rows {
        if !methods.contains(&row.method.as_str()) {
            methods.push(&row.method);
        }
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let (upper, lower) = root.split_vertically(540);
        let mut chart = chart_builder(&upper, title, 70)
            .build_cartesian_2d(
                (x_lo..x_hi).log_scale().with_key_points(x_ticks.clone()),
                (y_lo..y_hi).log_scale().with_key_points(axis.ticks()),
            )
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc("pre-training steps")
            .y_desc("fine-tuning steps to the target loss")
            .x_label_formatter(&x_label)
            .y_label_formatter(&|y| axis.label(*y))
            .draw()
            .map_err(&err)?;
        let dashed = BLACK.mix(0.5).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new([(x_break, y_lo), (x_break, y_hi)], 4, 4, dashed))
            .map_err(&err)?;
        if let Some(zero) = axis.zero {
            let y_break = (zero * axis.positive_lo).sqrt();
            chart
                .draw_series(DashedLineSeries::new(
                    [(x_lo, y_break), (x_hi, y_break)],
                    4,
                    4,
                    dashed,
                ))
                .map_err(&err)?;
        }
        for (i, method) in methods.iter().enumerate() {
            let style = color(i);
            let mine: Vec<&FinetuneRow> = rows.iter().filter(|r| r.method == *method).collect();
            let line: Vec<(f64, f64)> =
                mine.iter().map(|r| (step_x(r.checkpoint_step), axis.y(r.steps.mean))).collect();
            chart
                .draw_series(LineSeries::new(line, style.stroke_width(2)))
                .map_err(&err)?
                .label(method.to_string())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], style.stroke_width(2))
                });
            chart
                .draw_series(mine.iter().map(|r| {
                    let x = step_x(r.checkpoint_step);
                    PathElement::new(
                        vec![(x, axis.y(r.steps.low())), (x, axis.y(r.steps.high()))],
                        style.stroke_width(1),
                    )
                }))
                .map_err(&err)?;
            chart
                .draw_series(mine.iter().map(|r| {
                    let point = (step_x(r.checkpoint_step), axis.y(r.steps.mean));
                    let fill = if r.censored + r.diverged > 0 {
                        style.stroke_width(2)
                    } else {
                        style.filled()
                    };
                    Circle::new(point, 4, fill)
                }))
                .map_err(&err)?;
        }
        draw_legend(&mut chart, 14, "headline")?;

        let values = || checkpoints.iter().flat_map(|c| [c.overlap, c.norm]);
        let v_lo = values().fold(0.0, f64::min) - 0.05;
        let v_hi = values().fold(1.0, f64::max) + 0.05;
        let mut panel = chart_builder(&lower, "checkpoints: overlap <w, w*> and norm |w|", 70)
            .build_cartesian_2d((x_lo..x_hi).log_scale().with_key_points(x_ticks), v_lo..v_hi)
            .map_err(&err)?;
        panel
            .configure_mesh()
            .x_desc("pre-training steps")
            .x_label_formatter(&x_label)
            .y_label_formatter(&|y| trimmed(*y, 2))
            .draw()
            .map_err(&err)?;
        panel
            .draw_series(DashedLineSeries::new([(x_break, v_lo), (x_break, v_hi)], 4, 4, dashed))
            .map_err(&err)?;
        type Measure = (&'static str, fn(&CheckpointSummary) -> f64);
        let measures: [Measure; 2] = [("overlap <w, w*>", |c| c.overlap), ("norm |w|", |c| c.norm)];
        for (i, (name, value)) in measures.into_iter().enumerate() {
            let style = color(methods.len() + i);
            let series: Vec<(f64, f64)> =
                checkpoints.iter().map(|c| (step_x(c.step), value(c))).collect();
            panel
                .draw_series(LineSeries::new(series.clone(), style.stroke_width(2)))
                .map_err(&err)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], style.stroke_width(2))
                });
            panel
                .draw_series(series.into_iter().map(|p| Circle::new(p, 3, style.filled())))
                .map_err(&err)?;
        }
        draw_legend(&mut panel, 13, "headline")?;
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finetune::MeanInterval;

    fn row(method: &str, step: usize, mean: f64, censored: usize) -> FinetuneRow {
        FinetuneRow {
            source: "same".into(),
            method: method.into(),
            checkpoint_step: step,
            overlap: 0.1,
            norm: 0.2,
            initial_loss: 0.3,
            seeds: 3,
            censored,
            diverged: 0,
            steps: MeanInterval { mean, half_width: mean * 0.2, n: 4 },
            seconds: None,
            max_steps: 1000,
        }
    }

    #[test]
    fn ticks_run_one_two_five_across_the_range() {
        assert_eq!(one_two_five(3.0, 600.0), [5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]);
        assert_eq!(one_two_five(1.0, 1.0), [1.0]);
    }

    #[test]
    fn zero_steps_get_a_band_of_their_own_below_the_logarithmic_part() {
        let rows = vec![row("full", 0, 100.0, 0), row("full", 64, 0.0, 0)];
        let axis = StepsAxis::new(&rows);
        let zero = axis.zero.expect("a 0 is drawn");
        assert_eq!(axis.positive_lo, 80.0, "the lowest positive end of an interval");
        assert!(zero < axis.positive_lo && axis.range.0 < zero);
        assert_eq!((axis.y(0.0), axis.y(100.0)), (zero, 100.0));
        assert_eq!(axis.ticks()[0], zero);
        assert_eq!((axis.label(zero), axis.label(100.0)), ("0".to_string(), "100".to_string()));
        let positive = StepsAxis::new(&rows[..1]);
        assert_eq!(positive.zero, None);
        assert!(positive.ticks().iter().all(|&t| t >= positive.range.0));
    }

    #[test]
    fn draws_every_method_and_both_checkpoint_curves() {
        let rows = vec![
            row("lora-r1", 0, 100.0, 0),
            row("lora-r1", 8, 40.0, 0),
            row("full", 0, 20.0, 0),
            row("full", 8, 1000.0, 1),
        ];
        let checkpoints = vec![
            CheckpointSummary {
                source: "same".into(),
                step: 0,
                overlap: 0.0,
                norm: 0.1,
                source_test_loss: 0.5,
                target_test_loss: 0.5,
            },
            CheckpointSummary {
                source: "same".into(),
                step: 8,
                overlap: 0.7,
                norm: 0.8,
                source_test_loss: 0.1,
                target_test_loss: 0.1,
            },
        ];
        let svg = headline_plot(&rows, &checkpoints, "source: same").unwrap();
        assert!(svg.starts_with("<svg"));
        for label in ["lora-r1", "full", "overlap &lt;w, w*&gt;", "norm |w|", "source: same"] {
            assert!(svg.contains(label), "missing {label}");
        }
    }
}
