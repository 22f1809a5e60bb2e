//! The analysis outputs of the ViT experiment, through the shared fine-tuning analysis: per
//! checkpoint and method, steps and wall time to the target accuracy (censored runs counted
//! at their budget) with 95 % t intervals over seeds; the Goldilocks checkpoint and whether
//! longer pre-training slowed fine-tuning; accuracy curves; `summary.csv`, SVG plots and
//! `report.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use goldilocks_analysis::finetune::{diverged_section, verdict_section};
use goldilocks_analysis::{
    find_goldilocks, series_plot, summarize_finetuning, FinetuneRow, MeanInterval, Series,
    SeriesAxes, SeriesPoint, TaskFinetuneRun,
};

use crate::results_folder::{write, write_plot};
use crate::vit::{SourceMetrics, VitExperimentConfig, SOURCE_TAG};
use crate::{ExperimentError, FinetuneMethod};

/// The fine-tuning table of the ViT runs: one row per (method, checkpoint), methods in the
/// order they were run, checkpoints ascending.
pub fn summarize(records: &[TaskFinetuneRun]) -> Vec<FinetuneRow> {
    summarize_finetuning(records, &[])
}

/// Trainable parameters of each method.
fn trainable_params(records: &[TaskFinetuneRun]) -> BTreeMap<&str, usize> {
    records.iter().map(|r| (r.method.as_str(), r.trainable_params)).collect()
}

/// `summary.csv`: one line per (method, checkpoint); steps and seconds count a censored or
/// diverged run at its budget (`reached` < `runs` then marks a lower bound).
pub fn summary_csv(
    rows: &[FinetuneRow],
    records: &[TaskFinetuneRun],
    source: &BTreeMap<usize, SourceMetrics>,
) -> String {
    let params = trainable_params(records);
    let mut csv = String::from("method,pretrain_step,source_accuracy,runs,reached,diverged,steps_mean,steps_ci95,seconds_mean,seconds_ci95,trainable_params,source_loss,source_train_loss\n");
    let cell = |i: Option<MeanInterval>, digits: usize| {
        i.map_or(",".to_string(), |i| format!("{:.digits$},{:.digits$}", i.mean, i.half_width))
    };
    for r in rows {
        let _ = writeln!(
            csv,
            "{},{},{:.4},{},{},{},{},{},{},{:.4},{:.4}",
            r.method,
            r.checkpoint_step,
            metric(source, r.checkpoint_step, |m| m.accuracy),
            r.seeds,
            r.seeds - r.censored - r.diverged,
            r.diverged,
            cell(Some(r.steps), 1),
            cell(r.seconds, 3),
            params.get(r.method.as_str()).copied().unwrap_or(0),
            metric(source, r.checkpoint_step, |m| m.loss),
            metric(source, r.checkpoint_step, |m| m.train_loss),
        );
    }
    csv
}

/// One source metric at checkpoint `step` (NaN when unknown).
fn metric(
    source: &BTreeMap<usize, SourceMetrics>,
    step: usize,
    pick: impl Fn(&SourceMetrics) -> f64,
) -> f64 {
    source.get(&step).map_or(f64::NAN, pick)
}

/// The source task over pre-training, at the checkpoints: test accuracy, test loss and the
/// training loss, on the same x axis as the fine-tuning plots.
fn source_plot(source: &BTreeMap<usize, SourceMetrics>) -> Result<String, ExperimentError> {
    let line = |label: &str, dashed: bool, pick: fn(&SourceMetrics) -> f64| Series {
        label: label.to_string(),
        dashed,
        points: source
            .iter()
            .map(|(&step, m)| SeriesPoint { x: step as f64, y: pick(m), interval: None })
            .filter(|p| p.y.is_finite())
            .collect(),
    };
    let series = [
        line("source test accuracy", false, |m| m.accuracy),
        line("source test loss", true, |m| m.loss),
        line("training loss (mean since the previous checkpoint)", true, |m| m.train_loss),
    ];
    Ok(series_plot(
        &series,
        &SeriesAxes {
            title: "The source task over pre-training (at the checkpoints)",
            x: "pre-training steps of the checkpoint",
            y: "accuracy; cross-entropy",
        },
    )?)
}

