//! Command-line flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::backend::BackendKind;
use goldilocks_experiment::{ConfigOverride, Stage};
use goldilocks_theory::TauVariant;

/// Goldilocks: how much pre-training is too much before LoRA fine-tuning.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an experiment (default: the embedded configs/default.toml) and write its results.
    Experiment(ExperimentArgs),
    /// Theory: print tau(mu) for an activation pair.
    Theory(TheoryArgs),
    /// Measure the runner's throughput on fixed workloads (and the reference scripts).
    Bench(BenchArgs),
    /// List (and verify) the pre-training checkpoints of an experiment.
    Checkpoints(CheckpointsArgs),
    /// Check every stored file of an experiment's results folder against its manifest,
    /// running nothing.
    Verify(VerifyArgs),
    /// Print the units a config runs, in order, with their step budgets and the memory
    /// estimate; `--json` for scripts (its `count` sizes a job array).
    Plan(PlanArgs),
    /// Check every unit that the shards of a sweep stored and write the outputs of the
    /// one-machine run (summary, report, plots).
    Merge(MergeArgs),
    /// Compare the stored runs of two results folders of one config (two backends, say):
    /// escape steps run by run and, per variant, within seed noise; fails when they disagree.
    Compare(CompareArgs),
    /// Write the sbatch scripts of a sweep (a job array over the units, the merge after it)
    /// and, with --submit, submit them.
    Slurm(SlurmArgs),
}

/// Which config: a file or the embedded default, with overrides.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Config file (TOML); without it, the embedded configs/default.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one config field, e.g. `--set training.learning_rate=0.1` or
    /// `--set starts[0].seeds=3` (repeatable). Checked like the file; the resolved
    /// config.toml records it.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<ConfigOverride>,
}

/// Flags of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Print JSON: experiment, kind, count, max_steps, peak_bytes and the units.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The experiment's name (its results folder).
    #[arg(long)]
    pub experiment: String,
    /// Results root.
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
}

/// Flags of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// One experiment's results folder (holding runs/*.jsonl).
    #[arg(value_name = "DIR")]
    pub first: PathBuf,
    /// The results folder of the same config run another way.
    #[arg(value_name = "DIR")]
    pub second: PathBuf,
    /// The largest difference of a variant's mean escape steps, in standard errors, that
    /// counts as seed noise.
    #[arg(long, default_value_t = 3.0)]
    pub max_z: f64,
}

/// Flags of `checkpoints`.
#[derive(Debug, Args)]
pub struct CheckpointsArgs {
    /// The experiment's name (its results folder).
    #[arg(long, default_value = "pretrain")]
    pub experiment: String,
    /// Results root.
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
}

/// Flags of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Only this backend (default: every compiled CPU backend).
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,
    /// SGD steps timed on the paper workload.
    #[arg(long, default_value_t = 40)]
    pub paper_steps: usize,
    /// SGD steps timed on the online workloads.
    #[arg(long, default_value_t = 200)]
    pub online_steps: usize,
    /// Where the JSON table goes.
    #[arg(long, value_name = "FILE", default_value = "results/bench/bench.json")]
    pub output: PathBuf,
    /// Time only this workload (paper, paper-projected, online-1, online-64, online-1024,
    /// online-shared-1024), in this process, without the peers, and print its measurement;
    /// the full bench runs every workload this way, each in a process of its own.
    #[arg(long, value_name = "NAME")]
    pub workload: Option<String>,
}

/// Flags of `experiment`.
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// The config, the backend and where results go.
    #[command(flatten)]
    pub run: RunArgs,
    /// Recompute every run even when stored records exist.
    #[arg(long)]
    pub fresh: bool,
    /// Print the units, their step budgets and the memory estimate; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run only the units whose plan index is i mod n (`i/n`, 0-based), into
    /// <DIR>/<experiment>/shards/<i>-of-<n>/; `auto` reads SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX (Kubernetes) with --shards.
    #[arg(long, value_name = "i/n|auto")]
    pub shard: Option<String>,
    /// The shard count for `--shard auto` where the environment gives only the index.
    #[arg(long, value_name = "N", requires = "shard")]
    pub shards: Option<usize>,
    /// With --shard: only the shard's units of this stage (pre-training units must finish
    /// in every shard before the fine-tuning units that need them start).
    #[arg(long, value_parser = parse_stage, requires = "shard")]
    pub stage: Option<Stage>,
}

