//! Writes a small checkpoint store into the folder given as the first argument, so that it
//! can be read from Python:
//!
//! ```text
//! cargo run -p goldilocks-store --example write_checkpoint -- /tmp/ckpts
//! python3 -c "from safetensors.numpy import load_file; print(load_file('/tmp/ckpts/step-00000004.safetensors'))"
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;

use goldilocks_store::{CheckpointStore, NamedTensor, StoreError};

fn run(dir: &str) -> Result<(), StoreError> {
    let mut store = CheckpointStore::open(dir, "example-config")?;
    for step in [0usize, 1, 2, 4] {
        let s = step as f32;
        let w = NamedTensor::new("student.w", vec![2, 3], vec![s, 1.0, 2.0, 3.0, 4.0, 5.5])?;
        let a = NamedTensor::new("student.a", vec![3], vec![-s, 0.25, 1e-7])?;
        let metrics = BTreeMap::from([("loss".to_string(), 1.0 / (1.0 + step as f64))]);
        store.save(step, &[w, a], metrics, "teacher")?;
    }
    for entry in store.list() {
        println!(
            "{:>6}  {}  {}  {}",
            entry.step, entry.stored.file, entry.source, entry.stored.sha256
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: write_checkpoint <folder>");
        return ExitCode::FAILURE;
    };
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
