//! Crash safety of `cargo xtask experiment` on a pre-training config: killed with SIGKILL at
//! any moment and run again, it finishes with the same results as an uninterrupted run and
//! recomputes nothing that was finished. Also the checkpoint listing and the Python snippet
//! of docs/pretraining.md on the checkpoints it wrote.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{assert_no_temporary_files, experiment_command, xtask};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn tiny_config() -> PathBuf {
    workspace().join("tests/data/pretrain-tiny.toml")
}

fn experiment(results: &Path) -> Command {
    experiment_command(&tiny_config(), results)
}

fn run_to_completion(results: &Path) -> String {
    let output = experiment(results).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "{stderr}");
    stderr
}

/// The finished files of an experiment folder and their inodes: checkpoints listed in a
/// checkpoint manifest, and fine-tuning records listed in the records manifest.
fn finished_files(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut files = BTreeMap::new();
    if let Ok(stores) = std::fs::read_dir(dir.join("checkpoints")) {
        for store in stores.map(|e| e.unwrap().path()) {
            let Ok(text) = std::fs::read_to_string(store.join("manifest.json")) else { continue };
            let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
            for entry in manifest["checkpoints"].as_array().unwrap() {
                let path = store.join(entry["file"].as_str().unwrap());
                files.insert(path.clone(), std::fs::metadata(&path).unwrap().ino());
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("runs/manifest.json")) {
        let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
        for entry in manifest["files"].as_array().unwrap() {
            let path = dir.join("runs").join(entry["file"].as_str().unwrap());
            files.insert(path.clone(), std::fs::metadata(&path).unwrap().ino());
        }
    }
    files
}

#[test]
fn killed_at_any_moment_it_resumes_to_the_same_results() {
    let root = tempfile::tempdir().unwrap();
    let uninterrupted = uninterrupted_finetune_csv(root.path());

    let results = root.path().join("killed");
    let dir = results.join("pretrain");
    let mut kept_before: BTreeMap<PathBuf, u64> = BTreeMap::new();
    let mut kills = 0;
    // Kill after growing delays, resuming each time, until a run completes on its own.
    for delay_ms in [20u64, 60, 120, 200, 300, 450, 650, 900, 1300, 2000] {
        let mut child =
            experiment(&results).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(delay_ms) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        // Everything finished before this kill must survive every later run untouched.
        for (path, inode) in &kept_before {
            assert_eq!(
                finished_files(&dir).get(path),
                Some(inode),
                "{} was recomputed",
                path.display()
            );
        }
        kept_before = finished_files(&dir);
        eprintln!("killed after {delay_ms} ms with {} finished files", kept_before.len());
    }
    assert!(kills >= 2, "the experiment finished before it could be killed twice");
    let stderr = run_to_completion(&results);
    for (path, inode) in &kept_before {
        assert_eq!(
            finished_files(&dir).get(path),
            Some(inode),
            "{} was recomputed\n{stderr}",
            path.display()
        );
    }
    assert_eq!(std::fs::read_to_string(dir.join("finetune.csv")).unwrap(), uninterrupted);
    assert_no_temporary_files(&dir);
}

/// SIGTERM mid-run: the process stops at its next check with "interrupted; rerun to
/// resume" and exit status 130, keeping every finished unit; the rerun gives the results of
/// an uninterrupted run.
#[test]
fn sigterm_stops_cleanly_and_the_rerun_gives_the_same_results() {
    let root = tempfile::tempdir().unwrap();
    let uninterrupted = uninterrupted_finetune_csv(root.path());

    let results = root.path().join("terminated");
    let dir = results.join("pretrain");
    let mut interrupted = 0;
    for delay_ms in [40u64, 120, 250, 400, 600, 900, 1300] {
        let child =
            experiment(&results).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let before = finished_files(&dir);
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            break;
        }
        assert_eq!(output.status.code(), Some(130), "stderr: {stderr}");
        assert!(stderr.contains("interrupted; rerun to resume"), "stderr: {stderr}");
        interrupted += 1;
        for (path, inode) in &before {
            assert_eq!(finished_files(&dir).get(path), Some(inode), "{} was lost", path.display());
        }
    }
    assert!(interrupted >= 1, "the experiment finished before SIGTERM reached it");
    run_to_completion(&results);
    assert_eq!(std::fs::read_to_string(dir.join("finetune.csv")).unwrap(), uninterrupted);
    assert_no_temporary_files(&dir);
}

/// finetune.csv of a run to completion, uninterrupted, under `root/reference/`.
fn uninterrupted_finetune_csv(root: &Path) -> String {
    let reference = root.join("reference");
    run_to_completion(&reference);
    std::fs::read_to_string(reference.join("pretrain/finetune.csv")).unwrap()
}

/// Why `python3 -c "import <modules>"` fails, if it does.
fn missing(modules: &str) -> Option<String> {
    match Command::new("python3").args(["-c", &format!("import {modules}")]).output() {
        Err(e) => Some(format!("python3 cannot be run: {e}")),
        Ok(out) if !out.status.success() => Some(format!("python3 cannot import {modules}")),
        Ok(_) => None,
    }
}

#[test]
fn checkpoints_are_listed_and_load_in_python_as_the_docs_show() {
    let root = tempfile::tempdir().unwrap();
    let results = root.path().join("results");
    run_to_completion(&results);

    let listing = xtask().args(["checkpoints", "--results"]).arg(&results).output().unwrap();
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.status.success(), "{}", String::from_utf8_lossy(&listing.stderr));
    assert!(text.contains("step-00000064.safetensors") && text.contains("overlap="), "{text}");
    assert_eq!(text.lines().filter(|l| l.contains(".safetensors")).count(), 16, "{text}");
    assert!(
        text.lines().filter(|l| l.contains(".safetensors")).all(|l| l.contains(" ok ")),
        "{text}"
    );
    let absent = xtask()
        .args(["checkpoints", "--experiment", "nothing", "--results"])
        .arg(&results)
        .output()
        .unwrap();
    assert!(!absent.status.success());
    assert!(String::from_utf8_lossy(&absent.stderr).contains("nothing"));

    if let Some(reason) = missing("numpy, safetensors") {
        if std::env::var_os("CI").is_some() {
            panic!("the Python snippet must run in CI, but {reason}; install with `python3 -m pip install numpy safetensors`");
        }
        eprintln!("skipping the Python snippet: {reason}");
        return;
    }
    let docs = std::fs::read_to_string(workspace().join("docs/pretraining.md")).unwrap();
    let snippet = docs
        .split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a python block in docs/pretraining.md");
    let output =
        Command::new("python3").args(["-c", snippet]).current_dir(root.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // One line per checkpoint of the first store: step, overlap from the manifest, and the
    // overlap recomputed in numpy from the weight.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 8, "{stdout}");
    for line in lines {
        let fields: Vec<f64> =
            line.split_whitespace().skip(1).take(2).map(|x| x.parse().unwrap()).collect();
        assert!((fields[0] - fields[1]).abs() < 1e-5, "{line}");
    }
}
