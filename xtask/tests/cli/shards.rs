//! Shards and merge: a tiny config of each kind run as 3 shard processes and merged gives the
//! files of the one-machine run byte for byte; a shard rerun after a crash recomputes only
//! its own unfinished units; a merge with a missing or damaged unit names it and its shard
//! and writes nothing; bad `--shard` values are clear errors.

use std::path::{Path, PathBuf};

use super::{experiment, files_under, xtask};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data").join(name)
}

fn succeeded(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn merge(config: &Path, results: &Path) -> std::process::Output {
    xtask()
        .args(["merge", "--quiet", "--config"])
        .arg(config)
        .arg("--results")
        .arg(results)
        .output()
        .unwrap()
}

/// Runs `config` as `shards` shard processes (stage by stage when `staged`).
fn run_shards(config: &Path, results: &Path, shards: usize, staged: bool) {
    let stages: &[&str] = if staged { &["pre-training", "fine-tuning"] } else { &[""] };
    for stage in stages {
        for i in 0..shards {
            let shard = format!("{i}/{shards}");
            let mut extra = vec!["--shard", shard.as_str()];
            if !stage.is_empty() {
                extra.extend(["--stage", stage]);
            }
            succeeded(&experiment(config, results, &extra));
        }
    }
}

/// The one-machine run's files, without the lock file.
fn one_machine_files(config: &Path, root: &Path, name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    succeeded(&experiment(config, root, &[]));
    without_shards(&root.join(name))
}

/// The files of an experiment folder, without its shards' folders and the lock file.
fn without_shards(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .filter(|(path, _)| !path.starts_with("shards") && !path.ends_with(".lock"))
        .collect()
}

fn assert_merge_reproduces(config: &str, name: &str, staged: bool) {
    let config = data(config);
    let root = tempfile::tempdir().unwrap();
    let sharded = root.path().join("sharded");
    run_shards(&config, &sharded, 3, staged);
    succeeded(&merge(&config, &sharded));
    let merged = without_shards(&sharded.join(name));
    let single = one_machine_files(&config, &root.path().join("single"), name);
    let names: Vec<_> = merged.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(names, single.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>());
    assert!(names.iter().any(|p| p.ends_with("report.md")), "{names:?}");
    for ((path, a), (_, b)) in merged.iter().zip(&single) {
        assert!(a == b, "{} differs between the merged and the one-machine run", path.display());
    }
}

#[test]
fn three_escape_shards_merge_into_the_one_machine_files() {
    assert_merge_reproduces("tiny.toml", "tiny", false);
}

#[test]
fn three_scaling_shards_merge_into_the_one_machine_files() {
    assert_merge_reproduces("scaling-tiny.toml", "scaling-tiny", false);
}

#[test]
fn three_pretrain_shards_merge_into_the_one_machine_files() {
    assert_merge_reproduces("pretrain-tiny.toml", "pretrain", true);
}

#[test]
fn fine_tuning_before_its_pre_training_names_the_shard_to_run_first() {
    let root = tempfile::tempdir().unwrap();
    let output = experiment(&data("pretrain-tiny.toml"), root.path(), &["--shard", "2/3"]);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("of shard 0/3, which has not finished"), "{error}");
}

