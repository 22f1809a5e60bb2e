//! `cargo xtask experiment`: run a config and write its results.

use anyhow::Context;
use burn::tensor::backend::Backend;
use goldilocks_experiment::{run_experiment, ExperimentConfig, ExperimentOutcome, RunOptions};

use crate::backend::{dispatch, rerun_with_feature, BackendTask};
use crate::cli::ExperimentArgs;

/// Runs the experiment described by `args`.
pub fn run(args: ExperimentArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.config {
        if crate::vit::is_vit_config(path)? {
            return crate::vit::run(&args, path);
        }
    }
    let config = match &args.config {
        Some(path) => ExperimentConfig::load(path)?,
        None => ExperimentConfig::default_config(),
    };
    if !args.backend.is_compiled() {
        let code = rerun_with_feature(args.backend)?;
        std::process::exit(code);
    }
    let mut command = String::from("cargo xtask experiment");
    if let Some(path) = &args.config {
        command.push_str(&format!(" --config {}", path.display()));
    }
    let options = RunOptions {
        results_root: args.results.clone(),
        fresh: args.fresh,
        show_progress: !args.quiet,
        command,
    };
    eprintln!("experiment {} on backend {:?}: results in {}", config.name, args.backend, args.results.join(&config.name).display());
    let outcome = dispatch(args.backend, Experiment { config: &config, options: &options })
        .with_context(|| format!("experiment {} failed", config.name))?;
    println!(
        "{} ensembles computed, {} reused; report: {}",
        outcome.computed_ensembles,
        outcome.reused_ensembles,
        outcome.report.display()
    );
    Ok(())
}

/// An experiment as work for the chosen backend.
struct Experiment<'a> {
    config: &'a ExperimentConfig,
    options: &'a RunOptions,
}

impl BackendTask for Experiment<'_> {
    type Output = ExperimentOutcome;

    fn run<B: Backend>(self, device: &B::Device) -> anyhow::Result<ExperimentOutcome> {
        Ok(run_experiment::<B>(self.config, self.options, device)?)
    }
}
