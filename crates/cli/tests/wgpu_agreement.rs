//! The wgpu backend (its CubeCL step, inputs drawn in the kernels) against flex on
//! configs/checks/backend-check.toml, through the installed binary: every variant's mean
//! escape step agrees within seed noise; and without a usable device the backend is one clear
//! error before anything is written. Runs where a Vulkan device exists, for example
//! Mesa's software driver (Debian's mesa-vulkan-drivers); `.ci/run` installs it and runs
//! `cargo test -p goldilocks-cli --features wgpu --test wgpu_agreement`.
#![cfg(feature = "wgpu")]

use std::path::Path;
use std::process::Command;

/// Runs the binary with `args`, failing the test with its output when it fails.
fn goldilocks(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_goldilocks")).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "goldilocks {}: {}\n{stdout}\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The escape steps of the 32 runs (linear and relu at mu = 0.2 and 0.5, 4 seeds from a
/// prescribed m0 and 4 from random V, N = 256, B = 128, 600 steps) agree within seed noise
/// between wgpu and flex; both draw the same inputs (to float rounding), so most runs escape
/// at the very same step.
#[test]
fn wgpu_escape_steps_agree_with_flex_within_seed_noise() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs/checks/backend-check.toml");
    let root = tempfile::tempdir().unwrap();
    let folder = |backend: &str| root.path().join(backend);
    for backend in ["wgpu", "flex"] {
        let results = folder(backend);
        let results = results.to_str().unwrap();
        goldilocks(&[
            "experiment",
            "--config",
            config,
            "--backend",
            backend,
            "--results",
            results,
            "--quiet",
        ]);
    }
    let experiment = |backend: &str| folder(backend).join("backend-check");
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let report = goldilocks(&["compare", &path(&experiment("wgpu")), &path(&experiment("flex"))]);
    println!("{report}");
    assert!(report.contains("32 runs"), "{report}");
    assert!(report.contains("within seed noise"), "{report}");
    let same: usize = report
        .split(" with the same escape step")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|count| count.parse().ok())
        .expect("the count of runs with the same escape step");
    assert!(same >= 24, "only {same} of 32 runs escape at the same step on both backends");
}

/// With the Vulkan driver hidden (an ICD list that names no file), `--backend wgpu` finds no
/// device: one error naming the backend, a non-zero exit, and no results folder.
#[test]
fn wgpu_without_a_device_is_one_clear_error_and_writes_nothing() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs/checks/backend-check.toml");
    let root = tempfile::tempdir().unwrap();
    let results = root.path().join("results");
    let output = Command::new(env!("CARGO_BIN_EXE_goldilocks"))
        .args(["experiment", "--config", config, "--backend", "wgpu", "--quiet", "--results"])
        .arg(&results)
        .env("VK_ICD_FILENAMES", root.path().join("no-driver.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("backend wgpu could not run: no usable wgpu device on this machine"),
        "{stderr}"
    );
    assert!(!results.exists(), "a results folder was made: {}", results.display());
}
