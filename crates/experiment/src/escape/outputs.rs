//! The analysis outputs of an experiment: summary.csv, SVG plots (with the theory fitted
//! beside the measurements and the large-N ODE over the m_V curves) and report.md.

use std::path::{Path, PathBuf};

use goldilocks_analysis::{
    compare_no_fit, escape_time_plot, fastest_strengths, fit_theory, overlap_curves_with_ode_plot,
    render_report, summarize, theory_fit_plot, write_summary_csv, PublishedNumbers, ReportInput,
    RunTrajectory, SpeedStatistic, SummaryParams, SummaryRow,
};

use crate::escape::ode_curves::ode_section;
use crate::escape::theory_curves::{no_fit_predictions, theory_curves};
use crate::escape::EscapeConfig;
use crate::interrupt::check_interrupt;
use crate::results_folder::{write, write_plot};
use crate::ExperimentError;
use goldilocks_analysis::RunRecord;

/// Bootstrap resamples behind the interval of the fastest strength.
const FASTEST_RESAMPLES: usize = 1000;

/// How summaries are computed for `config`.
pub fn summary_params(config: &EscapeConfig) -> SummaryParams {
    SummaryParams {
        threshold: config.record.threshold,
        half_width: config.record.band,
        subset_size: config.record.subset_size,
        ..SummaryParams::paper()
    }
}

/// Writes summary.csv, plots/*.svg and report.md into `dir`; returns the rows and the report path.
pub fn write_outputs(
    config: &EscapeConfig,
    dir: &Path,
    records: &[RunRecord],
    command: &str,
) -> Result<(Vec<SummaryRow>, PathBuf), ExperimentError> {
    let trajectories: Vec<RunTrajectory> = records.iter().map(RunRecord::trajectory).collect();
    let params = summary_params(config);
    let rows = summarize(&trajectories, &params)?;
    let mut csv = Vec::new();
    write_summary_csv(&rows, &mut csv)?;
    write(&dir.join("summary.csv"), &csv)?;

    let published = PublishedNumbers::load();
    let mut plots: Vec<(String, String)> = Vec::new();
    let escape_svg = escape_time_plot(
        &rows,
        &published,
        &format!("{}: escape time versus pre-training strength", config.name),
    )?;
    write_plot(&dir.join("plots/escape-time.svg"), &escape_svg)?;
    plots.push((
        "Escape time (the paper's statistic) versus mu; bars: 5%-95% over 3-seed subsets".into(),
        "plots/escape-time.svg".into(),
    ));
    let ode = ode_section(config, records);
    // The dynamics and the bootstrap are the long parts of the report: an interrupt during
    // them ends here, before report.md is written.
    check_interrupt()?;
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for row in &rows {
        let key = (row.activation.clone(), row.start.clone(), row.rank);
        if seen.contains(&key) {
            continue;
        }
        let file = format!(
            "plots/overlap-{}-{}-r{}.svg",
            file_safe(&row.activation),
            file_safe(&row.start),
            row.rank
        );
        let title = format!("m_V over steps: {}, {}, r = {}", row.activation, row.start, row.rank);
        let overlays: Vec<_> = if row.rank == 1 {
            ode.overlays_of(&row.activation, &row.start).collect()
        } else {
            Vec::new()
        };
        let svg = overlap_curves_with_ode_plot(
            &trajectories,
            &row.activation,
            &row.start,
            row.rank,
            config.record.threshold,
            &title,
            &overlays,
        )?;
        write_plot(&dir.join(&file), &svg)?;
        let dashed = if overlays.is_empty() { "" } else { "; dashed: the large-N ODE" };
        plots.push((
            format!(
                "Seed-averaged m_V over steps ({}, {}, r = {}){dashed}",
                row.activation, row.start, row.rank
            ),
            file,
        ));
        seen.push(key);
    }

    let curves = theory_curves(config);
    let theory = fit_theory(&rows, &curves);
    let no_fit = compare_no_fit(&rows, &no_fit_predictions(config));
    for start in &config.starts {
        let start_no_fit: Vec<_> =
            no_fit.iter().filter(|c| c.start == start.name).cloned().collect();
        let start_fits: Vec<_> = theory.iter().filter(|f| f.start == start.name).cloned().collect();
        if start_no_fit.is_empty() && start_fits.is_empty() {
            continue;
        }
        for (statistic, suffix, caption) in [
            (
                SpeedStatistic::PaperTime,
                "",
                "measured paper_time (points) beside the no-fit prediction (solid) and the \
                 fitted c tau(mu) (dashed)",
            ),
            (
                SpeedStatistic::MedianEscape,
                "-escape",
                "measured median escape step (points) beside the no-fit prediction (solid)",
            ),
        ] {
            let svg = theory_fit_plot(
                &start_no_fit,
                &start_fits,
                statistic,
                &format!("{}, {}: {} beside the theory", config.name, start.name, statistic.name()),
            )?;
            let file = format!("plots/theory-{}{suffix}.svg", file_safe(&start.name));
            write_plot(&dir.join(&file), &svg)?;
            plots.push((format!("{}: {caption}", start.name), file));
        }
    }
    let fastest = fastest_strengths(&trajectories, &params, FASTEST_RESAMPLES, 0);
    check_interrupt()?;

    let report = render_report(&ReportInput {
        experiment: &config.name,
        description: &config.description,
        rows: &rows,
        published: &published,
        params: &params,
        plots: &plots,
        commands: command,
        fastest: &fastest,
        no_fit: &no_fit,
        theory: &theory,
        curves: &curves,
        ode: &ode,
    });
    let report_path = dir.join("report.md");
    write(&report_path, report.as_bytes())?;
    Ok((rows, report_path))
}

fn file_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
        .collect()
}