/// Steps (or seconds) to the target versus pre-training steps, one line per method.
fn target_plot(
    rows: &[FinetuneRow],
    methods: &[FinetuneMethod],
    seconds: bool,
) -> Result<String, ExperimentError> {
    let series: Vec<Series> = methods
        .iter()
        .map(|m| Series {
            label: m.name(),
            dashed: *m == FinetuneMethod::Full,
            points: rows
                .iter()
                .filter(|r| r.method == m.name())
                .filter_map(|r| if seconds { r.seconds } else { Some(r.steps) }.map(|i| (r, i)))
                .map(|(r, i)| SeriesPoint {
                    x: r.checkpoint_step as f64,
                    y: i.mean,
                    interval: Some((i.low(), i.high())),
                })
                .collect(),
        })
        .collect();
    let (title, y) = if seconds {
        ("Training wall time to the target accuracy (mean, 95% CI over seeds)", "seconds to target")
    } else {
        ("Fine-tuning steps to the target accuracy (mean, 95% CI over seeds)", "steps to target")
    };
    Ok(series_plot(&series, &SeriesAxes { title, x: "pre-training steps of the checkpoint", y })?)
}

/// Target test accuracy over fine-tuning steps for one method, one line per checkpoint
/// (mean over the seeds still running at that step).
fn accuracy_plot(
    records: &[TaskFinetuneRun],
    method: &str,
    checkpoints: &[usize],
) -> Result<String, ExperimentError> {
    let series: Vec<Series> = checkpoints
        .iter()
        .map(|&step| {
            let runs: Vec<&TaskFinetuneRun> =
                records.iter().filter(|r| r.method == method && r.pretrain_step == step).collect();
            let mut by_step: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
            for run in &runs {
                for (s, a) in run.eval_steps.iter().zip(&run.metric) {
                    by_step.entry(*s).or_default().push(*a);
                }
            }
            let points = by_step
                .into_iter()
                .map(|(s, a)| SeriesPoint {
                    x: s as f64,
                    y: a.iter().sum::<f64>() / a.len() as f64,
                    interval: None,
                })
                .collect();
            Series { label: format!("pre-trained {step} steps"), points, dashed: false }
        })
        .collect();
    let title = format!("{method}: target test accuracy while fine-tuning");
    Ok(series_plot(
        &series,
        &SeriesAxes { title: &title, x: "fine-tuning step", y: "target test accuracy" },
    )?)
}

/// What the report states besides the table.
#[derive(Debug, Clone)]
pub struct ReportContext<'a> {
    /// The command that made the results.
    pub command: &'a str,
    /// Pre-training wall seconds in this invocation (0 when reused).
    pub pretrain_seconds: f64,
    /// Fine-tuning runs computed now and reused.
    pub computed_runs: usize,
    /// Fine-tuning runs reused from storage.
    pub reused_runs: usize,
    /// The checkpoints fine-tuned from: the scheduled ones, or those before a divergence.
    pub checkpoints: &'a [usize],
    /// The step at which pre-training diverged, if it did.
    pub pretraining_diverged: Option<usize>,
}

