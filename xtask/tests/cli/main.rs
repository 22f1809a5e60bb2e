//! The xtask binary as a user runs it, as one test binary: bad input ([`command_line`]),
//! reproducibility across thread counts ([`determinism`]),
//! disk errors ([`disk_errors`]), memory planning ([`memory`]), `--set` and `--dry-run`
//! ([`overrides`]), crash safety with resume ([`resume`]) and shards with their merge
//! ([`shards`]).

mod command_line;
mod determinism;
#[cfg(unix)]
mod disk_errors;
mod memory;
mod overrides;
mod resume;
mod shards;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The xtask binary built for these tests.
fn xtask() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
}

/// `xtask experiment --quiet --config CONFIG --results RESULTS`, to add to and start.
fn experiment_command(config: &Path, results: &Path) -> Command {
    let mut command = xtask();
    command.args(["experiment", "--quiet", "--config"]).arg(config).arg("--results").arg(results);
    command
}

/// `xtask experiment --quiet --config CONFIG --results RESULTS EXTRA...`, run to its end.
fn experiment(config: &Path, results: &Path, extra: &[&str]) -> std::process::Output {
    experiment_command(config, results).args(extra).output().unwrap()
}

/// Every file under `dir`, by its path relative to `dir`, with its bytes.
fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    out
}

/// Fails when an atomic write left a temporary file anywhere under `dir`.
fn assert_no_temporary_files(dir: &Path) {
    let stray: Vec<PathBuf> =
        files_under(dir).into_keys().filter(|p| p.to_string_lossy().contains(".tmp-")).collect();
    assert!(stray.is_empty(), "temporary files left behind: {stray:?}");
}
