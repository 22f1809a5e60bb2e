//! report.md of a pre-training experiment: the verdict (Goldilocks checkpoint, and whether
//! more pre-training slows fine-tuning), the headline plots and the tables.

use std::fmt::Write;

use goldilocks_theory::format::trimmed;

use crate::finetune::verdict::sources_of;
use crate::finetune::{verdict_section, CheckpointSummary, FinetuneRow, Goldilocks};

/// Everything the report shows.
#[derive(Debug, Clone, Copy)]
pub struct PretrainReportInput<'a> {
    /// Name of the experiment.
    pub experiment: &'a str,
    /// What was run (markdown).
    pub description: &'a str,
    /// The fine-tuning criterion in words, e.g. "test loss <= 0.02".
    pub criterion: &'a str,
    /// Fine-tuning table.
    pub rows: &'a [FinetuneRow],
    /// Checkpoints of every source.
    pub checkpoints: &'a [CheckpointSummary],
    /// Goldilocks checkpoint per (source, method).
    pub goldilocks: &'a [Goldilocks],
    /// Plots: (caption, path relative to the report).
    pub plots: &'a [(String, String)],
    /// Shell commands that reproduce the experiment.
    pub commands: &'a str,
    /// Sources whose pre-training diverged, with the step it was stopped at.
    pub pretraining_diverged: &'a [(String, usize)],
}

/// Renders report.md.
pub fn render_pretrain_report(input: &PretrainReportInput) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n\n{}\n", input.experiment, input.description.trim());
    let _ = writeln!(out, "Fine-tuning time: the first step at which {}; a run that never gets there is censored and counted at its budget (so a mean with censored runs is a lower bound, marked with *). Intervals are 95% t intervals over seeds.\n", input.criterion);
    let _ = writeln!(out, "Reproduce with:\n\n```sh\n{}\n```\n", input.commands.trim());
    let _ = writeln!(out, "## Verdict\n");
    out.push_str(&verdict_section(input.goldilocks));
    let sources = sources_of(input.goldilocks);
    if !input.plots.is_empty() {
        let _ = writeln!(out, "## Plots\n");
        for (caption, path) in input.plots {
            let _ = writeln!(out, "![{caption}]({path})\n");
        }
    }
    let _ = writeln!(out, "## Checkpoints\n");
    let _ = writeln!(
        out,
        "| source | step | overlap <w, w*> | norm \\|w\\| | source test loss | target test loss |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for c in input.checkpoints {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            c.source,
            c.step,
            trimmed(c.overlap, 4),
            trimmed(c.norm, 4),
            trimmed(c.source_test_loss, 4),
            trimmed(c.target_test_loss, 4)
        );
    }
    let _ = writeln!(out, "\n## Fine-tuning steps to the target\n");
    for source in &sources {
        let mut methods: Vec<&str> = Vec::new();
        let mut steps: Vec<usize> = Vec::new();
        for row in input.rows.iter().filter(|r| r.source == *source) {
            if !methods.contains(&row.method.as_str()) {
                methods.push(&row.method);
            }
            if !steps.contains(&row.checkpoint_step) {
                steps.push(row.checkpoint_step);
            }
        }
        steps.sort_unstable();
        let _ = writeln!(out, "Source `{source}`:\n");
        let _ = writeln!(out, "| checkpoint | {} |", methods.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(methods.len()));
        for step in steps {
            let cells: Vec<String> = methods
                .iter()
                .map(|method| {
                    input
                        .rows
                        .iter()
                        .find(|r| {
                            r.source == *source && r.method == *method && r.checkpoint_step == step
                        })
                        .map(|r| {
                            let mark = if r.censored + r.diverged > 0 { "*" } else { "" };
                            format!(
                                "{}{mark} [{}, {}]",
                                trimmed(r.steps.mean, 1),
                                trimmed(r.steps.low(), 1),
                                trimmed(r.steps.high(), 1)
                            )
                        })
                        .unwrap_or_else(|| "-".into())
                })
                .collect();
            let _ = writeln!(out, "| {step} | {} |", cells.join(" | "));
        }
        let _ = writeln!(out);
    }
    out.push_str(&diverged_section(input.rows, input.pretraining_diverged));
    out
}

