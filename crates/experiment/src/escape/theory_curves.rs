//! The theory beside an experiment's activation pairs: tau(mu) (corrected variant) and the
//! escape statistics it predicts with no fitted constant.

use goldilocks_analysis::{NoFitPrediction, TheoryCurve};
use goldilocks_model::{Activation, ActivationPair};
use goldilocks_theory::{
    predicted_steps, tau_coefficients, ScalarActivation, StartingOverlap, TauCoefficients,
    TauOptions, TheoryError,
};

use crate::escape::ensemble_setup::learning_rate;
use crate::escape::{ode_inapplicable, ActivationSpec, EscapeConfig, Variant};

/// An activation as the theory crate sees it: its value and derivative closures, whether it
/// is smooth, its Hermite degree and its jump at 0.
pub(crate) fn scalar_activation<'a>(
    activation: Activation,
    value: &'a dyn Fn(f64) -> f64,
    slope: &'a dyn Fn(f64) -> f64,
) -> ScalarActivation<'a> {
    ScalarActivation {
        value,
        derivative: slope,
        non_smooth: !activation.is_smooth(),
        hermite_degree: activation.hermite_degree(),
        jump_at_zero: activation.jump_at_zero(),
    }
}

/// `A(mu)` and `B(mu)` for a teacher/student pair.
pub fn coefficients_of(
    pair: ActivationPair,
    mu: f64,
    options: &TauOptions,
) -> Result<TauCoefficients, TheoryError> {
    let (teacher, student) = (pair.teacher, pair.student);
    let (teacher_value, teacher_slope) =
        (move |x| teacher.value(x), move |x| teacher.derivative(x));
    let (student_value, student_slope) =
        (move |x| student.value(x), move |x| student.derivative(x));
    let phi = scalar_activation(teacher, &teacher_value, &teacher_slope);
    let sigma = scalar_activation(student, &student_value, &student_slope);
    tau_coefficients(mu, &phi, &sigma, options)
}

/// tau(mu) for a teacher/student pair.
pub fn tau_of(pair: ActivationPair, mu: f64, options: &TauOptions) -> Result<f64, TheoryError> {
    let value = coefficients_of(pair, mu, options)?.tau();
    if !value.is_finite() {
        return Err(TheoryError::NonFinite { quantity: "tau(mu)", mu, value });
    }
    Ok(value)
}

/// The activation entries of `config` the theory describes, each once, in order of first
/// appearance: none unless the runs are the rank-1 flow the theory linearises (one neuron, the
/// aligned source, no label noise, the paper's init with U trained: the conditions of the ODE).
fn described_entries(config: &EscapeConfig) -> Vec<ActivationSpec> {
    if ode_inapplicable(config).is_some() {
        return Vec::new();
    }
    let mut entries: Vec<ActivationSpec> = Vec::new();
    for spec in &config.sweep.activations {
        if !entries.iter().any(|e| e.label() == spec.label()) {
            entries.push(*spec);
        }
    }
    entries
}

/// The strengths of `config` where the theory can be defined, 0 < mu < 1.
fn interior_strengths(config: &EscapeConfig) -> impl Iterator<Item = f64> + '_ {
    config.sweep.mu.iter().copied().filter(|&mu| mu > 0.0 && mu < 1.0)
}

/// The theory curve (corrected tau, and the published one beside it) of every activation
/// pair of `config` at its strengths in (0, 1); strengths where the theory is undefined are
/// left out.
pub fn theory_curves(config: &EscapeConfig) -> Vec<TheoryCurve> {
    let values = |pair: ActivationPair, options: TauOptions| -> Vec<(f64, f64)> {
        interior_strengths(config)
            .filter_map(|mu| tau_of(pair, mu, &options).ok().map(|t| (mu, t)))
            .collect()
    };
    described_entries(config)
        .into_iter()
        .map(|spec| TheoryCurve {
            activation: spec.label(),
            points: values(spec.pair(), TauOptions::default()),
            published: values(spec.pair(), TauOptions::published(10)),
        })
        .collect()
}

