//! The deterministic large-N dynamics (ODE and step map) beside an experiment's measured m_V
//! curves, for the runs where it applies: K = 1, rank 1, the paper's init, aligned
//! `w0 = mu w*`, no label noise.

use goldilocks_analysis::dynamics::{LoraDynamics, OdeOptions};
use goldilocks_analysis::theory::ScalarActivation;
use goldilocks_analysis::OdeComparison;
use goldilocks_lora::LoraInit;
use goldilocks_model::{ActivationPair, FrozenWeightSource};

use crate::ensemble::learning_rate;
use crate::record::RunRecord;
use crate::{ExperimentConfig, ExperimentError};

/// Why the dynamics does not describe the runs of `config`, naming the field; `None` when it does.
pub fn ode_inapplicable(config: &ExperimentConfig) -> Option<ExperimentError> {
    let model = &config.model;
    if model.width != 1 {
        return Some(ExperimentError::invalid("model.width", format!("must be 1 for the ODE, got {}", model.width)));
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
    None
}

/// The seed-averaged m_V of the rank-1 runs of `records` with activation pair `pair` and
/// strength `mu` (all starts with that pair), beside the ODE and the step map started from
/// each run's initial overlap and averaged, labelled `label`.
pub fn ode_comparison(
    config: &ExperimentConfig,
    records: &[RunRecord],
    pair: ActivationPair,
    mu: f64,
    label: &str,
) -> Result<OdeComparison, ExperimentError> {
    if let Some(error) = ode_inapplicable(config) {
        return Err(error);
    }
    let name = pair.to_string();
    let selected: Vec<&RunRecord> = records.iter().filter(|r| r.activation == name && r.mu == mu && r.rank == 1).collect();
    if selected.is_empty() {
        return Err(ExperimentError::invalid("sweep", format!("{} holds no rank-1 runs of {name} at mu = {mu}", config.name)));
    }
    let mut initial = Vec::with_capacity(selected.len());
    for record in &selected {
        let start = match record.initial_overlap {
            Some(m0) => m0.abs(),
            None => match (record.grid.step.first(), record.grid.m_v_rows.first().and_then(|rows| rows.first())) {
                (Some(0), Some(&m0)) => m0.abs(),
                _ => return Err(ExperimentError::invalid("record.grid", "must include step 0 (include_zero = true) to start the ODE")),
            },
        };
        initial.push(start);
    }
    let (teacher, student) = (pair.teacher, pair.student);
    let (phi, dphi) = (move |x| teacher.value(x), move |x| teacher.derivative(x));
    let (sigma, dsigma) = (move |x| student.value(x), move |x| student.derivative(x));
    let scalar = |activation: goldilocks_model::Activation, value, slope| ScalarActivation {
        value,
        derivative: slope,
        non_smooth: !activation.is_smooth(),
        hermite_degree: activation.hermite_degree(),
    };
    let dynamics = LoraDynamics::new(
        scalar(teacher, &phi, &dphi),
        scalar(student, &sigma, &dsigma),
        mu,
        learning_rate(config, student),
        config.model.input_dim,
        config.model.batch,
    )
    .map_err(goldilocks_analysis::AnalysisError::from)?;
    let curves: Vec<Vec<f64>> = selected.iter().map(|r| r.m_v.iter().map(|&x| f64::from(x)).collect()).collect();
    let views: Vec<&[f64]> = curves.iter().map(Vec::as_slice).collect();
    Ok(OdeComparison::compute(&dynamics, label, &views, &initial, &OdeOptions::default())?)
}