/// "Diverged runs": the sources whose pre-training diverged and the rows with diverged
/// fine-tuning runs; empty when nothing diverged.
pub fn diverged_section(rows: &[FinetuneRow], pretraining: &[(String, usize)]) -> String {
    let diverged: Vec<&FinetuneRow> = rows.iter().filter(|r| r.diverged > 0).collect();
    if diverged.is_empty() && pretraining.is_empty() {
        return String::new();
    }
    let mut out = String::from("## Diverged runs\n\n");
    for (source, step) in pretraining {
        let _ = writeln!(
            out,
            "- Pre-training on `{source}` diverged at step {step} (its weights gave a non-finite \
             loss, or one above the configured `loss_bound`): it stopped there, and only the \
             checkpoints before that step were fine-tuned."
        );
    }
    if !diverged.is_empty() {
        let total: usize = diverged.iter().map(|r| r.diverged).sum();
        let _ = writeln!(
            out,
            "{}{total} fine-tuning runs diverged: their loss became non-finite, or passed the \
             configured `loss_bound`, before they reached the target, so they were stopped \
             there and the others went on. They count at the budget, like censored runs \
             (a lower bound, marked with *).\n",
            if pretraining.is_empty() { "" } else { "\n" }
        );
        for row in diverged {
            let _ = writeln!(
                out,
                "- `{}`, {}, checkpoint {}: {} of {} runs diverged.",
                row.source, row.method, row.checkpoint_step, row.diverged, row.seeds
            );
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finetune::{slowdown_sentence, MeanInterval, Rise};

    #[test]
    fn the_verdict_names_the_checkpoint_and_the_slowdown() {
        let g = Goldilocks {
            source: "squared".into(),
            method: "lora-r1".into(),
            step: 64,
            steps: MeanInterval { mean: 40.0, half_width: 5.0, n: 4 },
            step_interval: (32, 128),
            share: 0.7,
            last: (1024, 90.0),
            slowdown: Some(Rise {
                from: (64, 40.0),
                to: (1024, 90.0),
                difference: MeanInterval { mean: 50.0, half_width: 10.0, n: 4 },
            }),
            cheapest_total: (32, 80.5),
            seeds: 4,
            reached: 3,
        };
        let row = FinetuneRow {
            source: "squared".into(),
            method: "lora-r1".into(),
            checkpoint_step: 64,
            overlap: 0.9,
            norm: 1.1,
            initial_loss: 0.05,
            seeds: 4,
            censored: 1,
            diverged: 0,
            steps: MeanInterval { mean: 40.0, half_width: 5.0, n: 4 },
            seconds: None,
            max_steps: 500,
        };
        let checkpoint = CheckpointSummary {
            source: "squared".into(),
            step: 64,
            overlap: 0.9,
            norm: 1.1,
            source_test_loss: 0.2,
            target_test_loss: 0.05,
        };
        let report = render_pretrain_report(&PretrainReportInput {
            experiment: "pretrain",
            description: "A test.",
            criterion: "test loss <= 0.02",
            rows: std::slice::from_ref(&row),
            checkpoints: &[checkpoint],
            goldilocks: std::slice::from_ref(&g),
            plots: &[("headline".into(), "plots/headline-squared.svg".into())],
            commands: "cargo xtask experiment --config configs/pretrain.toml",
            pretraining_diverged: &[],
        });
        assert!(report.contains("| squared | lora-r1 | step 64 | 40 [35, 45] | 70% | steps 32 to 128 | yes: steps 64 -> 1024, +50 [40, 60] | step 32 (80.5 steps in all) |"), "{report}");
        assert!(report.contains("Yes: from step 64 to step 1024 of pre-training, fine-tuning slows from 40 to 90 steps"), "{report}");
        assert!(report.contains("| 64 | 40* [35, 45] |"));
        assert!(report.contains("![headline](plots/headline-squared.svg)"));
        assert!(slowdown_sentence(&Goldilocks { slowdown: None, ..g.clone() }).starts_with("No:"));
        assert!(!report.contains("Diverged"), "{report}");
        let unreached =
            verdict_section(&[Goldilocks { reached: 0, last: (1024, 500.0), ..g.clone() }]);
        assert!(
            unreached.contains("| squared | lora-r1 | none: no run reaches the target |"),
            "{unreached}"
        );
        assert!(unreached.contains("within the budget of 500 steps"), "{unreached}");

        let diverged = FinetuneRow { censored: 0, diverged: 2, ..row };
        let section = diverged_section(&[diverged], &[("rotated-0.8".into(), 37)]);
        assert!(section.starts_with("## Diverged runs"), "{section}");
        assert!(section.contains("Pre-training on `rotated-0.8` diverged at step 37"), "{section}");
        assert!(section.contains("- `squared`, lora-r1, checkpoint 64: 2 of 4 runs diverged."));
    }
}
