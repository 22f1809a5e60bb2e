//! The deterministic large-N dynamics (ODE and step map) beside an experiment's measured m_V
//! curves, for the runs where it applies: K = 1, rank 1, the paper's init with U trained,
//! aligned `w0 = mu w*`, no label noise.

use goldilocks_analysis::{OdeComparison, OdeOverlay, OdeSection};
use goldilocks_lora::LoraInit;
use goldilocks_model::{Activation, ActivationPair, FrozenWeightSource};
use goldilocks_theory::dynamics::{LoraDynamics, OdeOptions};
use rayon::prelude::*;

use crate::escape::theory_curves::scalar_activation;
use crate::escape::EscapeConfig;
use crate::interrupt::interrupt_requested;
use crate::ExperimentError;
use goldilocks_analysis::RunRecord;

/// Why the dynamics does not describe the runs of `config`, naming the field; `None` when it does.
pub fn ode_inapplicable(config: &EscapeConfig) -> Option<ExperimentError> {
    let model = &config.model;
    if model.width != 1 {
        return Some(ExperimentError::invalid(
            "model.width",
            format!("must be 1 for the ODE, got {}", model.width),
        ));
    }
    if model.source != FrozenWeightSource::Aligned {
        return Some(ExperimentError::invalid("model.source", "must be \"aligned\" for the ODE"));
    }
    if model.label_noise != 0.0 {
        return Some(ExperimentError::invalid("model.label_noise", "must be 0 for the ODE"));
    }
    if config.lora.init != LoraInit::Paper {
        return Some(ExperimentError::invalid("lora.init", "must be \"paper\" for the ODE"));
    }
    if config.lora.train_only_v {
        return Some(ExperimentError::invalid(
            "lora.train_only_v",
            "must be false for the ODE, which trains U",
        ));
    }
    None
}

/// The seed-averaged m_V of the rank-1 runs of `records` with activation pair `pair` and
/// strength `mu` (all starts with that pair), beside the ODE and the step map started from
/// each run's initial overlap and averaged, labelled `label`.
pub fn ode_comparison(
    config: &EscapeConfig,
    records: &[RunRecord],
    pair: ActivationPair,
    mu: f64,
    label: &str,
) -> Result<OdeComparison, ExperimentError> {
    if let Some(error) = ode_inapplicable(config) {
        return Err(error);
    }
    let name = pair.to_string();
    let selected: Vec<&RunRecord> =
        records.iter().filter(|r| r.activation == name && r.mu == mu && r.rank == 1).collect();
    if selected.is_empty() {
        return Err(ExperimentError::invalid(
            "sweep",
            format!("{} holds no rank-1 runs of {name} at mu = {mu}", config.name),
        ));
    }
    compare(config, &selected, pair, mu, label)
}

/// What the report of `config` says about the dynamics: one overlay per (activation pair,
/// start, mu) of rank-1 runs in `records`, in the order of the sweep, and a sentence for
/// everything not compared (the dynamics does not apply, `record.ode` is off, other ranks,
/// or a curve that could not be followed).
pub fn ode_section(config: &EscapeConfig, records: &[RunRecord]) -> OdeSection {
    let mut section = OdeSection::default();
    if !config.record.ode {
        section
            .not_compared
            .push("Not computed: the config turns it off (`record.ode = false`).".into());
        return section;
    }
    if let Some(reason) = ode_inapplicable(config) {
        section.not_compared.push(format!(
            "Not computed: the deterministic dynamics does not describe these runs ({reason})."
        ));
        return section;
    }
    let mut other_ranks: Vec<usize> = records.iter().map(|r| r.rank).filter(|&r| r != 1).collect();
    other_ranks.sort_unstable();
    other_ranks.dedup();
    if !other_ranks.is_empty() {
        let ranks: Vec<String> = other_ranks.iter().map(usize::to_string).collect();
        section.not_compared.push(format!(
            "Runs of rank {} are not compared: the dynamics follows rank 1.",
            ranks.join(", ")
        ));
    }
    // Every (pair, start, mu) with runs, in sweep order; their curves are followed in parallel.
    let mut groups: Vec<(
        String,
        ActivationPair,
        &crate::escape::StartConfig,
        f64,
        Vec<&RunRecord>,
    )> = Vec::new();
    for spec in &config.sweep.activations {
        let (pair, name) = (spec.pair(), spec.label());
        for start in &config.starts {
            for &mu in &config.sweep.mu {
                let selected: Vec<&RunRecord> = records
                    .iter()
                    .filter(|r| {
                        r.activation == name && r.start == start.name && r.mu == mu && r.rank == 1
                    })
                    .collect();
                if !selected.is_empty() {
                    groups.push((name.clone(), pair, start, mu, selected));
                }
            }
        }
    }
    let compared: Vec<(String, Result<OdeComparison, ExperimentError>)> = groups
        .par_iter()
        .map(|(name, pair, start, mu, selected)| {
            let label = format!("{name}, {}, mu = {mu}", start.name);
            if interrupt_requested() {
                return (label, Err(ExperimentError::Interrupted));
            }
            let comparison = compare(config, selected, *pair, *mu, &label);
            (label, comparison)
        })
        .collect();
    for ((name, _, start, mu, _), (label, comparison)) in groups.iter().zip(compared) {
        match comparison {
            Ok(comparison) => section.overlays.push(OdeOverlay {
                activation: name.clone(),
                start: start.name.clone(),
                mu: *mu,
                prescribed_start: start.initial_overlap.is_some(),
                comparison,
            }),
            Err(error) => section
                .not_compared
                .push(format!("{label}: the dynamics could not be followed ({error}).")),
        }
    }
    section
}

