//! The analysis of the ViT experiment: per checkpoint and method, steps and wall time to the
//! target accuracy with 95 % t intervals over seeds; accuracy curves; `summary.csv`, SVG
//! plots and `report.md` with a plain statement of whether longer pre-training slowed
//! fine-tuning, as measured.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use goldilocks_analysis::{
    mean_interval, series_plot, MeanInterval, Series, SeriesAxes, SeriesPoint,
};

use crate::results_folder::write;
use crate::vit::record::FinetuneRecord;
use crate::vit::VitExperimentConfig;
use crate::{ExperimentError, FinetuneMethod};

/// One (checkpoint, method) cell of the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct VitSummaryRow {
    /// Pre-training steps of the checkpoint.
    pub pretrain_step: usize,
    /// `lora-r<rank>` or `full`.
    pub method: String,
    /// Source test accuracy of the checkpoint.
    pub source_accuracy: f64,
    /// Runs (seeds).
    pub runs: usize,
    /// Runs that reached the target accuracy.
    pub reached: usize,
    /// Steps to the target over the runs that reached it.
    pub steps: Option<MeanInterval>,
    /// Training seconds to the target over the runs that reached it.
    pub seconds: Option<MeanInterval>,
    /// Trainable parameters.
    pub trainable_params: usize,
}

impl VitSummaryRow {
    /// Whether every run reached the target.
    pub fn all_reached(&self) -> bool {
        self.reached == self.runs && self.runs > 0
    }
}

/// The summary rows, by method (config order) then checkpoint step.
pub fn summarize(
    config: &VitExperimentConfig,
    records: &[FinetuneRecord],
    source_accuracy: &BTreeMap<usize, f64>,
) -> Vec<VitSummaryRow> {
    let mut rows = Vec::new();
    for method in config.finetune.methods() {
        for step in config.checkpoint_steps() {
            let runs: Vec<&FinetuneRecord> = records
                .iter()
                .filter(|r| r.pretrain_step == step && r.method == method.name())
                .collect();
            let steps: Vec<f64> =
                runs.iter().filter_map(|r| r.steps_to_target.map(|s| s as f64)).collect();
            let seconds: Vec<f64> = runs.iter().filter_map(|r| r.seconds_to_target).collect();
            rows.push(VitSummaryRow {
                pretrain_step: step,
                method: method.name(),
                source_accuracy: source_accuracy.get(&step).copied().unwrap_or(f64::NAN),
                runs: runs.len(),
                reached: steps.len(),
                steps: mean_interval(&steps),
                seconds: mean_interval(&seconds),
                trainable_params: runs.first().map_or(0, |r| r.trainable_params),
            });
        }
    }
    rows
}

/// The verdict for one method: does the longest pre-training fine-tune slower than the best
/// checkpoint?
pub fn verdict(rows: &[VitSummaryRow], method: &str, max_steps: usize) -> String {
    let mine: Vec<&VitSummaryRow> = rows.iter().filter(|r| r.method == method).collect();
    let Some(longest) = mine.iter().max_by_key(|r| r.pretrain_step) else {
        return format!("{method}: no runs.");
    };
    let best = mine.iter().filter(|r| r.all_reached()).min_by(|a, b| mean(a).total_cmp(&mean(b)));
    let Some(best) = best else {
        return format!("{method}: no checkpoint reached the target in every seed within {max_steps} steps; no verdict.");
    };
    let describe = |r: &VitSummaryRow| match r.steps {
        Some(s) if r.all_reached() => format!("{:.0} ± {:.0} steps", s.mean, s.half_width),
        _ => format!("{}/{} seeds reached the target within {max_steps} steps", r.reached, r.runs),
    };
    let head = format!(
        "{method}: fastest from the checkpoint at step {} ({}); from the longest pre-training (step {}): {}",
        best.pretrain_step,
        describe(best),
        longest.pretrain_step,
        describe(longest)
    );
    if longest.pretrain_step == best.pretrain_step {
        return format!("{head}. The longest pre-training is the fastest start: no slow-down.");
    }
    if !longest.all_reached() {
        return format!(
            "{head}. Longer pre-training slowed fine-tuning (not every seed reached the target)."
        );
    }
    let (l, b) = (longest.steps.expect("all reached"), best.steps.expect("all reached"));
    if l.low() > b.high() {
        format!(
            "{head}. Longer pre-training slowed fine-tuning: the 95 % intervals do not overlap."
        )
    } else {
        format!("{head}. The difference is within the 95 % intervals: no clear slow-down.")
    }
}

fn mean(row: &VitSummaryRow) -> f64 {
    row.steps.map_or(f64::INFINITY, |s| s.mean)
}

