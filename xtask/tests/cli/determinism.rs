//! Runs are bitwise reproducible across thread counts: the same config run with one and
//! with two rayon threads writes byte-identical records, summary, report and plots, with
//! full and with projected inputs, at a size where the backend's kernels split their work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{experiment_command, files_under};

const TINY: &str = include_str!("../../../tests/data/tiny.toml");

fn run(config: &Path, results: &Path, threads: &str, inputs: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    let output = experiment_command(config, results)
        .env("RAYON_NUM_THREADS", threads)
        .args(["--set", &format!("training.inputs={inputs}")])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut files = files_under(&results.join("tiny"));
    files.remove(Path::new(".lock"));
    files
}

#[test]
fn one_and_two_threads_write_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tiny.toml");
    // N = 1000 and B = 500, the paper's sizes, so that matrix products and reductions are
    // large enough to be split across threads.
    let text =
        TINY.replace("input_dim = 64", "input_dim = 1000").replace("batch = 32", "batch = 500");
    assert!(text.contains("input_dim = 1000") && text.contains("batch = 500"));
    std::fs::write(&config, text).unwrap();
    for inputs in ["full", "projected"] {
        let one = run(&config, &dir.path().join(format!("{inputs}-1")), "1", inputs);
        let two = run(&config, &dir.path().join(format!("{inputs}-2")), "2", inputs);
        assert!(one.keys().any(|p| p.starts_with("runs")), "{:?}", one.keys());
        let differing: Vec<&PathBuf> = one.keys().filter(|p| one.get(*p) != two.get(*p)).collect();
        assert!(
            differing.is_empty() && one.len() == two.len(),
            "{inputs} inputs: {differing:?} differ between 1 and 2 threads"
        );
    }
}
