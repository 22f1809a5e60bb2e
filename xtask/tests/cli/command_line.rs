//! The xtask binary on bad input: one clear message, a non-zero exit, nothing written.

use crate::{experiment, experiment_command, xtask};

#[test]
fn a_bad_config_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "name = \"bad\"\n[model]\ninput_dim = 10\nbatch = 0\n[training]\nlearning_rate = 0.1\nmax_steps = 5\n[sweep]\nactivations = [\"linear\"]\nmu = [0.5]\n[[starts]]\nname = \"a\"\nseeds = 1\n").unwrap();
    let results = dir.path().join("results");
    let output = experiment(&config, &results, &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("model.batch"), "stderr: {stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error")).count(), 1, "stderr: {stderr}");
    assert!(!results.exists());
}

#[test]
fn a_missing_config_file_fails_cleanly() {
    let output =
        xtask().args(["experiment", "--config", "/nonexistent/config.toml"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/config.toml"));
}

#[test]
fn an_unknown_flag_fails_cleanly() {
    let output = xtask().args(["experiment", "--backend", "tpu"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("tpu"));
}

#[test]
fn theory_tau_prints_a_table() {
    let output =
        xtask().args(["theory", "tau", "--activation", "linear", "--mu", "0.5"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The closed form for the linear case: tau = (1 + sqrt(1 + 4 (1 - mu)^2)) / (2 (1 - mu)^2).
    let expected = (1.0 + (1.0f64 + 4.0 * 0.25).sqrt()) / (2.0 * 0.25);
    let row =
        stdout.lines().find(|l| l.trim_start().starts_with("0.5000")).expect("a row for mu = 0.5");
    let value: f64 = row.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((value - expected).abs() < 1e-5, "{value} vs {expected}");
}

/// The two variants part on relu (corrected = 2 x linear, published higher); an unknown
/// variant is one clear error.
#[test]
fn theory_tau_variants() {
    let tau_at_half = |variant: &str| -> f64 {
        let output = xtask()
            .args(["theory", "tau", "--activation", "relu", "--mu", "0.5", "--variant", variant])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let row =
            stdout.lines().find(|l| l.trim_start().starts_with("0.5000")).unwrap().to_string();
        row.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let linear = (1.0 + (1.0f64 + 4.0 * 0.25).sqrt()) / (2.0 * 0.25);
    assert!((tau_at_half("corrected") - 2.0 * linear).abs() < 1e-5);
    assert!(tau_at_half("published") > 2.0 * linear + 1.0);
    let output = xtask()
        .args(["theory", "tau", "--activation", "relu", "--mu", "0.5", "--variant", "fitted"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown tau variant \"fitted\""), "{stderr}");
}

#[test]
fn theory_ode_without_records_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/ode/n250.toml");
    let output = xtask()
        .args([
            "theory",
            "ode",
            "--activation",
            "linear",
            "--mu",
            "0.5",
            "--config",
            config,
            "--results",
        ])
        .arg(dir.path())
        .arg("--output")
        .arg(dir.path().join("ode.svg"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no stored runs") && stderr.contains("ode-n250"), "stderr: {stderr}");
    assert!(!dir.path().join("ode.svg").exists());
}

#[test]
fn a_data_folder_for_a_synthetic_config_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/pretrain-tiny.toml");
    let results = dir.path().join("results");
    let output = xtask()
        .args(["experiment", "--quiet", "--data", "/some/folder", "--config"])
        .arg(&config)
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--data applies only"), "stderr: {stderr}");
    assert!(!results.exists());
}

/// Holds the lock of `<results>/pretrain/` as a running experiment would: the folder's
/// `.lock` file, locked, holding this process's id.
fn hold_folder(results: &std::path::Path) -> std::fs::File {
    let folder = results.join("pretrain");
    std::fs::create_dir_all(&folder).unwrap();
    let lock = std::fs::File::create(folder.join(".lock")).unwrap();
    lock.lock().unwrap();
    std::fs::write(folder.join(".lock"), format!("{}\n", std::process::id())).unwrap();
    lock
}

#[test]
fn a_second_writer_of_a_results_folder_refuses_or_waits() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let config =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/pretrain-tiny.toml");
    let run = |extra: &[&str]| {
        let mut command = experiment_command(&config, &results);
        command.args(extra);
        command
    };
    let held = hold_folder(&results);
    let refused = run(&["--no-wait"]).output().unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("in use by another run")
            && stderr.contains(&std::process::id().to_string()),
        "stderr: {stderr}"
    );
    assert!(!results.join("pretrain/config.toml").exists(), "nothing written while refused");

    let mut waiting = run(&[]).stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(waiting.try_wait().unwrap().is_none(), "the second writer waits");
    assert!(!results.join("pretrain/config.toml").exists(), "nothing written while waiting");
    drop(held);
    let output = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");
    assert!(stderr.contains("waiting for process"), "stderr: {stderr}");
    assert!(results.join("pretrain/finetune.csv").is_file());
}
