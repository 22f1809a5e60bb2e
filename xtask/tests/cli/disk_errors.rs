//! Disk errors end a run with one error naming the path, leave no partial or temporary file
//! and lose nothing already written: a results folder made read-only, and a write over the
//! file-size limit (`ulimit -f`).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{assert_no_temporary_files, experiment, files_under};

const TINY: &str = include_str!("../../../tests/data/tiny.toml");

/// The one `error:` line of a failed run.
fn one_error(output: &Output) -> String {
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "stderr: {stderr}");
    errors[0].to_string()
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Sets `mode` on every folder under `dir` (and `dir`) and `file_mode` on every file.
fn set_modes(dir: &Path, mode: u32, file_mode: u32) {
    let mut folders = BTreeSet::from([dir.to_path_buf()]);
    for path in files_under(dir).keys() {
        set_mode(&dir.join(path), file_mode);
        folders.extend(path.ancestors().skip(1).map(|folder| dir.join(folder)));
    }
    for folder in folders {
        set_mode(&folder, mode);
    }
}

fn running_as_root() -> bool {
    let id = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&id.stdout).trim() == "0"
}

#[test]
fn a_read_only_results_folder_is_named_and_nothing_in_it_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o755);
    let config = dir.path().join("tiny.toml");
    std::fs::write(&config, TINY).unwrap();
    let results = dir.path().join("results");
    let first = experiment(&config, &results, &[]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let folder = results.join("tiny");
    let before = files_under(&folder);

    // Read-only for everyone but the lock file. Root ignores permissions, so as root the
    // run goes through setpriv as user nobody, with its own copy of the binary in a folder
    // nobody can reach.
    set_modes(&results, 0o555, 0o444);
    set_mode(&folder.join(".lock"), 0o666);
    let binary = dir.path().join("xtask");
    std::fs::copy(env!("CARGO_BIN_EXE_xtask"), &binary).unwrap();
    set_mode(&binary, 0o755);
    let mut command = if running_as_root() {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(&binary);
        command
    } else {
        Command::new(&binary)
    };
    let output = command
        .args(["experiment", "--quiet", "--fresh", "--config"])
        .arg(&config)
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    set_modes(&results, 0o755, 0o644);
    let error = one_error(&output);
    assert!(
        error.contains(&folder.display().to_string()) && error.contains("Permission denied"),
        "{error}"
    );
    // The lock file holds the pid of the last process that took the lock.
    let unlocked = |mut files: BTreeMap<PathBuf, Vec<u8>>| {
        files.remove(Path::new(".lock"));
        files
    };
    let (after, before) = (unlocked(files_under(&folder)), unlocked(before));
    let changed: Vec<&PathBuf> = after.keys().filter(|p| after.get(*p) != before.get(*p)).collect();
    assert!(changed.is_empty() && after.len() == before.len(), "changed: {changed:?}");
}

#[test]
fn a_write_over_the_file_size_limit_is_named_and_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tiny.toml");
    std::fs::write(&config, TINY).unwrap();
    let results = dir.path().join("results");
    // 8 blocks of 512 bytes: config.toml fits, a records file does not.
    let output = Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 8 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_xtask"))
        .args(["experiment", "--quiet", "--config"])
        .arg(&config)
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    let error = one_error(&output);
    let runs = results.join("tiny").join("runs");
    assert!(
        error.contains(&runs.display().to_string()) && error.contains("File too large"),
        "{error}"
    );
    assert_no_temporary_files(&results);
    let written: Vec<PathBuf> = files_under(&results).into_keys().collect();
    assert!(written.iter().all(|p| !p.starts_with("tiny/runs")), "no records file: {written:?}");

    // Without the limit the same folder completes, as a run that never failed.
    let rerun = experiment(&config, &results, &[]);
    assert!(rerun.status.success(), "{}", String::from_utf8_lossy(&rerun.stderr));
    let clean = dir.path().join("clean");
    let fresh = experiment(&config, &clean, &[]);
    assert!(fresh.status.success());
    let summary = |root: &Path| std::fs::read(root.join("tiny/summary.csv")).unwrap();
    assert_eq!(summary(&results), summary(&clean));
}