/// The comparison for `selected` runs (one pair and one mu): each run's ODE and map start
/// from its prescribed `|m0|`, or from its measured m_V at step 0 for a random start.
fn compare(
    config: &EscapeConfig,
    selected: &[&RunRecord],
    pair: ActivationPair,
    mu: f64,
    label: &str,
) -> Result<OdeComparison, ExperimentError> {
    let mut initial = Vec::with_capacity(selected.len());
    for record in selected {
        let start = match record.initial_overlap {
            Some(m0) => m0.abs(),
            None => match (
                record.grid.step.first(),
                record.grid.m_v_rows.first().and_then(|rows| rows.first()),
            ) {
                (Some(0), Some(&m0)) => m0.abs(),
                _ => {
                    return Err(ExperimentError::invalid(
                        "record.grid",
                        "must include step 0 (include_zero = true) to start the ODE",
                    ))
                }
            },
        };
        initial.push(start);
    }
    let (teacher, student) = (pair.teacher, pair.student);
    let (phi, dphi) = (move |x| teacher.value(x), move |x| teacher.derivative(x));
    let (sigma, dsigma) = (move |x| student.value(x), move |x| student.derivative(x));
    let mut dynamics = LoraDynamics::new(
        scalar_activation(teacher, &phi, &dphi),
        scalar_activation(student, &sigma, &dsigma),
        mu,
        selected[0].learning_rate,
        config.model.input_dim,
        config.model.batch,
    )
    .map_err(goldilocks_analysis::AnalysisError::from)?;
    if is_piecewise_linear(teacher) && is_piecewise_linear(student) {
        dynamics = dynamics.piecewise_linear();
    }
    let curves: Vec<Vec<f64>> =
        selected.iter().map(|r| r.m_v.iter().map(|&x| f64::from(x)).collect()).collect();
    let views: Vec<&[f64]> = curves.iter().map(Vec::as_slice).collect();
    Ok(OdeComparison::compute(&dynamics, label, &views, &initial, &OdeOptions::default())?)
}

