//! `cargo xtask theory ode`: an experiment's measured m_V curves at several N beside the
//! deterministic large-N dynamics (ODE and step map), as a table and an SVG.

use std::path::Path;

use anyhow::{bail, Context};
use goldilocks_analysis::RunRecord;
use goldilocks_analysis::{escape_step, ode_comparison_plot};
use goldilocks_experiment::escape::{ode_comparison, EscapeConfig};
use goldilocks_experiment::{read_json_lines, ExperimentKind};
use goldilocks_model::{Activation, ActivationPair};

use crate::cli::OdeArgs;

/// Compares the stored records of every `--config` with the dynamics and writes the plot.
pub fn run(args: OdeArgs) -> anyhow::Result<()> {
    let student: Activation = args.activation.parse()?;
    let teacher: Activation = match &args.teacher {
        Some(name) => name.parse()?,
        None => student,
    };
    let pair = ActivationPair { teacher, student };
    let mut comparisons = Vec::new();
    println!("# {pair}, mu = {}: seed-averaged m_V against the ODE and the large-N step map (escape: first step with m >= {})", args.mu, args.threshold);
    println!(
        "{:>8} {:>6} {:>8} {:>6} {:>12} {:>12} {:>14}",
        "N", "seeds", "m0", "steps", "max|d| ODE", "max|d| map", "escape m/O/M"
    );
    for path in &args.config {
        let config = EscapeConfig::load(path)?;
        let records = stored_records(&args.results.join(&config.name))?;
        let label = format!("N = {}", config.model.input_dim);
        let comparison = ode_comparison(&config, &records, pair, args.mu, &label)
            .with_context(|| format!("config {}", path.display()))?;
        let escape = |curve: &[f64]| {
            escape_step(curve, args.threshold).map_or("-".to_string(), |s| s.to_string())
        };
        println!(
            "{:>8} {:>6} {:>8.4} {:>6} {:>12.4} {:>12.4} {:>14}",
            config.model.input_dim,
            comparison.seeds,
            comparison.initial_overlap,
            comparison.measured.len(),
            comparison.max_gap_ode(),
            comparison.max_gap_map(),
            format!(
                "{}/{}/{}",
                escape(&comparison.measured),
                escape(&comparison.ode),
                escape(&comparison.map)
            ),
        );
        comparisons.push(comparison);
    }
    let title = format!("{pair}, mu = {}: measured m_V beside the ODE and the step map", args.mu);
    let svg = ode_comparison_plot(&comparisons, &title)?;
    if let Some(parent) = args.output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.output, svg)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!("plot: {}", args.output.display());
    Ok(())
}

/// Every record under `<dir>/runs/*.jsonl`.
pub fn stored_records(dir: &Path) -> anyhow::Result<Vec<RunRecord>> {
    let runs = dir.join("runs");
    let mut files: Vec<_> = std::fs::read_dir(&runs)
        .with_context(|| {
            format!(
                "no stored runs in {}: run `cargo xtask experiment` on the config first",
                runs.display()
            )
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut records = Vec::new();
    for file in files {
        records.extend(read_json_lines(&file).map_err(anyhow::Error::msg)?);
    }
    if records.is_empty() {
        bail!("{} holds no records", runs.display());
    }
    Ok(records)
}
