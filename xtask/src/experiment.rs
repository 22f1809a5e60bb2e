//! `cargo xtask experiment`: run a config of any kind and write its results.

use anyhow::{bail, Context};
use burn::tensor::backend::Backend;
use goldilocks_experiment::escape::DEFAULT_CONFIG;
use goldilocks_experiment::{default_memory_limit, human_bytes, AnyConfig, RunOptions};

use crate::backend::{dispatch, rerun_with_feature, BackendTask};
use crate::cli::{ConfigArgs, ExperimentArgs};

/// The config of `args` (without a file: the embedded default config), overrides applied.
pub fn load_config(args: &ConfigArgs) -> anyhow::Result<AnyConfig> {
    let (overrides, origin) = (&args.set, "configs/default.toml (embedded)");
    Ok(match &args.config {
        Some(path) => AnyConfig::load_with(path, overrides)?,
        None => AnyConfig::from_toml_with(DEFAULT_CONFIG, origin, overrides)?,
    })
}

/// Runs the experiment described by `args`.
pub fn run(args: ExperimentArgs) -> anyhow::Result<()> {
    let mut config = load_config(&args.config)?;
    match (&mut config, &args.data) {
        (AnyConfig::Vit(vit), Some(dir)) => vit.data_dir = dir.clone(),
        (_, Some(_)) => bail!("--data applies only to configs on real data (kind = \"vit\")"),
        _ => {}
    }
    let memory_limit = args.memory_limit.unwrap_or_else(default_memory_limit);
    if args.dry_run {
        print_plan(&config, &args, memory_limit);
        return Ok(());
    }
    if !args.backend.is_compiled() {
        let code = rerun_with_feature(args.backend)?;
        std::process::exit(code);
    }
    let mut command = String::from("cargo xtask experiment");
    if let Some(path) = &args.config.config {
        command.push_str(&format!(" --config {}", path.display()));
    }
    if let Some(dir) = &args.data {
        command.push_str(&format!(" --data {}", dir.display()));
    }
    for set in &args.config.set {
        command.push_str(&format!(" --set '{set}'"));
    }
    let options = RunOptions {
        results_root: args.results.clone(),
        fresh: args.fresh,
        show_progress: !args.quiet,
        command,
        wait_for_folder: !args.no_wait,
        memory_limit,
    };
    let name = config.name().to_string();
    eprintln!(
        "experiment {name} on backend {:?}: results in {}",
        args.backend,
        args.results.join(&name).display()
    );
    let summary = dispatch(args.backend, Experiment { config: &config, options: &options })
        .with_context(|| format!("experiment {name} failed"))?;
    println!("{summary}");
    Ok(())
}

/// `--dry-run`: what the experiment would run and where, with nothing written.
fn print_plan(config: &AnyConfig, args: &ExperimentArgs, memory_limit: u64) {
    let plan = config.plan();
    println!(
        "experiment {} (kind {}), results in {}",
        config.name(),
        config.kind(),
        args.results.join(config.name()).display()
    );
    print!("{plan}");
    let over = plan.peak_bytes > memory_limit as f64;
    println!(
        "memory limit {}{}; nothing written (--dry-run)",
        human_bytes(memory_limit as f64),
        if over { ": the largest unit is over it" } else { "" }
    );
}

/// An experiment as work for the chosen backend.
struct Experiment<'a> {
    config: &'a AnyConfig,
    options: &'a RunOptions,
}

impl BackendTask for Experiment<'_> {
    type Output = String;

    fn run<B: Backend>(self, device: &B::Device) -> anyhow::Result<String> {
        Ok(self.config.run::<B>(self.options, device)?)
    }
}