/// `summary.csv`: one line per (method, checkpoint).
pub fn summary_csv(rows: &[VitSummaryRow]) -> String {
    let mut csv = String::from("method,pretrain_step,source_accuracy,runs,reached,steps_mean,steps_ci95,seconds_mean,seconds_ci95,trainable_params\n");
    let cell = |i: Option<MeanInterval>, digits: usize| {
        i.map_or(",".to_string(), |i| format!("{:.digits$},{:.digits$}", i.mean, i.half_width))
    };
    for r in rows {
        let _ = writeln!(
            csv,
            "{},{},{:.4},{},{},{},{},{}",
            r.method,
            r.pretrain_step,
            r.source_accuracy,
            r.runs,
            r.reached,
            cell(r.steps, 1),
            cell(r.seconds, 3),
            r.trainable_params
        );
    }
    csv
}

/// Steps (or seconds) to the target versus pre-training steps, one line per method.
fn target_plot(
    rows: &[VitSummaryRow],
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
                .filter(|r| r.method == m.name() && r.all_reached())
                .filter_map(|r| {
                    if seconds { r.seconds } else { r.steps }.map(|i| (r.pretrain_step, i))
                })
                .map(|(x, i)| SeriesPoint {
                    x: x as f64,
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
    records: &[FinetuneRecord],
    method: &str,
    checkpoints: &[usize],
) -> Result<String, ExperimentError> {
    let series: Vec<Series> = checkpoints
        .iter()
        .map(|&step| {
            let runs: Vec<&FinetuneRecord> =
                records.iter().filter(|r| r.method == method && r.pretrain_step == step).collect();
            let mut by_step: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
            for run in &runs {
                for (s, a) in run.eval_steps.iter().zip(&run.accuracy) {
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
}

/// Writes `summary.csv`, the plots and `report.md` into `dir`; returns the report's path.
pub fn write_report(
    config: &VitExperimentConfig,
    dir: &Path,
    rows: &[VitSummaryRow],
    records: &[FinetuneRecord],
    context: &ReportContext<'_>,
) -> Result<PathBuf, ExperimentError> {
    let methods = config.finetune.methods();
    let checkpoints = config.checkpoint_steps();
    write(&dir.join("summary.csv"), summary_csv(rows).as_bytes())?;
    // With no (checkpoint, method) where every seed reached the target there is nothing to
    // draw; the report says so instead.
    let any_reached = rows.iter().any(VitSummaryRow::all_reached);
    if any_reached {
        write(&dir.join("steps_to_target.svg"), target_plot(rows, &methods, false)?.as_bytes())?;
        write(&dir.join("seconds_to_target.svg"), target_plot(rows, &methods, true)?.as_bytes())?;
    }
    for m in &methods {
        write(
            &dir.join(format!("accuracy_{}.svg", m.name())),
            accuracy_plot(records, &m.name(), &checkpoints)?.as_bytes(),
        )?;
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
        "Pre-training wall time in this invocation: {:.1} s; fine-tuning runs computed now: {}, reused: {}.\n",
        context.pretrain_seconds, context.computed_runs, context.reused_runs
    );
    md.push_str("## Does longer pre-training slow fine-tuning here?\n\n");
    for m in &methods {
        let _ = writeln!(md, "- {}", verdict(rows, &m.name(), f.max_steps));
    }
    md.push_str("\n## Steps and wall time to the target (mean ± 95 % t half-width over the seeds that reached it)\n\n");
    md.push_str("| method | pre-training steps | source acc. | reached | steps to target | seconds to target | trainable params |\n|---|---:|---:|---:|---:|---:|---:|\n");
    let cell = |i: Option<MeanInterval>, d: usize| {
        i.map_or("–".to_string(), |i| format!("{:.d$} ± {:.d$}", i.mean, i.half_width))
    };
    for r in rows {
        let _ = writeln!(
            md,
            "| {} | {} | {:.3} | {}/{} | {} | {} | {} |",
            r.method,
            r.pretrain_step,
            r.source_accuracy,
            r.reached,
            r.runs,
            cell(r.steps, 0),
            cell(r.seconds, 2),
            r.trainable_params
        );
    }
    md.push_str("\n## Plots\n\n");
    if any_reached {
        md.push_str("![steps to target](steps_to_target.svg)\n\n![seconds to target](seconds_to_target.svg)\n\n");
    } else {
        md.push_str("No checkpoint and method reached the target in every seed: no steps-to-target plot.\n\n");
    }
    for m in &methods {
        let _ = writeln!(md, "![{0}](accuracy_{0}.svg)\n", m.name());
    }
    md.push_str(
        "Points with a censored seed (target not reached within the budget) are left out of the \
         plots; the table shows them as reached < runs. Accuracy curves average the seeds still \
         running at each step (runs stop at the target).\n",
    );
    let path = dir.join("report.md");
    write(&path, md.as_bytes())?;
    Ok(path)
}
