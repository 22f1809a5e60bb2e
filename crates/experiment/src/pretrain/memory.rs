//! Memory planned before allocation for the pretrain kind: the peak of pre-training one
//! source and of fine-tuning from all its checkpoints with one method, from their tensor
//! shapes. Fine-tuning batches every checkpoint and seed into one tensor program, and its
//! stopping rule is the whole ensemble's, so it is not split: a config over the limit is
//! refused before anything is written.

use crate::memory_limit::check_estimate;
use crate::pretrain::PretrainConfig;
use crate::{ExperimentError, FinetuneMethod};

/// Estimated peak bytes of `config`'s largest unit, counting 4-byte floats.
///
/// With N inputs, B batch, T test samples, G seeds, R checkpoints (those the schedule
/// selects, an upper bound of those kept) and r the largest rank, fine-tuning holds: the
/// checkpoints on the host and on the device, repeated per seed, the effective weights, their
/// gradient and two temporaries: R N + 6 GRN; the trained weights: 4 GRrN for LoRA, 3 GRN
/// for full fine-tuning; the batch (host draw, device copy, temporaries): 3 GBN; the test
/// set: 2 TN; test pre-activations and losses: 3 GRT; batch pre-activations and gradients:
/// 4 GBR. Pre-training holds one weight with its gradient and update (4 N), a batch (3 BN)
/// and the test set (2 TN).
pub fn pretrain_bytes(config: &PretrainConfig) -> f64 {
    let model = &config.model;
    let fine = &config.finetuning;
    let (n, b, t) = (model.input_dim as f64, model.batch as f64, model.test_size as f64);
    let g = fine.seeds as f64;
    let r = checkpoints(config) as f64;
    let trained = fine
        .methods()
        .iter()
        .map(|method| match method {
            FinetuneMethod::Lora { rank } => 4.0 * g * r * *rank as f64 * n,
            FinetuneMethod::Full => 3.0 * g * r * n,
        })
        .fold(0.0, f64::max);
    let finetuning = r * n
        + 6.0 * g * r * n
        + trained
        + 3.0 * g * b * n
        + 2.0 * t * n
        + 3.0 * g * r * t
        + 4.0 * g * b * r;
    let pretraining = 4.0 * n + 3.0 * b * n + 2.0 * t * n;
    4.0 * finetuning.max(pretraining)
}

/// Refuses `config` when its largest unit does not fit `limit` bytes.
pub(crate) fn check_fits(config: &PretrainConfig, limit: u64) -> Result<(), ExperimentError> {
    let model = &config.model;
    check_estimate(
        pretrain_bytes(config),
        limit,
        || {
            format!(
                "fine-tuning {} seeds from {} checkpoints with model.input_dim = {}, \
                 model.batch = {} and model.test_size = {}",
                config.finetuning.seeds,
                checkpoints(config),
                model.input_dim,
                model.batch,
                model.test_size
            )
        },
        "model.input_dim, model.batch, model.test_size, finetuning.seeds or the checkpoints",
    )
}

fn checkpoints(config: &PretrainConfig) -> usize {
    let pre = &config.pretraining;
    pre.checkpoints.steps(pre.steps).len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExperimentKind;

    fn config(input_dim: usize) -> PretrainConfig {
        let text = include_str!("../../../../configs/pretrain.toml")
            .replace("input_dim = 1000 ", &format!("input_dim = {input_dim} "));
        PretrainConfig::from_toml(&text, "pretrain.toml").unwrap()
    }

    #[test]
    fn the_shipped_config_fits_and_an_absurd_input_dimension_is_refused() {
        let shipped = config(1000);
        assert!(check_fits(&shipped, 1 << 30).is_ok(), "{}", pretrain_bytes(&shipped));
        let error = check_fits(&config(100_000_000_000), 16 << 30).unwrap_err().to_string();
        assert!(
            error.contains("model.input_dim = 100000000000") && error.contains("PiB"),
            "{error}"
        );
        assert!(error.contains("finetuning.seeds"), "{error}");
    }
}
