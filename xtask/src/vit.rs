//! `cargo xtask experiment --config <vit config>`: the ViT experiment on Fashion-MNIST,
//! chosen by the config's top-level `kind = "vit"`.

use std::path::Path;

use anyhow::Context;
use burn::backend::Autodiff;
use burn::tensor::backend::Backend;
use goldilocks_experiment::vit::{run_vit_experiment, VitExperimentConfig, VitOutcome};
use goldilocks_experiment::RunOptions;

use crate::backend::{dispatch, rerun_with_feature, BackendTask};
use crate::cli::ExperimentArgs;

/// Whether the TOML file at `path` has `kind = "vit"` at its top level.
pub fn is_vit_config(path: &Path) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
    let value: toml::Value = toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
    Ok(value.get("kind").and_then(|k| k.as_str()) == Some("vit"))
}

/// Runs the ViT experiment of the config at `path`.
pub fn run(args: &ExperimentArgs, path: &Path) -> anyhow::Result<()> {
    let mut config = VitExperimentConfig::load(path)?;
    if let Some(dir) = &args.data {
        config.data_dir = dir.clone();
    }
    if !args.backend.is_compiled() {
        let code = rerun_with_feature(args.backend)?;
        std::process::exit(code);
    }
    let mut command = format!("cargo xtask experiment --config {}", path.display());
    if let Some(dir) = &args.data {
        command.push_str(&format!(" --data {}", dir.display()));
    }
    let options = RunOptions { results_root: args.results.clone(), fresh: args.fresh, show_progress: !args.quiet, command };
    eprintln!(
        "experiment {} (ViT on Fashion-MNIST from {}) on backend {:?}: results in {}",
        config.name,
        config.data_dir.display(),
        args.backend,
        args.results.join(&config.name).display()
    );
    let outcome = dispatch(args.backend, VitTask { config: &config, options: &options })
        .with_context(|| format!("experiment {} failed", config.name))?;
    println!("{} fine-tuning runs computed, {} reused; report: {}", outcome.computed_runs, outcome.reused_runs, outcome.report.display());
    Ok(())
}

/// The ViT experiment as work for the chosen backend, trained through `Autodiff`.
struct VitTask<'a> {
    config: &'a VitExperimentConfig,
    options: &'a RunOptions,
}

impl BackendTask for VitTask<'_> {
    type Output = VitOutcome;

    fn run<B: Backend>(self, device: &B::Device) -> anyhow::Result<VitOutcome> {
        Ok(run_vit_experiment::<Autodiff<B>>(self.config, self.options, device)?)
    }
}
