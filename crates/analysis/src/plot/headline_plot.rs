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

/// Where step 0 sits on the logarithmic step axis.
const STEP_ZERO: f64 = 0.5;

fn step_x(step: usize) -> f64 {
    if step == 0 {
        STEP_ZERO
    } else {
        step as f64
    }
}

fn step_label(x: f64) -> String {
    if x < 1.0 {
        "0".into()
    } else {
        trimmed(x, 0)
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
    let y_lo =
        rows.iter().map(|r| r.steps.low().max(0.5)).fold(f64::INFINITY, f64::min).min(1e12) / 1.5;
    let y_hi = rows.iter().map(|r| r.steps.high()).fold(y_lo * 10.0, f64::max) * 1.5;
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
            .build_cartesian_2d((x_lo..x_hi).log_scale(), (y_lo..y_hi).log_scale())
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc("pre-training steps")
            .y_desc("fine-tuning steps to the target loss")
            .x_label_formatter(&|x| step_label(*x))
            .y_label_formatter(&|y| trimmed(*y, 0))
            .draw()
            .map_err(&err)?;
        for (i, method) in methods.iter().enumerate() {
            let style = color(i);
            let mine: Vec<&FinetuneRow> = rows.iter().filter(|r| r.method == *method).collect();
            let line: Vec<(f64, f64)> =
                mine.iter().map(|r| (step_x(r.checkpoint_step), r.steps.mean.max(y_lo))).collect();
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
                        vec![(x, r.steps.low().max(y_lo)), (x, r.steps.high().max(y_lo))],
                        style.stroke_width(1),
                    )
                }))
                .map_err(&err)?;
            chart
                .draw_series(mine.iter().map(|r| {
                    let point = (step_x(r.checkpoint_step), r.steps.mean.max(y_lo));
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
            .build_cartesian_2d((x_lo..x_hi).log_scale(), v_lo..v_hi)
            .map_err(&err)?;
        panel
            .configure_mesh()
            .x_desc("pre-training steps")
            .x_label_formatter(&|x| step_label(*x))
            .y_label_formatter(&|y| trimmed(*y, 2))
            .draw()
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
