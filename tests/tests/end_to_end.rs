//! End-to-end runs of tiny configs: outputs, snapshots, reuse of stored records, recovery
//! from a damaged records file, and the independence of a run from its ensemble.

use std::path::Path;

use burn::backend::NdArray;
use goldilocks_experiment::escape::{plan_ensembles, run_ensemble, EnsemblePlan, EscapeConfig};
use goldilocks_experiment::{ExperimentKind, RunOptions};

const TINY: &str = include_str!("../data/tiny.toml");

fn tiny() -> EscapeConfig {
    EscapeConfig::from_toml(TINY, "tests/data/tiny.toml").unwrap()
}

fn options(root: &Path) -> RunOptions {
    RunOptions {
        results_root: root.to_path_buf(),
        fresh: false,
        show_progress: false,
        command: "cargo xtask experiment --config tests/data/tiny.toml".into(),
        wait_for_folder: true,
        memory_limit: goldilocks_experiment::default_memory_limit(),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn tiny_experiment_writes_every_output_and_snapshots_match() {
    let root = tempfile::tempdir().unwrap();
    let config = tiny();
    let outcome = config.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    let dir = root.path().join("tiny");
    assert_eq!(outcome.dir, dir);
    assert_eq!(outcome.computed_ensembles, 2);
    // 2 activations x 2 strengths x (2 + 3 seeds).
    assert_eq!(outcome.records.len(), 20);
    assert_eq!(outcome.rows.len(), 8);
    for file in [
        "config.toml",
        "summary.csv",
        "report.md",
        "plots/escape-time.svg",
        "plots/overlap-relu-random-start-r1.svg",
        "plots/escape-time.png",
        "plots/overlap-relu-random-start-r1.png",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    // Each PNG is the rendering of the SVG beside it.
    let svg = read(&dir.join("plots/escape-time.svg"));
    assert_eq!(
        std::fs::read(dir.join("plots/escape-time.png")).unwrap(),
        goldilocks_analysis::plot::png_copy(&svg).unwrap()
    );
    // The resolved config reads back as the same config.
    assert_eq!(
        EscapeConfig::from_toml(&read(&dir.join("config.toml")), "config.toml").unwrap(),
        config
    );
    // Every run escaped well within its budget in this easy setting, and m_V was recorded at every step.
    for record in &outcome.records {
        assert!(
            !record.censored,
            "{} mu={} seed={} censored",
            record.activation, record.mu, record.seed
        );
        assert_eq!(record.m_v.len(), record.steps_run);
        assert_eq!(record.grid.step.first(), Some(&0));
        assert!(record.grid.test_loss.iter().all(|x| x.is_finite()));
    }
    // The large-N ODE is drawn over the m_V curves (rank 1, the paper's setting).
    assert!(read(&dir.join("plots/overlap-relu-random-start-r1.svg")).contains("large-N ODE"));
    insta::assert_snapshot!("tiny_summary", read(&dir.join("summary.csv")));
    insta::assert_snapshot!("tiny_report", read(&dir.join("report.md")));
}

#[test]
fn rerun_reuses_stored_records_and_recomputes_a_damaged_file() {
    let root = tempfile::tempdir().unwrap();
    let config = tiny();
    let first = config.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    let summary = read(&root.path().join("tiny/summary.csv"));

    let second = config.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    assert_eq!((second.reused_ensembles, second.computed_ensembles), (2, 0));
    assert_eq!(second.records, first.records);
    assert_eq!(read(&root.path().join("tiny/summary.csv")), summary);

    // Truncate one stored records file: that ensemble alone is recomputed, with the same result.
    let runs_dir = root.path().join("tiny/runs");
    let files = records_files(&runs_dir);
    let damaged = &files[0];
    let text = read(damaged);
    std::fs::write(damaged, &text[..text.len() / 2]).unwrap();
    let third = config.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    assert_eq!((third.reused_ensembles, third.computed_ensembles), (1, 1));
    assert_eq!(third.records, first.records);
    assert_eq!(read(damaged), text);

    // A changed config does not reuse records made for another one.
    let mut changed = config.clone();
    changed.training.learning_rate = 0.1;
    let fourth = changed.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    assert_eq!(fourth.computed_ensembles, 2);
}

/// The JSON-lines records files of a `runs/` folder, sorted (the manifest left out).
fn records_files(runs_dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(runs_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

#[test]
fn an_edited_records_file_that_still_parses_is_named_verified_and_recomputed() {
    let root = tempfile::tempdir().unwrap();
    let config = tiny();
    let first = config.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    let summary = read(&root.path().join("tiny/summary.csv"));
    let dir = root.path().join("tiny");
    let checks = goldilocks_experiment::verify::verify_results_folder(&dir).unwrap();
    assert_eq!(checks.len(), 2);
    assert!(checks.iter().all(|c| c.problem.is_none()), "{checks:?}");

    // One escape step edited: the file still parses and holds every run.
    let edited = &records_files(&dir.join("runs"))[1];
    let text = read(edited);
    let at = text.find("\"escape_step\":").expect("an escape step") + "\"escape_step\":".len();
    let digit = text[at..].chars().next().unwrap();
    assert!(digit.is_ascii_digit(), "{}", &text[at..at + 10]);
    let other = if digit == '1' { '2' } else { '1' };
    std::fs::write(edited, format!("{}{other}{}", &text[..at], &text[at + 1..])).unwrap();
    let problems: Vec<_> = goldilocks_experiment::verify::verify_results_folder(&dir)
        .unwrap()
        .into_iter()
        .filter(|c| c.problem.is_some())
        .collect();
    assert_eq!(problems.len(), 1);
    assert_eq!(&problems[0].path, edited);
    assert!(problems[0].problem.as_ref().unwrap().contains("SHA-256"), "{problems:?}");

    let second = config.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    assert_eq!((second.reused_ensembles, second.computed_ensembles), (1, 1));
    assert_eq!(second.records, first.records);
    assert_eq!(read(edited), text);
    assert_eq!(read(&dir.join("summary.csv")), summary);
}

#[test]
fn an_ensemble_over_the_memory_limit_runs_in_chunks_with_the_same_results() {
    let config = tiny();
    let whole_root = tempfile::tempdir().unwrap();
    let whole = config.run::<NdArray>(&options(whole_root.path()), &Default::default()).unwrap();
    // A limit that fits one variant (all its seeds) of the larger start, not two.
    let plans = plan_ensembles(&config);
    let largest = plans.iter().map(|p| p.seeds.len()).max().unwrap();
    let one = goldilocks_experiment::escape::ensemble_bytes(&config, 1, largest, 1);
    let two = goldilocks_experiment::escape::ensemble_bytes(&config, 1, largest, 2);
    assert!(one < two);
    let chunked_root = tempfile::tempdir().unwrap();
    let chunked_options =
        RunOptions { memory_limit: one as u64 + 1, ..options(chunked_root.path()) };
    let chunked = config.run::<NdArray>(&chunked_options, &Default::default()).unwrap();
    assert_eq!(chunked.records, whole.records);
    for file in ["summary.csv", "report.md"] {
        assert_eq!(
            read(&chunked_root.path().join("tiny").join(file)),
            read(&whole_root.path().join("tiny").join(file)),
            "{file}"
        );
    }
    let refused = RunOptions { memory_limit: one as u64 / 2, ..options(chunked_root.path()) };
    let error = config.run::<NdArray>(&refused, &Default::default()).unwrap_err().to_string();
    assert!(error.contains("model.input_dim = 64") && error.contains("memory limit"), "{error}");
}

#[test]
fn diverged_runs_are_data_and_the_other_runs_go_on_unchanged() {
    // At learning rate 1, He3 runs (lr 1/18 by the Hermite rule) blow up at mu = 0.6 while
    // the linear runs beside them in the same ensembles stay finite.
    let mixed_text = TINY
        .replace("learning_rate = 0.2", "learning_rate = 1")
        .replace("activations = [\"linear\", \"relu\"]", "activations = [\"linear\", \"he3\"]");
    let mixed = EscapeConfig::from_toml(&mixed_text, "mixed").unwrap();
    let root = tempfile::tempdir().unwrap();
    let outcome = mixed.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    let diverged: Vec<_> = outcome.records.iter().filter(|r| r.diverged_at.is_some()).collect();
    assert!(!diverged.is_empty(), "some He3 run diverges at this rate");
    for run in &diverged {
        assert_eq!(run.activation, "he3");
        assert!(!run.censored && run.m_v.iter().all(|v| v.is_finite()));
        assert_eq!(run.steps_run, run.m_v.len());
        assert!(run.m_v.len() < run.diverged_at.unwrap());
    }
    let row = outcome.rows.iter().find(|r| r.activation == "he3" && r.mu == 0.6).unwrap();
    assert!(row.diverged > 0 && row.paper_time.is_none(), "{row:?}");
    let summary = read(&root.path().join("tiny/summary.csv"));
    assert!(summary.lines().next().unwrap().contains(",censored,diverged,"), "{summary}");
    let report = read(&root.path().join("tiny/report.md"));
    assert!(report.contains("## Diverged runs") && report.contains("runs diverged)"), "{report}");
    // The stored records read back (no NaN left to become JSON null) and are reused.
    let again = mixed.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    assert_eq!((again.reused_ensembles, again.records), (2, outcome.records.clone()));

    // The linear runs are the same as in an experiment without the diverging He3 runs.
    let linear = EscapeConfig::from_toml(
        &mixed_text.replace("[\"linear\", \"he3\"]", "[\"linear\"]"),
        "linear",
    )
    .unwrap();
    let alone_root = tempfile::tempdir().unwrap();
    let alone = linear.run::<NdArray>(&options(alone_root.path()), &Default::default()).unwrap();
    let beside: Vec<_> =
        outcome.records.iter().filter(|r| r.activation == "linear").cloned().collect();
    let alone_linear: Vec<_> = alone.records;
    assert_eq!(beside, alone_linear);
}

#[test]
fn a_loss_above_the_bound_stops_its_run_as_diverged() {
    // The He3 runs at learning rate 1 blow up; with a loss bound they are stopped at the
    // first grid step whose loss is above it, before their state turns non-finite.
    let mixed_text = TINY
        .replace("learning_rate = 0.2", "learning_rate = 1")
        .replace("activations = [\"linear\", \"relu\"]", "activations = [\"linear\", \"he3\"]");
    let unbounded = EscapeConfig::from_toml(&mixed_text, "mixed").unwrap();
    let bounded = EscapeConfig::from_toml(
        &mixed_text.replace("settle_steps = 10", "settle_steps = 10\nloss_bound = 10"),
        "bounded",
    )
    .unwrap();
    assert_eq!(bounded.training.loss_bound, Some(10.0));
    let (root, bounded_root) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let without = unbounded.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    let with = bounded.run::<NdArray>(&options(bounded_root.path()), &Default::default()).unwrap();
    let mut earlier = 0;
    for (a, b) in without.records.iter().zip(&with.records) {
        assert_eq!((&a.activation, a.mu, a.seed), (&b.activation, b.mu, b.seed));
        if let Some(at) = a.diverged_at {
            let bounded_at = b.diverged_at.expect("a diverging run also passes the bound");
            assert!(bounded_at <= at, "{bounded_at} > {at}");
            earlier += usize::from(bounded_at < at);
        }
        if let Some(at) = b.diverged_at {
            let last = b.grid.test_loss.last().copied().unwrap_or(0.0);
            assert!(last <= 10.0 && b.grid.step.last().is_none_or(|&s| s < at), "{b:?}");
        }
        if b.diverged_at.is_none() {
            assert_eq!(a, b, "a run under the bound is unchanged");
        }
    }
    assert!(earlier > 0, "the bound stops some run before its state is non-finite");
    let written = read(&bounded_root.path().join("tiny/config.toml"));
    assert!(written.contains("loss_bound = 10"), "{written}");

    let bad = mixed_text.replace("settle_steps = 10", "settle_steps = 10\nloss_bound = -1");
    let error = EscapeConfig::from_toml(&bad, "bad").unwrap_err().to_string();
    assert!(error.contains("training.loss_bound") && error.contains("positive"), "{error}");
}

/// A run's trajectory is the same whether it runs alone or inside a larger ensemble.
#[test]
fn a_run_does_not_depend_on_its_ensemble() {
    let config = tiny();
    let plans = plan_ensembles(&config);
    let full = plans.iter().find(|p| p.start.name == "random-start").unwrap();
    let together =
        run_ensemble::<NdArray>(&config, full, &Default::default(), &mut |_| {}).unwrap();
    let variant = full.variants[3];
    let alone_plan =
        EnsemblePlan { seeds: vec![full.seeds[1]], variants: vec![variant], ..full.clone() };
    let alone =
        run_ensemble::<NdArray>(&config, &alone_plan, &Default::default(), &mut |_| {}).unwrap();
    assert_eq!(alone.len(), 1);
    let alone = &alone[0];
    let inside = together
        .iter()
        .find(|r| {
            r.seed == full.seeds[1]
                && r.mu == variant.mu
                && r.activation == variant.pair.to_string()
        })
        .unwrap();
    let common = alone.m_v.len().min(inside.m_v.len());
    assert!(common > 50, "too short to compare: {common} steps");
    if let Some(i) = (0..common).find(|&i| alone.m_v[i] != inside.m_v[i]) {
        panic!("step {}: alone {} vs in ensemble {}", i + 1, alone.m_v[i], inside.m_v[i]);
    }
    assert_eq!(alone.escape_step, inside.escape_step);
    // Grid observables are reductions whose summation order may follow the tensor layout, so
    // they agree to rounding rather than bit for bit.
    let grid_points = alone.grid.step.len().min(inside.grid.step.len());
    let close = |a: &[f64], b: &[f64]| {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-5 * (1.0 + x.abs()))
    };
    assert!(close(&alone.grid.test_loss[..grid_points], &inside.grid.test_loss[..grid_points]));
    assert!(close(&alone.grid.u_norm[..grid_points], &inside.grid.u_norm[..grid_points]));
    assert!(close(
        &alone.grid.student_overlap[..grid_points],
        &inside.grid.student_overlap[..grid_points]
    ));
}

/// The "V only" mode keeps U at 1 on every grid step, so |<S, w*>| = m_V when mu = 0, and
/// linear runs still escape.
#[test]
fn v_only_runs_keep_u_at_one() {
    let text = TINY
        .replace("[training]", "[lora]\ntrain_only_v = true\n\n[training]")
        .replace("mu = [0.2, 0.6]", "mu = [0.0]");
    let config = EscapeConfig::from_toml(&text, "tiny V only").unwrap();
    assert!(config.lora.train_only_v);
    let plan = &plan_ensembles(&config)[1];
    let records = run_ensemble::<NdArray>(&config, plan, &Default::default(), &mut |_| {}).unwrap();
    for record in &records {
        assert!(
            record.grid.u_norm.iter().all(|&u| (u - 1.0).abs() < 1e-6),
            "{:?}",
            record.grid.u_norm
        );
        let last = record.grid.m_v_rows.len() - 1;
        assert!(
            (record.grid.student_overlap[last].abs() - record.grid.m_v_rows[last][0]).abs() < 1e-4
        );
    }
    assert!(records.iter().filter(|r| r.activation == "linear").all(|r| !r.censored));
}

/// Where the large-N dynamics does not describe the runs (label noise here), the report says
/// so, naming the field, and draws no ODE.
#[test]
fn an_inapplicable_config_names_its_reason_in_the_report() {
    let text = TINY
        .replace("test_size = 64", "test_size = 64\nlabel_noise = 0.1")
        .replace("activations = [\"linear\", \"relu\"]", "activations = [\"linear\"]")
        .replace("mu = [0.2, 0.6]", "mu = [0.2]");
    let config = EscapeConfig::from_toml(&text, "tiny with label noise").unwrap();
    assert_eq!(config.model.label_noise, 0.1);
    let root = tempfile::tempdir().unwrap();
    let outcome = config.run::<NdArray>(&options(root.path()), &Default::default()).unwrap();
    let report = read(&outcome.report);
    let section =
        &report[report.find("## Large-N dynamics beside the measured m_V").expect("ODE section")..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    assert!(
        section.contains("Not computed: the deterministic dynamics does not describe these runs")
            && section.contains("model.label_noise"),
        "{section}"
    );
    assert!(!section.contains("| activation |"));
    assert!(!read(&root.path().join("tiny/plots/overlap-linear-random-start-r1.svg"))
        .contains("large-N ODE"));
}

/// Projected inputs (the same SGD law as full batches, other draws) reach the same escape
/// times within seed noise on the tiny config, and the seeds of a variant share their length.
/// Escape times are a coarse check: the one-step moment test of the ensemble pins the law
/// (this one does not notice a missing orthogonal part of the update, for instance).
#[test]
fn projected_inputs_escape_like_full_batches() {
    let mut projected = tiny();
    projected.training.inputs = goldilocks_experiment::escape::InputSampling::Projected;
    // Escape steps of every seed, per (start, activation, mu), in plan order.
    let escapes = |config: &EscapeConfig| -> Vec<Vec<f64>> {
        let records: Vec<_> = plan_ensembles(config)
            .iter()
            .flat_map(|plan| {
                run_ensemble::<NdArray>(config, plan, &Default::default(), &mut |_| {}).unwrap()
            })
            .collect();
        let mut variants: Vec<(String, String, f64)> = Vec::new();
        let mut steps: Vec<Vec<f64>> = Vec::new();
        for record in &records {
            assert_eq!(record.m_v.len(), record.steps_run);
            let key = (record.start.clone(), record.activation.clone(), record.mu);
            let index = variants.iter().position(|v| *v == key).unwrap_or_else(|| {
                variants.push(key);
                steps.push(Vec::new());
                variants.len() - 1
            });
            let first = records
                .iter()
                .find(|r| (r.start.clone(), r.activation.clone(), r.mu) == variants[index])
                .unwrap();
            assert_eq!(
                record.steps_run, first.steps_run,
                "{} mu={}: the seeds of one variant differ in length",
                record.activation, record.mu
            );
            // A censored run counts at its budget, for both kinds of input alike.
            steps[index].push(record.escape_step.unwrap_or(record.max_steps) as f64);
        }
        steps
    };
    let (full, projected) = (escapes(&tiny()), escapes(&projected));
    // A test stratified by variant: the sum of the differences of the seed means over the
    // standard error of that sum from the spread between seeds.
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let variance_of_mean = |x: &[f64]| {
        x.iter().map(|v| (v - mean(x)).powi(2)).sum::<f64>() / (x.len() * (x.len() - 1)) as f64
    };
    let difference: f64 = full.iter().zip(&projected).map(|(f, p)| mean(f) - mean(p)).sum();
    let variance: f64 =
        full.iter().zip(&projected).map(|(f, p)| variance_of_mean(f) + variance_of_mean(p)).sum();
    let z = difference / variance.sqrt();
    assert!(
        z.abs() < 3.0,
        "escape steps {full:?} (full) against {projected:?} (projected): z = {z:.2}"
    );
}
