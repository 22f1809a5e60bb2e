//! The checks of an escape config, each naming the field at fault.

use goldilocks_lora::LoraInit;

use crate::escape::{ActivationSpec, EscapeConfig};
use crate::field_checks::{
    at_least_one, lists_at_least_one, non_negative_number, positive_number, unit_fraction,
    validate_name,
};
use crate::ExperimentError;

/// Checks every field of `config`, naming the first one at fault.
pub(super) fn validate(config: &EscapeConfig) -> Result<(), ExperimentError> {
    validate_name(&config.name)?;
    let model = &config.model;
    at_least_one("model.input_dim", model.input_dim)?;
    at_least_one("model.width", model.width)?;
    if model.width > model.input_dim {
        return Err(ExperimentError::invalid(
            "model.width",
            format!("must be at most model.input_dim = {}, got {}", model.input_dim, model.width),
        ));
    }
    at_least_one("model.batch", model.batch)?;
    at_least_one("model.test_size", model.test_size)?;
    non_negative_number("model.label_noise", model.label_noise)?;
    model.source.validate().map_err(|e| ExperimentError::invalid("model.source", e.to_string()))?;
    config.lora.validate("lora")?;
    if config.lora.train_only_v && config.lora.init != LoraInit::Paper {
        return Err(ExperimentError::invalid(
            "lora.train_only_v",
            "needs lora.init = \"paper\" (unit rows of V, renormalised)",
        ));
    }
    let training = &config.training;
    positive_number("training.learning_rate", training.learning_rate)?;
    at_least_one("training.max_steps", training.max_steps)?;
    at_least_one("training.settle_steps", training.settle_steps)?;
    if let Some(bound) = training.loss_bound {
        positive_number("training.loss_bound", bound)?;
    }
    let sweep = &config.sweep;
    lists_at_least_one("sweep.activations", sweep.activations.len(), "activation")?;
    for (i, spec) in sweep.activations.iter().enumerate() {
        spec.pair().validate().map_err(|e| {
            ExperimentError::invalid(format!("sweep.activations[{i}]"), e.to_string())
        })?;
        if let Some(rate) = spec.base_learning_rate() {
            positive_number(&format!("sweep.activations[{i}].learning_rate"), rate)?;
        }
    }
    let labels: Vec<String> = sweep.activations.iter().map(ActivationSpec::label).collect();
    if let Some(i) = (1..labels.len()).find(|&i| labels[..i].contains(&labels[i])) {
        return Err(ExperimentError::invalid(
            format!("sweep.activations[{i}]"),
            format!("repeats {} (each pair and rate once)", labels[i]),
        ));
    }
    lists_at_least_one("sweep.mu", sweep.mu.len(), "strength")?;
    for (i, &mu) in sweep.mu.iter().enumerate() {
        if !(0.0..=1.0).contains(&mu) {
            return Err(ExperimentError::invalid(
                format!("sweep.mu[{i}]"),
                format!("must be in [0, 1], got {mu}"),
            ));
        }
    }
    lists_at_least_one("sweep.ranks", sweep.ranks.len(), "rank")?;
    for (i, &rank) in sweep.ranks.iter().enumerate() {
        config.lora.lora_config(rank).validate_rank(model.input_dim).map_err(|e| {
            ExperimentError::invalid(format!("sweep.ranks[{i}]"), format!("{e} (model.input_dim)"))
        })?;
    }
    lists_at_least_one("starts", config.starts.len(), "starting condition")?;
    for (i, start) in config.starts.iter().enumerate() {
        let field = |name: &str| format!("starts[{i}].{name}");
        if start.name.is_empty() {
            return Err(ExperimentError::invalid(field("name"), "must not be empty"));
        }
        if config.starts[..i].iter().any(|other| other.name == start.name) {
            return Err(ExperimentError::invalid(
                field("name"),
                format!("{:?} is used twice", start.name),
            ));
        }
        at_least_one(&field("seeds"), start.seeds)?;
        if start.initial_overlap.is_some() && config.lora.init == LoraInit::Gradient {
            return Err(ExperimentError::invalid(
                field("initial_overlap"),
                "cannot be combined with lora.init = \"gradient\", which sets V from the data",
            ));
        }
        if let Some(m0) = start.initial_overlap {
            if !(m0.abs() > 0.0 && m0.abs() < 1.0) {
                return Err(ExperimentError::invalid(
                    field("initial_overlap"),
                    format!("must be in (-1, 0) or (0, 1), got {m0}"),
                ));
            }
        }
    }
    let record = &config.record;
    unit_fraction("record.threshold", record.threshold)?;
    if !(record.band > 0.0 && record.band < 1.0) {
        return Err(ExperimentError::invalid(
            "record.band",
            format!("must be in (0, 1), got {}", record.band),
        ));
    }
    at_least_one("record.subset_size", record.subset_size)?;
    record.grid.validate().map_err(|e| ExperimentError::invalid("record.grid", e.to_string()))?;
    Ok(())
}
