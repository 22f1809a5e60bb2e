//! `slurm`: the sbatch scripts of a sweep on a Slurm cluster. A job array runs the units
//! (`experiment --shard auto`, one shard per array task); a config with pre-training units
//! gets a pre-training array first and the fine-tuning array after it
//! (`--dependency=afterok`); the merge job runs after the last array. With `--submit` the
//! scripts are submitted with sbatch and the job ids printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use goldilocks_experiment::{AnyConfig, Stage};

use crate::cli::SlurmArgs;
use crate::experiment::load_config;

/// One sbatch script of a sweep.
struct Script {
    /// Its file name in `<results>/<experiment>/slurm/`.
    file: &'static str,
    /// What the job does, in the printed job list.
    role: &'static str,
    /// The script.
    text: String,
}

/// Writes the scripts and, with `--submit`, submits them.
pub fn run(args: SlurmArgs) -> anyhow::Result<()> {
    let config = load_config(&args.config)?;
    let units = config.plan().units.len();
    let shards = args.shards.unwrap_or(units);
    if shards == 0 {
        bail!("--shards must be at least 1");
    }
    if args.array_limit == Some(0) {
        bail!("--array-limit must be at least 1");
    }
    let results = absolute(&args.results)?;
    let dir = results.join(config.name()).join("slurm");
    let binary = match &args.binary {
        Some(path) => absolute(path)?,
        None => std::env::current_exe().context("cannot find this binary's path")?,
    };
    let scripts = scripts(&config, &args, &results, &binary, shards)?;
    std::fs::create_dir_all(dir.join("logs"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    for script in &scripts {
        let path = dir.join(script.file);
        goldilocks_store::write_atomic(&path, script.text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!("{} units in {shards} shards; scripts in {}", units, dir.display());
    if !args.submit {
        for script in &scripts {
            println!("{}: sbatch {}", script.role, dir.join(script.file).display());
        }
        println!("submit them in this order, each with --dependency=afterok:<previous job id>, or pass --submit");
        return Ok(());
    }
    let mut previous: Option<String> = None;
    for script in &scripts {
        let mut sbatch = Command::new("sbatch");
        sbatch.arg("--parsable");
        if let Some(id) = &previous {
            sbatch.arg(format!("--dependency=afterok:{id}"));
        }
        let path = dir.join(script.file);
        let output = sbatch
            .arg(&path)
            .output()
            .context("cannot run sbatch (is Slurm installed and SLURM_CONF set?)")?;
        if !output.status.success() {
            bail!(
                "sbatch {} failed: {}",
                path.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let id = stdout.trim().split(';').next().unwrap_or_default().to_string();
        if id.is_empty() {
            bail!("sbatch {} printed no job id", path.display());
        }
        println!("{} job {id}", script.role);
        previous = Some(id);
    }
    Ok(())
}

/// The absolute form of `path` (jobs run in other folders).
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))
}

/// The scripts, in submission order.
fn scripts(
    config: &AnyConfig,
    args: &SlurmArgs,
    results: &Path,
    binary: &Path,
    shards: usize,
) -> anyhow::Result<Vec<Script>> {
    let mut config_flags = String::new();
    if let Some(path) = &args.config.config {
        config_flags.push_str(&format!(" --config {}", quote(&absolute(path)?.to_string_lossy())));
    }
    for set in &args.config.set {
        config_flags.push_str(&format!(" --set {}", quote(&set.to_string())));
    }
    let logs = results.join(config.name()).join("slurm").join("logs");
    let name = config.name();
    let binary = quote(&binary.to_string_lossy());
    let results = quote(&results.to_string_lossy());
    let header = |job: &str, array: bool| {
        let mut text = format!("#!/bin/bash\n#SBATCH --job-name=goldilocks-{name}-{job}\n");
        if array {
            let limit = args.array_limit.map(|k| format!("%{k}")).unwrap_or_default();
            text.push_str(&format!("#SBATCH --array=0-{}{limit}\n", shards - 1));
            text.push_str(&format!("#SBATCH --output={}/{job}-%a.log\n", logs.display()));
        } else {
            text.push_str(&format!("#SBATCH --output={}/{job}.log\n", logs.display()));
        }
        text.push_str(&format!("#SBATCH --cpus-per-task={}\n", args.cpus_per_task));
        if let Some(partition) = &args.partition {
            text.push_str(&format!("#SBATCH --partition={partition}\n"));
        }
        if let Some(time) = &args.time {
            text.push_str(&format!("#SBATCH --time={time}\n"));
        }
        text.push_str(
            "set -euo pipefail\nexport RAYON_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n",
        );
        text
    };
    let shard_job = |job: &str, stage: Option<Stage>| {
        let stage = stage.map(|s| format!(" --stage {s}")).unwrap_or_default();
        format!(
            "{}exec {binary} experiment{config_flags} --results {results} --shard auto --shards {shards}{stage} --quiet\n",
            header(job, true)
        )
    };
    let mut scripts = Vec::new();
    let staged = config.plan().has_stages();
    if staged {
        scripts.push(Script {
            file: "pretraining.sbatch",
            role: "pre-training",
            text: shard_job("pretraining", Some(Stage::PreTraining)),
        });
    }
    scripts.push(Script {
        file: "shards.sbatch",
        role: "shards",
        text: shard_job("shards", staged.then_some(Stage::FineTuning)),
    });
    scripts.push(Script {
        file: "merge.sbatch",
        role: "merge",
        text: format!(
            "{}exec {binary} merge{config_flags} --results {results} --shards {shards} --quiet\n",
            header("merge", false)
        ),
    });
    Ok(scripts)
}

/// `text` quoted for bash.
fn quote(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-=+:,".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}