/// A crash leaves finished unit files (each written atomically) and perhaps the temporary
/// file of a write in flight; the rerun of that shard recomputes only its missing units and
/// leaves every other shard's files, in-flight temporary files included, alone.
#[test]
fn a_rerun_shard_recomputes_only_its_own_unfinished_units() {
    let config = data("tiny.toml");
    let root = tempfile::tempdir().unwrap();
    run_shards(&config, root.path(), 2, false);
    let shard0 = root.path().join("tiny/shards/0-of-2");
    let shard1 = root.path().join("tiny/shards/1-of-2");
    let unit = std::fs::read_dir(shard0.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .unwrap();
    let finished = std::fs::read(&unit).unwrap();
    std::fs::remove_file(&unit).unwrap();
    std::fs::write(shard0.join("runs/.unit.jsonl.tmp-4194304-0"), b"half").unwrap();
    let in_flight = shard1.join("runs/.other.jsonl.tmp-4194305-0");
    std::fs::write(&in_flight, b"another shard's write").unwrap();
    let other_before = files_under(&shard1);

    let rerun = experiment(&config, root.path(), &["--shard", "0/2"]);
    assert!(succeeded(&rerun).contains("shard 0/2: 1 units computed, 3 reused"));
    assert_eq!(std::fs::read(&unit).unwrap(), finished, "recomputed to the same bytes");
    assert_eq!(files_under(&shard1), other_before, "another shard's folder was touched");
    assert!(in_flight.exists());
}

#[test]
fn a_merge_with_a_missing_or_damaged_unit_names_it_and_writes_nothing() {
    let config = data("tiny.toml");
    let root = tempfile::tempdir().unwrap();
    run_shards(&config, root.path(), 3, false);
    let runs = root.path().join("tiny/shards/1-of-3/runs");
    let mut units: Vec<PathBuf> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    units.sort();
    std::fs::remove_file(&units[0]).unwrap();
    let mut damaged = std::fs::read(&units[1]).unwrap();
    damaged[10] ^= 1;
    std::fs::write(&units[1], damaged).unwrap();

    let output = merge(&config, root.path());
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    for unit in &units[..2] {
        let name = unit.file_name().unwrap().to_string_lossy();
        assert!(error.contains(&*name), "{name} is not named: {error}");
    }
    assert!(error.contains("missing") && error.contains("SHA-256"), "{error}");
    assert_eq!(error.matches("of shard 1/3").count(), 2, "{error}");
    let written: Vec<_> = without_shards(&root.path().join("tiny"))
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| !p.ends_with("config.toml"))
        .collect();
    assert!(written.is_empty(), "a failed merge wrote {written:?}");
}

#[test]
fn bad_shards_are_clear_errors() {
    let root = tempfile::tempdir().unwrap();
    for (shard, expected) in [
        ("3/2", "below the count"),
        ("0/0", "at least 1"),
        ("x", "expected i/n"),
        ("auto", "SLURM_ARRAY_TASK_ID"),
    ] {
        let output = xtask()
            .args(["experiment", "--quiet", "--shard", shard, "--results"])
            .arg(root.path())
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .output()
            .unwrap();
        assert!(!output.status.success(), "--shard {shard} was accepted");
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(error.contains(expected), "--shard {shard}: {error}");
    }
    assert!(files_under(root.path()).is_empty(), "a refused shard wrote files");
}

#[test]
fn shard_auto_reads_the_job_engines_index() {
    let root = tempfile::tempdir().unwrap();
    let config = data("tiny.toml");
    let slurm = super::experiment_command(&config, root.path())
        .args(["--shard", "auto"])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "4")
        .output()
        .unwrap();
    assert!(succeeded(&slurm).contains("shard 1/4: 2 units computed"));
    let kubernetes = super::experiment_command(&config, root.path())
        .args(["--shard", "auto", "--shards", "4"])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env("JOB_COMPLETION_INDEX", "2")
        .output()
        .unwrap();
    assert!(succeeded(&kubernetes).contains("shard 2/4: 2 units computed"));
}

#[test]
fn slurm_scripts_run_the_array_then_the_merge() {
    let root = tempfile::tempdir().unwrap();
    let output = xtask()
        .args(["slurm", "--config"])
        .arg(data("pretrain-tiny.toml"))
        .arg("--results")
        .arg(root.path())
        .args(["--shards", "3", "--partition", "debug", "--time", "0:10:00", "--array-limit", "2"])
        .args(["--cpus-per-task", "2"])
        .output()
        .unwrap();
    succeeded(&output);
    let dir = root.path().join("pretrain/slurm");
    let pre = std::fs::read_to_string(dir.join("pretraining.sbatch")).unwrap();
    let shards = std::fs::read_to_string(dir.join("shards.sbatch")).unwrap();
    let merge = std::fs::read_to_string(dir.join("merge.sbatch")).unwrap();
    for line in [
        "#SBATCH --array=0-2%2",
        "#SBATCH --partition=debug",
        "#SBATCH --time=0:10:00",
        "#SBATCH --cpus-per-task=2",
        "export RAYON_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"",
    ] {
        assert!(pre.contains(line) && shards.contains(line), "{line} missing:\n{shards}");
    }
    assert!(pre.contains("--shard auto --shards 3 --stage pre-training"), "{pre}");
    assert!(shards.contains("--shard auto --shards 3 --stage fine-tuning"), "{shards}");
    assert!(shards.contains("/slurm/logs/shards-%a.log"), "{shards}");
    assert!(merge.contains(" merge --config ") && !merge.contains("--array"), "{merge}");
}