/// Writes `summary.csv`, the plots and `report.md` into `dir`; returns the report's path.
pub fn write_report(
    config: &VitExperimentConfig,
    dir: &Path,
    records: &[TaskFinetuneRun],
    source: &BTreeMap<usize, SourceMetrics>,
    context: &ReportContext<'_>,
) -> Result<PathBuf, ExperimentError> {
    let methods = config.finetune.methods();
    let checkpoints = context.checkpoints;
    let rows = summarize(records);
    write(&dir.join("summary.csv"), summary_csv(&rows, records, source).as_bytes())?;
    // Pre-training that diverged before its first checkpoint leaves nothing to plot.
    let plotted = !rows.is_empty();
    if plotted {
        write_plot(&dir.join("steps_to_target.svg"), &target_plot(&rows, &methods, false)?)?;
        write_plot(&dir.join("source_curve.svg"), &source_plot(source)?)?;
        write_plot(&dir.join("seconds_to_target.svg"), &target_plot(&rows, &methods, true)?)?;
        for m in &methods {
            write_plot(
                &dir.join(format!("accuracy_{}.svg", m.name())),
                &accuracy_plot(records, &m.name(), checkpoints)?,
            )?;
        }
    }
    let f = &config.finetune;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n\n{}\n", config.name, config.description);
    let _ = writeln!(md, "Command: `{}`\n", context.command);
    let _ = writeln!(
        md,
        "Source task: classes {:?}; target task: classes {:?}. Target: test accuracy ≥ {} on {} target test images, \
         evaluated every {} steps, budget {} steps. Seeds: {:?}. LoRA ranks {:?} (alpha {}, on every attention and MLP linear, \
         everything else frozen, fresh head trained), full fine-tuning {} (fresh head too).\n",
        config.source.classes,
        config.target.classes,
        f.target_accuracy,
        config.target.test_images,
        f.eval_every,
        f.max_steps,
        f.seeds,
        f.ranks,
        f.lora_alpha,
        if f.full { "as the baseline" } else { "off" }
    );
    let _ = writeln!(
        md,
        "Fine-tuning time: the first evaluated step at which the target test accuracy is reached; a run that never gets there is censored and counted at its budget (steps and seconds), so a mean with censored runs is a lower bound, marked with *. Intervals are 95% t intervals over seeds.\n"
    );
    let _ = writeln!(
        md,
        "Pre-training wall time in this invocation: {:.1} s; fine-tuning runs computed now: {}, reused: {}.\n",
        context.pretrain_seconds, context.computed_runs, context.reused_runs
    );
    md.push_str("## Does longer pre-training slow fine-tuning here?\n\n");
    md.push_str(&verdict_section(&find_goldilocks(records)));
    md.push_str("## Steps and wall time to the target (mean ± 95 % t half-width over seeds)\n\n");
    md.push_str("| method | pre-training steps | source acc. | source loss | reached | steps to target | seconds to target | trainable params |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    let params = trainable_params(records);
    for r in &rows {
        let mark = if r.censored + r.diverged > 0 { "*" } else { "" };
        let seconds = r
            .seconds
            .map_or("–".to_string(), |i| format!("{:.2}{mark} ± {:.2}", i.mean, i.half_width));
        let _ = writeln!(
            md,
            "| {} | {} | {:.3} | {:.3} | {}/{} | {:.0}{mark} ± {:.0} | {} | {} |",
            r.method,
            r.checkpoint_step,
            metric(source, r.checkpoint_step, |m| m.accuracy),
            metric(source, r.checkpoint_step, |m| m.loss),
            r.seeds - r.censored - r.diverged,
            r.seeds,
            r.steps.mean,
            r.steps.half_width,
            seconds,
            params.get(r.method.as_str()).copied().unwrap_or(0)
        );
    }
    if plotted {
        md.push_str("\n## Plots\n\n");
        md.push_str("![steps to target](steps_to_target.svg) ![source task](source_curve.svg)\n\n![seconds to target](seconds_to_target.svg)\n\n");
        for m in &methods {
            let _ = writeln!(md, "![{0}](accuracy_{0}.svg)\n", m.name());
        }
        md.push_str(
            "Points with a censored seed (target not reached within the budget) are lower bounds; \
             the table marks them with * and shows reached < runs. Accuracy curves average the seeds \
             still running at each step (runs stop at the target).\n",
        );
    }
    let pretraining_diverged: Vec<(String, usize)> = context
        .pretraining_diverged
        .map(|step| (SOURCE_TAG.to_string(), step))
        .into_iter()
        .collect();
    let diverged = diverged_section(&rows, &pretraining_diverged);
    if !diverged.is_empty() {
        md.push('\n');
        md.push_str(&diverged);
    }
    let path = dir.join("report.md");
    write(&path, md.as_bytes())?;
    Ok(path)
}
