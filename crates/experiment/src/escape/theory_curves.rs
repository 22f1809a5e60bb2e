//! tau(mu) of the theory for the activation pairs of an experiment.

use goldilocks_analysis::TheoryCurve;
use goldilocks_model::{Activation, ActivationPair};
use goldilocks_theory::{tau, ScalarActivation, TauOptions, TheoryError};

use crate::escape::EscapeConfig;

/// tau(mu) for a teacher/student pair.
pub fn tau_of(pair: ActivationPair, mu: f64, options: &TauOptions) -> Result<f64, TheoryError> {
    let (teacher, student) = (pair.teacher, pair.student);
    let (teacher_value, teacher_slope) =
        (move |x| teacher.value(x), move |x| teacher.derivative(x));
    let (student_value, student_slope) =
        (move |x| student.value(x), move |x| student.derivative(x));
    let phi = scalar(teacher, &teacher_value, &teacher_slope);
    let sigma = scalar(student, &student_value, &student_slope);
    tau(mu, &phi, &sigma, options)
}

fn scalar<'a>(
    activation: Activation,
    value: &'a dyn Fn(f64) -> f64,
    slope: &'a dyn Fn(f64) -> f64,
) -> ScalarActivation<'a> {
    ScalarActivation {
        value,
        derivative: slope,
        non_smooth: !activation.is_smooth(),
        hermite_degree: activation.hermite_degree(),
    }
}

/// The theory curve of every activation pair of `config` at its strengths in (0, 1), with the
/// paper's truncation; strengths where the theory is undefined are left out.
pub fn theory_curves(config: &EscapeConfig) -> Vec<TheoryCurve> {
    let options = TauOptions::default();
    let mut curves: Vec<TheoryCurve> = Vec::new();
    for spec in &config.sweep.activations {
        let pair = spec.pair();
        if curves.iter().any(|c| c.activation == pair.to_string()) {
            continue;
        }
        let points = config
            .sweep
            .mu
            .iter()
            .filter(|&&mu| mu > 0.0 && mu < 1.0)
            .filter_map(|&mu| tau_of(pair, mu, &options).ok().map(|t| (mu, t)))
            .collect();
        curves.push(TheoryCurve { activation: pair.to_string(), points });
    }
    curves
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
}
