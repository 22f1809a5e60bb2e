//! The escape-time scaling kind end to end on a tiny config: outputs, the CSV rows, reuse of
//! stored points, agreement with the ordinary escape runner, and bad scaling configs.

use std::path::Path;

use burn::backend::NdArray;
use goldilocks_experiment::scaling::{ScalingConfig, ScalingOutcome};
use goldilocks_experiment::{AnyConfig, ExperimentKind, RunOptions};

const TINY: &str = include_str!("../data/scaling-tiny.toml");

fn tiny() -> ScalingConfig {
    ScalingConfig::from_toml(TINY, "tests/data/scaling-tiny.toml").unwrap()
}

fn options(root: &Path) -> RunOptions {
    RunOptions {
        results_root: root.to_path_buf(),
        fresh: false,
        show_progress: false,
        command: "cargo xtask experiment --config tests/data/scaling-tiny.toml".into(),
        wait_for_folder: true,
        memory_limit: goldilocks_experiment::default_memory_limit(),
    }
}

fn run(root: &Path) -> ScalingOutcome {
    tiny().run::<NdArray>(&options(root), &Default::default()).unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn tiny_scaling_writes_every_output_with_one_csv_row_per_point() {
    let root = tempfile::tempdir().unwrap();
    let outcome = run(root.path());
    let dir = root.path().join("scaling-tiny");
    assert_eq!((outcome.computed_points, outcome.reused_points), (4, 0));
    for file in
        ["config.toml", "scaling.csv", "report.md", "plots/scaling.svg", "plots/scaling.png"]
    {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    for point in ["he1-n8", "he1-n16", "he3-n8", "he3-n16"] {
        assert!(
            dir.join("points").join(point).join("config.toml").is_file(),
            "{point} config missing"
        );
        let runs: Vec<_> = std::fs::read_dir(dir.join("points").join(point).join("runs"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "jsonl"))
            .collect();
        assert_eq!(runs.len(), 1, "{point}: one ensemble");
    }
    let csv = read(&dir.join("scaling.csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "target,information_exponent,n,learning_rate,max_steps,initial_overlap,seeds,escaped,median,q25,q75");
    assert_eq!(lines.len(), 5);
    let cells: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    let keys: Vec<(&str, &str, &str, &str)> =
        cells.iter().map(|c| (c[0], c[1], c[2], c[6])).collect();
    assert_eq!(
        keys,
        [
            ("he1", "1", "8", "2"),
            ("he1", "1", "16", "2"),
            ("he3", "3", "8", "2"),
            ("he3", "3", "16", "2")
        ]
    );
    // Budgets 40 N and 20 N^2; He3 starts at m0 = N^-1/2; He1 at random.
    assert_eq!(cells.iter().map(|c| c[4]).collect::<Vec<_>>(), ["320", "640", "1280", "5120"]);
    assert_eq!((cells[0][5], cells[2][5], cells[3][5]), ("", "0.353553", "0.25"));
    for (point, row) in outcome.points.iter().zip(&cells) {
        assert_eq!(row[7], point.escaped().to_string());
        assert_eq!(row[8], point.median().map_or(String::new(), |m| format!("{m}")));
    }
    // He1 escapes quickly at every size: its median is known and grows with N.
    let he1: Vec<f64> = outcome.points[..2].iter().map(|p| p.median().unwrap()).collect();
    assert!(he1[1] > he1[0], "{he1:?}");
    assert!(outcome.fits[0].power.is_some());
    let report = read(&dir.join("report.md"));
    assert!(report.contains("he1 (k = 1): a = ") && report.contains("he3 (k = 3)"), "{report}");
    assert!(report.contains("![") && report.contains("plots/scaling.svg"));
}

#[test]
fn a_rerun_reuses_every_point_and_matches_the_escape_runner() {
    let root = tempfile::tempdir().unwrap();
    let first = run(root.path());
    let report = read(&root.path().join("scaling-tiny/report.md"));
    let second = run(root.path());
    assert_eq!((second.computed_points, second.reused_points), (0, 4));
    assert_eq!(second.points, first.points);
    assert_eq!(read(&root.path().join("scaling-tiny/report.md")), report);
    // A point is an ordinary escape-time experiment: run alone, it gives the same escape steps.
    let config = tiny();
    let alone = tempfile::tempdir().unwrap();
    let escape = config
        .point_config(1, 16)
        .run::<NdArray>(&options(alone.path()), &Default::default())
        .unwrap();
    let steps: Vec<Option<usize>> = escape.records.iter().map(|r| r.escape_step).collect();
    assert_eq!(steps, first.points[3].escape_steps);
    assert_eq!(escape.records.iter().map(|r| r.seed).collect::<Vec<_>>(), [5, 6]);
}

#[test]
fn the_kind_key_selects_the_scaling_config() {
    assert!(matches!(AnyConfig::from_toml(TINY, "tiny").unwrap(), AnyConfig::Scaling(_)));
}

/// Replaces `from` (which must occur) in the tiny config.
fn tiny_with(from: &str, to: &str) -> String {
    assert!(TINY.contains(from), "scaling-tiny.toml has no {from:?}");
    TINY.replacen(from, to, 1)
}

#[test]
fn each_bad_scaling_field_is_named() {
    let he1_rate = "learning_rate = { constant = 0.5, exponent = -1 }";
    let he3_start = "initial_overlap = { constant = 1.0, exponent = -0.5 }";
    let cases = [
        (tiny_with("sizes = [8, 16]", "sizes = [8, 16, 0]"), "targets[0].sizes[2]"),
        (tiny_with("sizes = [8, 16]", "sizes = [16, 8]"), "targets[0].sizes[1]"),
        (tiny_with("sizes = [8, 16]", "sizes = [8]"), "targets[0].sizes"),
        (
            tiny_with(he1_rate, "learning_rate = { constant = 0.5, exponent = nan }"),
            "targets[0].learning_rate.exponent",
        ),
        (
            tiny_with(he1_rate, "learning_rate = { constant = -0.5, exponent = -1 }"),
            "targets[0].learning_rate.constant",
        ),
        (
            tiny_with(he1_rate, "learning_rate = { constant = 0.5, exponent = 1000 }"),
            "targets[0].learning_rate",
        ),
        (
            tiny_with(
                "budget = { constant = 40, exponent = 1 }",
                "budget = { constant = 0, exponent = 1 }",
            ),
            "targets[0].budget.constant",
        ),
        (
            tiny_with(
                "budget = { constant = 40, exponent = 1 }",
                "budget = { constant = 40, exponent = 9 }",
            ),
            "targets[0].budget",
        ),
        (
            tiny_with(he3_start, "initial_overlap = { constant = 2.0, exponent = -0.5 }"),
            "targets[1].initial_overlap",
        ),
        (
            tiny_with(he3_start, "initial_overlap = { constant = 0.0, exponent = -0.5 }"),
            "targets[1].initial_overlap.constant",
        ),
        (tiny_with(he3_start, "initial_overlap = { constant = 0.1, power = -0.5 }"), "power"),
        (tiny_with("seeds = 2", "seeds = 0"), "targets[0].seeds"),
        (tiny_with("activation = \"he1\"", "activation = \"relu\""), "targets[0].activation"),
        (tiny_with("activation = \"he1\"", "activation = \"he3\""), "targets[1].activation"),
        (tiny_with("activation = \"he1\"", "activation = \"he31\""), "he31"),
        (tiny_with("threshold = 0.5", "threshold = 1.5"), "threshold"),
        (tiny_with("name = \"scaling-tiny\"", "name = \"a/b\""), "name"),
        (tiny_with("threshold = 0.5", "threshold = 0.5\nsizes = [8]"), "sizes"),
        (TINY.split("[[targets]]").next().unwrap().to_string() + "targets = []", "targets"),
    ];
    for (text, field) in cases {
        let message = match AnyConfig::from_toml(&text, "test.toml") {
            Ok(_) => panic!("config was accepted:\n{text}"),
            Err(error) => error.to_string(),
        };
        assert!(message.contains(field), "error {message:?} does not name {field:?}");
    }
}

#[test]
fn an_invalid_scaling_config_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let mut config = tiny();
    config.targets[1].sizes = vec![8, 8];
    let error = config.run::<NdArray>(&options(root.path()), &Default::default()).unwrap_err();
    assert!(error.to_string().contains("targets[1].sizes[1]"), "{error}");
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
}
