//! The analysis outputs of a pre-training experiment: finetune.csv, the headline plot per
//! source, fine-tuning loss curves, and report.md.

use std::path::{Path, PathBuf};

use goldilocks_analysis::finetune::{
    render_pretrain_report, write_finetune_csv, PretrainReportInput,
};
use goldilocks_analysis::{
    find_goldilocks, headline_plot, summarize_finetuning, CheckpointSummary, FinetuneRun,
};

use crate::pretrain::PretrainConfig;
use crate::results_folder::{write, write_plot};
use crate::ExperimentError;

/// Writes finetune.csv, plots/headline-<source>.svg and report.md into `dir`; returns the
/// report's path.
pub fn write_pretrain_outputs(
    config: &PretrainConfig,
    dir: &Path,
    runs: &[FinetuneRun],
    checkpoints: &[CheckpointSummary],
    pretraining_diverged: &[(String, usize)],
    command: &str,
) -> Result<PathBuf, ExperimentError> {
    let rows = summarize_finetuning(runs, checkpoints);
    let mut csv = Vec::new();
    write_finetune_csv(&rows, &mut csv)?;
    write(&dir.join("finetune.csv"), &csv)?;
    let mut plots = Vec::new();
    for source in &config.pretraining.sources {
        let name = source.name();
        let mine: Vec<_> = rows.iter().filter(|r| r.source == name).cloned().collect();
        let points: Vec<_> = checkpoints.iter().filter(|c| c.source == name).cloned().collect();
        let title =
            format!("{}: fine-tuning time after pre-training on source {name}", config.name);
        let svg = headline_plot(&mine, &points, &title)?;
        let file = format!("plots/headline-{name}.svg");
        write_plot(&dir.join(&file), &svg)?;
        plots.push((format!("Fine-tuning steps to the target versus pre-training steps, source `{name}` (bars: 95% intervals over seeds; hollow: some seeds censored or diverged; 0 steps, where the checkpoint already meets the target, on the 0 line below the dashed break; step 0 left of the dashed break)"), file));
    }
    let goldilocks = find_goldilocks(runs);
    let criterion = format!(
        "the test loss (on {} fixed test samples) is at or below {}",
        config.model.test_size, config.finetuning.target_loss
    );
    let report = render_pretrain_report(&PretrainReportInput {
        experiment: &config.name,
        description: &config.description,
        criterion: &criterion,
        rows: &rows,
        checkpoints,
        goldilocks: &goldilocks,
        plots: &plots,
        commands: command,
        pretraining_diverged,
    });
    let path = dir.join("report.md");
    write(&path, report.as_bytes())?;
    Ok(path)
}