/// Whether the activation is linear on each side of 0, which makes the dynamics' expectations
/// exact with the cheap polar rule.
fn is_piecewise_linear(activation: Activation) -> bool {
    matches!(activation, Activation::Linear | Activation::Relu | Activation::Sign)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExperimentKind;
    use goldilocks_analysis::GridRecord;

    const CONFIG: &str = r#"
name = "ode-check"
[model]
input_dim = 1000
batch = 500
[training]
learning_rate = 0.2
max_steps = 300
[sweep]
activations = ["linear", "relu"]
mu = [0.5]
ranks = [1, 2]
[[starts]]
name = "published-start"
initial_overlap = 0.038
seeds = 2
[[starts]]
name = "random-start"
seeds = 2
"#;

    fn config(extra: &str) -> EscapeConfig {
        EscapeConfig::from_toml(&format!("{CONFIG}{extra}"), "ode test").unwrap()
    }

    /// A made-up record: m_V rises from m0 on a logistic curve crossing 0.5 at step 100.
    fn record(
        activation: &str,
        start: &str,
        initial_overlap: Option<f64>,
        m0: f64,
        rank: usize,
        seed: u64,
    ) -> RunRecord {
        let m_v: Vec<f32> = (1..=300)
            .map(|s| (1.0 / (1.0 + (-(f64::from(s) - 100.0) / 10.0).exp())) as f32)
            .collect();
        RunRecord {
            activation: activation.into(),
            teacher: activation.into(),
            student: activation.into(),
            mu: 0.5,
            rank,
            start: start.into(),
            initial_overlap,
            seed,
            learning_rate: 0.2,
            max_steps: 300,
            steps_run: 300,
            escape_step: Some(100),
            censored: false,
            diverged_at: None,
            m_v,
            grid: GridRecord {
                step: vec![0, 300],
                m_v_rows: vec![vec![m0], vec![1.0]],
                ..GridRecord::default()
            },
        }
    }

    fn records() -> Vec<RunRecord> {
        let mut records = Vec::new();
        for activation in ["linear", "relu"] {
            for seed in 0..2 {
                records.push(record(activation, "published-start", Some(0.038), 0.038, 1, seed));
                records.push(record(
                    activation,
                    "random-start",
                    None,
                    0.02 + 0.01 * seed as f64,
                    1,
                    seed,
                ));
                records.push(record(activation, "random-start", None, 0.03, 2, seed));
            }
        }
        records
    }

    #[test]
    fn every_rank_one_group_gets_an_overlay_and_other_ranks_a_sentence() {
        let section = ode_section(&config(""), &records());
        let keys: Vec<(&str, &str, bool)> = section
            .overlays
            .iter()
            .map(|o| (o.activation.as_str(), o.start.as_str(), o.prescribed_start))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("linear", "published-start", true),
                ("linear", "random-start", false),
                ("relu", "published-start", true),
                ("relu", "random-start", false)
            ]
        );
        assert_eq!(
            section.not_compared,
            vec!["Runs of rank 2 are not compared: the dynamics follows rank 1.".to_string()]
        );
        for overlay in &section.overlays {
            let c = &overlay.comparison;
            assert_eq!((c.seeds, c.measured.len(), c.ode.len(), c.map.len()), (2, 300, 300, 300));
            let expected_m0 = if overlay.prescribed_start { 0.038 } else { 0.025 };
            assert!((c.initial_overlap - expected_m0).abs() < 1e-6, "{}", c.initial_overlap);
            // The dynamics escapes and aligns within 300 steps at mu = 0.5.
            assert!(c.ode[299] > 0.9 && c.map[299] > 0.9, "{}", overlay.activation);
        }
    }

    #[test]
    fn an_inapplicable_config_gives_its_reason() {
        let section = ode_section(&config("[lora]\ninit = \"gaussian\"\n"), &records());
        assert!(section.overlays.is_empty());
        assert_eq!(section.not_compared.len(), 1);
        let sentence = &section.not_compared[0];
        assert!(
            sentence.contains("does not describe these runs") && sentence.contains("lora.init"),
            "{sentence}"
        );
        let mut only_v = config("");
        only_v.lora.train_only_v = true;
        assert!(ode_section(&only_v, &records()).not_compared[0].contains("lora.train_only_v"));
    }

    #[test]
    fn the_switch_turns_it_off_and_says_so() {
        let section = ode_section(&config("[record]\node = false\n"), &records());
        assert!(section.overlays.is_empty());
        assert_eq!(
            section.not_compared,
            vec!["Not computed: the config turns it off (`record.ode = false`).".to_string()]
        );
    }

    #[test]
    fn a_random_start_without_step_zero_is_named() {
        let mut records = records();
        for record in &mut records {
            record.grid.step = vec![1, 300];
        }
        let section = ode_section(&config(""), &records);
        // The prescribed starts need no step 0; the random ones say why they are missing.
        assert_eq!(section.overlays.len(), 2);
        assert!(section.not_compared.iter().any(|s| s
            .starts_with("relu, random-start, mu = 0.5: the dynamics could not be followed")
            && s.contains("record.grid")));
    }
}
