//! Bad configs stop with one error naming the field or file, and nothing is written.

use burn::backend::NdArray;
use goldilocks_experiment::escape::EscapeConfig;
use goldilocks_experiment::{ExperimentError, ExperimentKind, RunOptions};

const TINY: &str = include_str!("../data/tiny.toml");

/// Replaces `from` (which must occur) in the tiny config.
fn tiny_with(from: &str, to: &str) -> String {
    assert!(TINY.contains(from), "tiny.toml has no {from:?}");
    TINY.replacen(from, to, 1)
}

fn error_of(text: &str) -> String {
    match EscapeConfig::from_toml(text, "test.toml") {
        Ok(_) => panic!("config was accepted:\n{text}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn each_bad_field_is_named() {
    let cases = [
        (tiny_with("[\"linear\", \"relu\"]", "[\"linear\", \"gelu\"]"), "gelu"),
        (tiny_with("[\"linear\", \"relu\"]", "[\"sign\"]"), "sweep.activations[0]"),
        (
            tiny_with(
                "[\"linear\", \"relu\"]",
                "[{ teacher = \"linear\", student = \"linear\", learning_rate = -0.1 }]",
            ),
            "sweep.activations[0].learning_rate",
        ),
        (
            tiny_with("[\"linear\", \"relu\"]", "[\"linear\", \"relu\", \"linear\"]"),
            "sweep.activations[2]",
        ),
        (tiny_with("mu = [0.2, 0.6]", "mu = [0.2, 1.5]"), "sweep.mu[1]"),
        (tiny_with("mu = [0.2, 0.6]", "mu = [-0.1]"), "sweep.mu[0]"),
        (tiny_with("mu = [0.2, 0.6]", "mu = [0.2]\nranks = [0]"), "sweep.ranks[0]"),
        (tiny_with("mu = [0.2, 0.6]", "mu = [0.2]\nranks = [65]"), "sweep.ranks[0]"),
        (tiny_with("batch = 32", "batch = 0"), "model.batch"),
        (tiny_with("input_dim = 64", "input_dim = 0"), "model.input_dim"),
        (tiny_with("learning_rate = 0.2", "learning_rate = -1.0"), "training.learning_rate"),
        (tiny_with("max_steps = 400", "max_steps = 0"), "training.max_steps"),
        (tiny_with("initial_overlap = 0.1", "initial_overlap = 1.2"), "starts[0].initial_overlap"),
        (tiny_with("seeds = 3", "seeds = 0"), "starts[1].seeds"),
        (tiny_with("name = \"random-start\"", "name = \"published-start\""), "starts[1].name"),
        (tiny_with("name = \"tiny\"", "name = \"../escape\""), "name"),
        (tiny_with("[record]", "[record]\nthreshold = 0.0"), "record.threshold"),
        (tiny_with("points = 20", "points = 0"), "record.grid"),
        (tiny_with("[record]", "[record]\node = \"yes\""), "ode"),
        (tiny_with("batch = 32", "batch = 32\nbatch_size = 4"), "batch_size"),
        (tiny_with("batch = 32", "batch = \"many\""), "batch"),
        (
            tiny_with("[model]", "[model]\nsource = { kind = \"rotated\", rho = 2.0 }"),
            "model.source",
        ),
        (tiny_with("learning_rate = 0.2", ""), "learning_rate"),
        (tiny_with("learning_rate = 0.2", "learning_rate = 0.2\ninputs = \"sampled\""), "sampled"),
        (
            tiny_with("[training]", "[lora]\ninit = \"gradient\"\n\n[training]"),
            "starts[0].initial_overlap",
        ),
        (tiny_with("[training]", "[lora]\ninit = \"lora-ga\"\n\n[training]"), "lora-ga"),
        (
            tiny_with(
                "[training]",
                "[lora]\ninit = \"gaussian\"\ntrain_only_v = true\n\n[training]",
            ),
            "lora.train_only_v",
        ),
        ("name = \"x\"\nthis is not toml".to_string(), "test.toml"),
    ];
    for (text, field) in cases {
        let message = error_of(&text);
        assert!(message.contains(field), "error {message:?} does not name {field:?}");
    }
}

#[test]
fn a_missing_config_file_is_named() {
    let error =
        EscapeConfig::load(std::path::Path::new("/nonexistent/goldilocks.toml")).unwrap_err();
    assert!(matches!(error, ExperimentError::ReadConfig { .. }));
    assert!(error.to_string().contains("/nonexistent/goldilocks.toml"));
}

#[test]
fn an_invalid_config_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let mut config = EscapeConfig::from_toml(TINY, "tiny.toml").unwrap();
    config.sweep.mu = vec![2.0];
    let options = RunOptions { show_progress: false, ..RunOptions::new(root.path()) };
    let error = config.run::<NdArray>(&options, &Default::default()).unwrap_err();
    assert!(error.to_string().contains("sweep.mu[0]"));
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
}

#[test]
fn the_embedded_default_config_is_valid() {
    let config = EscapeConfig::default_config();
    assert_eq!(config.name, "default");
    config.validate().unwrap();
}