/// Flags shared by `experiment` and `merge`: the config, the backend and the results root.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Tensor backend. CPU: flex, ndarray; GPU: wgpu, cuda. A backend that is not compiled in
    /// is built with its cargo feature first.
    #[arg(long, value_enum, default_value_t = BackendKind::DEFAULT)]
    pub backend: BackendKind,
    /// Results root: results go to <DIR>/<experiment name>/.
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Print no progress.
    #[arg(long)]
    pub quiet: bool,
    /// When another process is writing the same results folder, fail at once instead of
    /// waiting for it.
    #[arg(long)]
    pub no_wait: bool,
    /// Memory an ensemble may use, e.g. 8GiB, 500MB or a number of bytes (default: three
    /// quarters of the available memory). Larger ensembles run in chunks; a config whose
    /// smallest chunk does not fit is refused before anything is allocated.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<u64>,
    /// Data folder of experiments on real data (ViT configs: overrides `data_dir`).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// Flags of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The config, the backend and where results go (as given to the shards).
    #[command(flatten)]
    pub run: RunArgs,
    /// The shard count (default: read from the names of the shard folders).
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
}

/// Flags of `slurm`.
#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// The config.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Results root on the cluster's shared file system.
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Array tasks (shards); default: one per unit.
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
    /// Slurm partition (default: the cluster's default).
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit of each task, in Slurm's format (e.g. 1:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs of each task; RAYON_NUM_THREADS follows SLURM_CPUS_PER_TASK.
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: usize,
    /// At most this many array tasks at once (`--array=0-(N-1)%K`).
    #[arg(long, value_name = "K")]
    pub array_limit: Option<usize>,
    /// The binary the jobs run (default: this one).
    #[arg(long, value_name = "FILE")]
    pub binary: Option<PathBuf>,
    /// Submit the scripts with sbatch and print the job ids.
    #[arg(long)]
    pub submit: bool,
}

fn parse_stage(text: &str) -> Result<Stage, String> {
    text.parse().map_err(|error: goldilocks_experiment::ExperimentError| error.to_string())
}

/// Subcommands of `theory`.
#[derive(Debug, Args)]
pub struct TheoryArgs {
    /// Which quantity.
    #[command(subcommand)]
    pub command: TheoryCommand,
}

/// Theory quantities.
#[derive(Debug, Subcommand)]
pub enum TheoryCommand {
    /// tau(mu), the exit-time factor of the search phase, for each mu.
    Tau(TauArgs),
    /// Measured m_V curves of stored experiments beside the large-N ODE and step map.
    Ode(OdeArgs),
}

/// Flags of `theory ode`.
#[derive(Debug, Args)]
pub struct OdeArgs {
    /// Experiment configs whose stored records are compared (one curve each), comma separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub config: Vec<PathBuf>,
    /// Student activation (and teacher, unless --teacher is given).
    #[arg(long)]
    pub activation: String,
    /// Teacher activation, when it differs from the student's.
    #[arg(long)]
    pub teacher: Option<String>,
    /// Pre-training strength of the runs compared.
    #[arg(long)]
    pub mu: f64,
    /// Results root holding <name>/runs/*.jsonl for every config.
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// Escape threshold for the table.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Where the SVG goes.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
}

