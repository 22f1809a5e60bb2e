//! Cross-checks in Python of the files burn writes.
//!
//! `numpy_recomputes_burn_outputs` needs python3 with numpy and safetensors: with the
//! environment variable CI set it fails when they are missing, elsewhere it skips with a
//! printed reason. `peft_loads_the_burn_adapter` needs torch and peft and skips without them.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use goldilocks_lora::peft_files::{write_safetensors, HostTensor};
use goldilocks_lora::{save_adapter, LoraConfig};

use crate::common::{host, tensor, Net, B};
use crate::round_trip::{adapted_net, adapted_net_with_head, input};

const PIP_HINT: &str = "python3 -m pip install numpy safetensors";

/// Why `python3 -c "import <modules>"` fails, if it does.
fn missing(modules: &str) -> Option<String> {
    match Command::new("python3").args(["-c", &format!("import {modules}")]).output() {
        Err(e) => Some(format!("python3 cannot be run: {e}")),
        Ok(out) if !out.status.success() => Some(format!(
            "python3 cannot import {modules}: {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        )),
        Ok(_) => None,
    }
}

/// The two cases: adapters on both layers; an adapter on lin0 with lin1 retrained in full and
/// saved with it (`modules_to_save`), beside the base model's lin1 from before.
fn cases() -> Vec<(Net<B>, BTreeMap<String, HostTensor>, LoraConfig)> {
    let (net, config) = adapted_net(21);
    let base = net.state_dict();
    vec![(net, base, config), adapted_net_with_head(22)]
}

/// Writes the adapter, the base weights and the input and burn's outputs into `dir`.
fn write_case(
    dir: &Path,
    (net, base, config): &(Net<B>, BTreeMap<String, HostTensor>, LoraConfig),
) {
    save_adapter(net, config, dir).unwrap();
    let metadata = BTreeMap::from([("format".to_string(), "pt".to_string())]);
    write_safetensors(&dir.join("base_model.safetensors"), base, &metadata).unwrap();
    let x = tensor(&input());
    let io = BTreeMap::from([
        ("input".to_string(), input()),
        ("lin0_output".to_string(), host(net.lin0.forward(x.clone()))),
        ("output".to_string(), host(net.forward(x))),
    ]);
    write_safetensors(&dir.join("io.safetensors"), &io, &metadata).unwrap();
}

fn run_script(script: &str, dir: &Path) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python").join(script);
    let out = Command::new("python3").arg(&path).arg(dir).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed:\n{text}");
    assert!(text.contains("OK"), "{script} printed no verdict:\n{text}");
    println!("{text}");
}

#[test]
fn numpy_recomputes_burn_outputs() {
    if let Some(reason) = missing("numpy, safetensors") {
        if std::env::var_os("CI").is_some() {
            panic!("the numpy cross-check must run in CI, but {reason}; install with `{PIP_HINT}`");
        }
        println!("skipping the numpy cross-check: {reason} (install with `{PIP_HINT}`)");
        return;
    }
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        write_case(dir.path(), &case);
        run_script("check_numpy.py", dir.path());
    }
}

#[test]
fn peft_loads_the_burn_adapter() {
    if let Some(reason) = missing("torch, peft, safetensors") {
        println!("skipping the PyTorch + PEFT cross-check: {reason}");
        return;
    }
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        write_case(dir.path(), &case);
        run_script("check_peft.py", dir.path());
    }
}
