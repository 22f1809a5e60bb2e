//! `--set` overrides, `--dry-run` and `plan`: an override is checked like the file and
//! recorded in the resolved config; a dry run prints the plan and writes nothing; `plan
//! --json` gives the unit count that sizes a job array; a bad override is one clear error
//! with nothing written.

use crate::{experiment, xtask};

const TINY: &str = include_str!("../../../tests/data/tiny.toml");

#[test]
fn a_dry_run_prints_the_plan_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let output = xtask()
        .args(["experiment", "--dry-run", "--set", "sweep.mu=[0.2]", "--results"])
        .arg(&results)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The default config: 2 activations x 1 mu x 2 starts, 4 000 steps per run.
    assert!(stdout.contains("experiment default (kind escape)"), "{stdout}");
    assert!(stdout.contains("4 units, at most"), "{stdout}");
    assert!(stdout.contains("random-start, rank 1: relu, mu = 0.2"), "{stdout}");
    assert!(stdout.contains("nothing written (--dry-run)"), "{stdout}");
    assert!(!results.exists(), "a dry run writes nothing");
}

#[test]
fn an_override_is_validated_used_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tiny.toml");
    std::fs::write(&config, TINY).unwrap();
    let results = dir.path().join("results");
    let sets = ["--set", "name=tiny-set", "--set", "starts[1].seeds=2", "--set", "sweep.mu=[0.6]"];
    let output = experiment(&config, &results, &sets);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let folder = results.join("tiny-set");
    let resolved = std::fs::read_to_string(folder.join("config.toml")).unwrap();
    assert!(resolved.contains("name = \"tiny-set\""), "{resolved}");
    assert!(resolved.contains("name = \"random-start\"\nseeds = 2"), "{resolved}");
    let summary = std::fs::read_to_string(folder.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 1 + 4, "2 activations x 1 mu x 2 starts: {summary}");
    assert!(summary.lines().skip(1).all(|l| l.contains(",0.6,")), "{summary}");
    let report = std::fs::read_to_string(folder.join("report.md")).unwrap();
    assert!(report.contains("--set 'starts[1].seeds=2'"), "the report's command has the override");
}

#[test]
fn a_bad_override_is_one_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tiny.toml");
    std::fs::write(&config, TINY).unwrap();
    let results = dir.path().join("results");
    let cases: [(&str, &[&str]); 5] = [
        (
            "training.learnig_rate=0.1",
            &["--set training.learnig_rate", "unknown field `learnig_rate`"],
        ),
        ("training.learning_rate=-1", &["training.learning_rate", "positive"]),
        ("starts[5].seeds=1", &["--set starts[5].seeds", "out of range"]),
        ("model.batch=\"many\"", &["invalid type", "batch"]),
        ("kind=\"vit\"", &["`kind` selects the config's type"]),
    ];
    for (set, expected) in cases {
        let output = experiment(&config, &results, &["--set", set]);
        assert!(!output.status.success(), "{set} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        for part in expected {
            assert!(stderr.contains(part), "{set}: {stderr}");
        }
        assert_eq!(stderr.lines().filter(|l| l.starts_with("error")).count(), 1, "{stderr}");
        assert!(!results.exists(), "{set}: nothing written");
    }
}

#[test]
fn plan_json_counts_the_units_of_a_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tiny.toml");
    std::fs::write(&config, TINY).unwrap();
    let plan = |extra: &[&str]| -> serde_json::Value {
        let output =
            xtask().args(["plan", "--json", "--config"]).arg(&config).args(extra).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    // 2 activations x 2 mu x 2 starts; 2 and 3 seeds of 400 steps.
    let all = plan(&[]);
    assert_eq!((all["experiment"].as_str(), all["kind"].as_str()), (Some("tiny"), Some("escape")));
    assert_eq!(all["count"], 8);
    let units = all["units"].as_array().unwrap();
    assert!(units.iter().enumerate().all(|(i, u)| u["index"] == i));
    let total: u64 = units.iter().map(|u| u["max_steps"].as_u64().unwrap()).sum();
    assert_eq!((all["max_steps"].as_u64(), total), (Some(4 * (2 + 3) * 400), 4 * (2 + 3) * 400));
    assert_eq!(plan(&["--set", "sweep.mu=[0.2]"])["count"], 4);
}