/// Flags of `theory tau`.
#[derive(Debug, Args)]
pub struct TauArgs {
    /// Student activation (and teacher, unless --teacher is given).
    #[arg(long)]
    pub activation: String,
    /// Teacher activation, when it differs from the student's.
    #[arg(long)]
    pub teacher: Option<String>,
    /// Pre-training strengths, comma separated, each in (0, 1).
    #[arg(long, value_delimiter = ',', required = true)]
    pub mu: Vec<f64>,
    /// Which A(mu), B(mu): `corrected` (the linearised flow in closed form) or `published`
    /// (the authors' sums, truncated at --k-max).
    #[arg(long, default_value = "corrected")]
    pub variant: TauVariant,
    /// Hermite truncation k_max of the published sums.
    #[arg(long, default_value_t = 10)]
    pub k_max: usize,
    /// Gauss-Hermite nodes.
    #[arg(long, default_value_t = 100)]
    pub nodes: usize,
    /// Also print the exit time tau ln(R / eps) for this R / eps.
    #[arg(long, value_name = "R_OVER_EPS", default_value_t = 1000.0)]
    pub ratio: f64,
}

/// Parses a size: a number of bytes, or a number with a unit (K, M, G, T with or without
/// "iB"/"B"; all binary: 1K = 1024 bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("{text:?} is not a size such as 8GiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => return Err(format!("unknown unit {other:?} in {text:?} (use K, M, G or T)")),
    };
    let bytes = value * scale as f64;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("{text:?} is not a positive size"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn experiment_defaults_and_flags_parse() {
        let cli = Cli::try_parse_from(["xtask", "experiment"]).unwrap();
        let Command::Experiment(args) = cli.command else { panic!("experiment expected") };
        assert_eq!(args.run.config.config, None);
        assert_eq!(args.run.backend, BackendKind::DEFAULT);
        assert_eq!(args.run.results, PathBuf::from("results"));
        let cli = Cli::try_parse_from([
            "xtask",
            "experiment",
            "--config",
            "c.toml",
            "--backend",
            "ndarray",
            "--fresh",
        ])
        .unwrap();
        let Command::Experiment(args) = cli.command else { panic!("experiment expected") };
        assert_eq!(args.run.config.config, Some(PathBuf::from("c.toml")));
        assert_eq!(args.run.backend, BackendKind::Ndarray);
        assert!(args.fresh);
        let cli =
            Cli::try_parse_from(["xtask", "experiment", "--config", "v.toml", "--data", "/tmp/fm"])
                .unwrap();
        let Command::Experiment(args) = cli.command else { panic!("experiment expected") };
        assert_eq!(args.run.data, Some(PathBuf::from("/tmp/fm")));
    }

    #[test]
    fn bad_flags_are_rejected() {
        assert!(Cli::try_parse_from(["xtask", "experiment", "--backend", "tpu"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "experiment", "--bogus"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "theory", "tau", "--activation", "relu"]).is_err());
        assert!(Cli::try_parse_from([
            "xtask",
            "theory",
            "tau",
            "--activation",
            "relu",
            "--mu",
            "x"
        ])
        .is_err());
    }

    #[test]
    fn theory_flags_parse() {
        let cli = Cli::try_parse_from([
            "xtask",
            "theory",
            "tau",
            "--activation",
            "relu",
            "--mu",
            "0.1,0.5",
        ])
        .unwrap();
        let Command::Theory(TheoryArgs { command: TheoryCommand::Tau(args) }) = cli.command else {
            panic!("theory tau expected")
        };
        assert_eq!(args.mu, vec![0.1, 0.5]);
        assert_eq!(args.k_max, 10);
        let cli = Cli::try_parse_from([
            "xtask",
            "theory",
            "ode",
            "--config",
            "a.toml,b.toml",
            "--activation",
            "relu",
            "--mu",
            "0.5",
            "--output",
            "o.svg",
        ])
        .unwrap();
        let Command::Theory(TheoryArgs { command: TheoryCommand::Ode(args) }) = cli.command else {
            panic!("theory ode expected")
        };
        assert_eq!(args.config, vec![PathBuf::from("a.toml"), PathBuf::from("b.toml")]);
        assert_eq!(args.results, PathBuf::from("results"));
    }

    #[test]
    fn sizes_read_with_binary_units_and_bad_ones_are_named() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("500MB"), Ok(500 << 20));
        assert!(parse_size("8 parsecs").unwrap_err().contains("parsecs"));
        assert!(parse_size("0").is_err() && parse_size("lots").is_err());
    }
}