/// The no-fit prediction of the paper's statistic (overlap reaching mu) and of the escape step
/// (overlap reaching the threshold) for every (pair, start, mu) of `config`, at the rate the
/// runner uses; from a random V averaged over the law of the starting overlap at N.
pub fn no_fit_predictions(config: &EscapeConfig) -> Vec<NoFitPrediction> {
    let options = TauOptions::default();
    let mut predictions = Vec::new();
    for spec in described_entries(config) {
        let pair = spec.pair();
        for mu in interior_strengths(config) {
            let Ok(coefficients) = coefficients_of(pair, mu, &options) else {
                continue;
            };
            let variant = Variant { pair, mu, base_learning_rate: spec.base_learning_rate() };
            let rate = learning_rate(config, &variant);
            for start in &config.starts {
                let overlap = match start.initial_overlap {
                    Some(m0) => StartingOverlap::Fixed(m0),
                    None => StartingOverlap::Random { input_dim: config.model.input_dim },
                };
                predictions.push(NoFitPrediction {
                    activation: spec.label(),
                    start: start.name.clone(),
                    mu,
                    paper_time: predicted_steps(&coefficients, rate, overlap, mu),
                    escape_step: predicted_steps(
                        &coefficients,
                        rate,
                        overlap,
                        config.record.threshold,
                    ),
                });
            }
        }
    }
    predictions
}

#[cfg(test)]
mod tests {
    use super::*;
    use goldilocks_theory::tau_linear_closed_form;

    #[test]
    fn linear_pairs_follow_the_closed_form() {
        let pair = ActivationPair::matching(Activation::Linear);
        for mu in [0.2, 0.5, 0.8] {
            let value = tau_of(pair, mu, &TauOptions::default()).unwrap();
            assert!((value - tau_linear_closed_form(mu)).abs() < 1e-9 * value);
        }
    }

    #[test]
    fn curves_cover_every_pair_and_skip_undefined_strengths() {
        let mut config = EscapeConfig::default_config();
        config.sweep.mu = vec![0.0, 0.3, 0.6];
        let curves = theory_curves(&config);
        assert_eq!(curves.len(), 2);
        assert_eq!(curves[1].activation, "relu");
        assert_eq!(curves[1].points.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0.3, 0.6]);
    }

    #[test]
    fn only_the_rank_one_aligned_flow_gets_theory() {
        let mut config = EscapeConfig::default_config();
        config.model.width = 4;
        assert!(theory_curves(&config).is_empty() && no_fit_predictions(&config).is_empty());
        let mut config = EscapeConfig::default_config();
        config.model.source = goldilocks_model::FrozenWeightSource::Mixed;
        assert!(theory_curves(&config).is_empty() && no_fit_predictions(&config).is_empty());
    }

    /// A pair with its own rate is predicted at that rate, under its own label.
    #[test]
    fn an_own_rate_is_used_and_named() {
        let mut config = EscapeConfig::default_config();
        config.sweep.activations = vec![
            ActivationSpec::Same(Activation::Linear),
            ActivationSpec::Pair {
                teacher: Activation::Linear,
                student: Activation::Linear,
                learning_rate: Some(0.02),
            },
        ];
        let predictions = no_fit_predictions(&config);
        let at = |label: &str| {
            predictions
                .iter()
                .find(|p| p.activation == label && p.start == "published-start" && p.mu == 0.5)
                .unwrap()
                .paper_time
        };
        assert!((at("linear (lr 0.02)") / at("linear") - 10.0).abs() < 1e-9);
    }

    /// Linear, published start: (tau / lr) ln(mu / (kappa m0)) with A = 1 - mu, B = -1.
    #[test]
    fn predictions_follow_the_linear_closed_form() {
        let config = EscapeConfig::default_config();
        let predictions = no_fit_predictions(&config);
        let row = predictions
            .iter()
            .find(|p| p.activation == "linear" && p.start == "published-start" && p.mu == 0.5)
            .unwrap();
        let d: f64 = 1.0 + 4.0 * 0.25;
        let kappa = (d.sqrt() + 1.0) / (2.0 * d.sqrt());
        let expected = tau_linear_closed_form(0.5) / 0.2 * (0.5f64 / (kappa * 0.038)).ln();
        assert!((row.paper_time - expected).abs() < 1e-9 * expected);
        // The random start begins lower (E ln|m0| at N = 1000 is below ln 0.038): slower.
        let random = predictions
            .iter()
            .find(|p| p.activation == "linear" && p.start == "random-start" && p.mu == 0.5)
            .unwrap();
        assert!(random.paper_time > row.paper_time && random.escape_step > row.escape_step);
        assert_eq!(predictions.len(), 2 * 8 * 2);
    }
}
