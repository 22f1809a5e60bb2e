//! Memory planned before allocation: the estimate of an ensemble's peak memory against the
//! measured peak resident memory of a run, and a size that could never fit refused at once.

use std::path::Path;
use std::time::{Duration, Instant};

use goldilocks_experiment::escape::{ensemble_bytes, EscapeConfig};
use goldilocks_experiment::pretrain::{pretrain_bytes, PretrainConfig};
use goldilocks_experiment::ExperimentKind;

use crate::{experiment_command, xtask};

/// An escape config of 6 seeds x 2 variants at `input_dim` N, 30 steps.
fn config(input_dim: usize) -> String {
    format!(
        "name = \"memory\"\n[model]\ninput_dim = {input_dim}\nbatch = 128\ntest_size = 256\n\
         [training]\nlearning_rate = 0.2\nmax_steps = 30\nsettle_steps = 10\n\
         [sweep]\nactivations = [\"linear\"]\nmu = [0.2, 0.6]\n\
         [[starts]]\nname = \"random-start\"\nseeds = 6\n\
         [record]\ngrid = {{ kind = \"log\", points = 5, include_zero = true }}\n"
    )
}

/// A pretrain config of 6 seeds x 4 checkpoints at `input_dim` N, LoRA rank 4 and full
/// fine-tuning, 20 steps.
fn pretrain_config(input_dim: usize) -> String {
    format!(
        "kind = \"pretrain\"\nname = \"memory\"\n\
         [model]\ninput_dim = {input_dim}\nbatch = 128\ntest_size = 256\nactivation = \"relu\"\n\
         [pretraining]\nsources = [{{ kind = \"same\" }}]\nsteps = 8\n\
         learning_rate = {{ kind = \"constant\", lr = 0.05 }}\ninit_norm = 0.1\n\
         checkpoints = {{ kind = \"list\", steps = [0, 2, 4, 8] }}\n\
         [finetuning]\nranks = [4]\nlearning_rate = 0.2\nfull_learning_rate = 0.2\nseeds = 6\n\
         max_steps = 20\ntarget_loss = 1e-6\n"
    )
}

/// Runs the experiment of `text` and returns the peak resident bytes of the process
/// (VmHWM, read until it exits).
fn peak_resident_bytes(dir: &Path, name: &str, text: &str) -> f64 {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    let mut child = experiment_command(&path, &dir.join(name))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0.0;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:")) {
                peak_kib = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(child.wait().unwrap().success());
    peak_kib * 1024.0
}

/// Checks measured <= estimate <= 4 x measured for what N = 10 000 adds over N = 64: the
/// measured peak resident memory of the runs of `config(N)` against `estimate(config(N))`.
fn assert_estimate_bounds_the_measured_peak(
    config: fn(usize) -> String,
    estimate: fn(&str) -> f64,
) {
    if !Path::new("/proc/self/status").exists() {
        eprintln!("skipping: no /proc to read the peak resident memory from");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let baseline = peak_resident_bytes(dir.path(), "small", &config(64));
    let big = peak_resident_bytes(dir.path(), "big", &config(10_000));
    let measured = big - baseline;
    let estimate = estimate(&config(10_000)) - estimate(&config(64));
    assert!(
        measured <= estimate && estimate <= 4.0 * measured,
        "measured {:.1} MiB, estimated {:.1} MiB",
        measured / 1048576.0,
        estimate / 1048576.0
    );
}

/// The estimate is an upper bound of what a run adds to the process, and not a loose one:
/// measured, N = 10 000 adds about 100 MiB over N = 64 and the estimate says about 210 MiB.
#[test]
fn the_memory_estimate_bounds_the_measured_peak_within_a_factor_of_four() {
    assert_estimate_bounds_the_measured_peak(config, |text| {
        ensemble_bytes(&EscapeConfig::from_toml(text, "memory").unwrap(), 1, 6, 2)
    });
}

/// The same for the pretrain kind: measured, N = 10 000 adds about 80 MiB over N = 64 and
/// the estimate says about 127 MiB.
#[test]
fn the_pretrain_memory_estimate_bounds_the_measured_peak_within_a_factor_of_four() {
    assert_estimate_bounds_the_measured_peak(pretrain_config, |text| {
        pretrain_bytes(&PretrainConfig::from_toml(text, "memory").unwrap())
    });
}

#[test]
fn an_input_dimension_that_cannot_fit_is_refused_at_once_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/default.toml"),
    )
    .unwrap()
    .replace("input_dim = 1000 ", "input_dim = 100000000000 ");
    assert!(text.contains("100000000000"));
    std::fs::write(&path, text).unwrap();
    let results = dir.path().join("results");
    let started = Instant::now();
    let output = xtask()
        .args(["experiment", "--quiet", "--memory-limit", "16GiB", "--config"])
        .arg(&path)
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("model.input_dim = 100000000000")
            && stderr.contains("memory limit of 16.0 GiB"),
        "stderr: {stderr}"
    );
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error")).count(), 1, "stderr: {stderr}");
    assert!(!results.exists(), "nothing written");
    // Refused from the plan alone: no tensor is allocated (a generous bound for slow CI).
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
}
