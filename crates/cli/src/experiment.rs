//! `cargo xtask experiment` and `merge`: run a config of any kind (whole, or one shard of
//! its units) and write its results; merge the shards of a sweep.

use anyhow::{bail, Context};
use goldilocks_experiment::escape::DEFAULT_CONFIG;
use goldilocks_experiment::{
    default_memory_limit, human_bytes, shard_count, AnyConfig, RunOptions, Shard, ShardRun,
};
use goldilocks_kernels::EnsembleKernels;

use crate::backend::{dispatch, rerun_with_feature, BackendTask};
use crate::cli::{ConfigArgs, ExperimentArgs, MergeArgs, RunArgs};

/// The config of `args` (without a file: the embedded default config), overrides applied.
pub fn load_config(args: &ConfigArgs) -> anyhow::Result<AnyConfig> {
    let (overrides, origin) = (&args.set, "configs/default.toml (embedded)");
    Ok(match &args.config {
        Some(path) => AnyConfig::load_with(path, overrides)?,
        None => AnyConfig::from_toml_with(DEFAULT_CONFIG, origin, overrides)?,
    })
}

/// Runs the experiment described by `args`: all its units, or one shard's.
pub fn run(args: ExperimentArgs) -> anyhow::Result<()> {
    let shard = match &args.shard {
        Some(spec) => Some(ShardRun { shard: shard_of(spec, args.shards)?, stage: args.stage }),
        None => None,
    };
    let config = config_of(&args.run)?;
    let memory_limit = args.run.memory_limit.unwrap_or_else(default_memory_limit);
    if args.dry_run {
        print_plan(&config, &args.run, memory_limit);
        return Ok(());
    }
    let work = match shard {
        Some(run) => Work::Shard(run),
        None => Work::Run,
    };
    execute(&args.run, config, args.fresh, work)
}

/// Merges the shards of the experiment described by `args`.
pub fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let config = config_of(&args.run)?;
    let shards = match args.shards {
        Some(0) => bail!("--shards must be at least 1"),
        Some(count) => count,
        None => shard_count(&args.run.results.join(config.name()))?,
    };
    execute(&args.run, config, false, Work::Merge(shards))
}

/// The config of `args`, with `--data` applied.
fn config_of(args: &RunArgs) -> anyhow::Result<AnyConfig> {
    let mut config = load_config(&args.config)?;
    match (&mut config, &args.data) {
        (AnyConfig::Vit(vit), Some(dir)) => vit.data_dir = dir.clone(),
        (_, Some(_)) => bail!("--data applies only to configs on real data (kind = \"vit\")"),
        _ => {}
    }
    Ok(config)
}

/// The shard of `--shard` (`i/n`, or `auto` from the job engine's environment).
fn shard_of(spec: &str, shards: Option<usize>) -> anyhow::Result<Shard> {
    if spec != "auto" {
        if shards.is_some() {
            bail!("--shards applies only to --shard auto (--shard {spec} names its count)");
        }
        return Ok(spec.parse()?);
    }
    let var = |name: &str| std::env::var(name).ok();
    let number = |name: &str, text: String| -> anyhow::Result<usize> {
        text.trim().parse().with_context(|| format!("{name}={text:?} is not a number"))
    };
    let (index, count) = if let Some(index) = var("SLURM_ARRAY_TASK_ID") {
        let count = match (shards, var("SLURM_ARRAY_TASK_COUNT")) {
            (Some(count), _) => count,
            (None, Some(count)) => number("SLURM_ARRAY_TASK_COUNT", count)?,
            (None, None) => bail!("--shard auto: SLURM_ARRAY_TASK_COUNT is not set; pass --shards"),
        };
        (number("SLURM_ARRAY_TASK_ID", index)?, count)
    } else if let Some(index) = var("JOB_COMPLETION_INDEX") {
        let Some(count) = shards else {
            bail!("--shard auto with JOB_COMPLETION_INDEX needs --shards N (the Job's completions)")
        };
        (number("JOB_COMPLETION_INDEX", index)?, count)
    } else {
        bail!(
            "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor \
             JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; pass --shard i/n"
        )
    };
    Ok(Shard::new(index, count)?)
}

/// Runs `work` on the config with the options of `args`.
fn execute(args: &RunArgs, config: AnyConfig, fresh: bool, work: Work) -> anyhow::Result<()> {
    if !args.backend.is_compiled() {
        let code = rerun_with_feature(args.backend)?;
        std::process::exit(code);
    }
    let options = RunOptions {
        results_root: args.results.clone(),
        fresh,
        show_progress: !args.quiet,
        command: one_machine_command(args),
        wait_for_folder: !args.no_wait,
        memory_limit: args.memory_limit.unwrap_or_else(default_memory_limit),
    };
    let name = config.name().to_string();
    let what = match work {
        Work::Run => "experiment".to_string(),
        Work::Shard(run) => format!("shard {} of experiment", run.shard),
        Work::Merge(shards) => format!("merge of {shards} shards of experiment"),
    };
    eprintln!(
        "{what} {name} on backend {:?}: results in {}",
        args.backend,
        args.results.join(&name).display()
    );
    let summary = dispatch(args.backend, Experiment { config: &config, options: &options, work })
        .with_context(|| format!("{what} {name} failed"))?;
    println!("{summary}");
    Ok(())
}

/// The command line of the one-machine run, for the report (a merge reports the same).
fn one_machine_command(args: &RunArgs) -> String {
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
    command
}

/// `--dry-run`: what the experiment would run and where, with nothing written.
fn print_plan(config: &AnyConfig, args: &RunArgs, memory_limit: u64) {
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

/// What to do with an experiment.
#[derive(Debug, Clone, Copy)]
enum Work {
    /// Every unit, then the outputs.
    Run,
    /// One shard's units.
    Shard(ShardRun),
    /// Check and gather the shards' units (of this many shards), then the outputs.
    Merge(usize),
}

/// An experiment as work for the chosen backend.
struct Experiment<'a> {
    config: &'a AnyConfig,
    options: &'a RunOptions,
    work: Work,
}

impl BackendTask for Experiment<'_> {
    type Output = String;

    fn run<B: EnsembleKernels>(self, device: &B::Device) -> anyhow::Result<String> {
        Ok(match self.work {
            Work::Run => self.config.run::<B>(self.options, device)?,
            Work::Shard(run) => self.config.run_shard::<B>(self.options, run, device)?,
            Work::Merge(shards) => self.config.merge::<B>(self.options, shards, device)?,
        })
    }
}
