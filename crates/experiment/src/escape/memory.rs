//! Memory planned before allocation: an estimate of an ensemble's peak memory from its tensor
//! shapes, and the split of an ensemble into chunks of variants that fit a memory limit.
//!
//! A variant keeps all its seeds in one chunk, so the stopping rule (a variant leaves once
//! every seed's run of it has finished) and therefore every record are those of the whole
//! ensemble; the chunks' records are put back in the ensemble's order (group-major). When
//! even one variant with all its seeds does not fit, the config is refused with one error
//! that names the fields that set the size.
//!
//! The estimate counts, in 4-byte floats, every tensor of the setup and of one SGD step with
//! its temporaries (see [`ensemble_bytes`]); `xtask/tests/cli/memory.rs` checks it against
//! the measured peak resident memory of a run.

use crate::escape::plan::EnsemblePlan;
use crate::escape::{EscapeConfig, InputSampling};
use crate::ExperimentError;

/// Estimated peak bytes of an ensemble of `seeds` groups and `variants` runs per group at
/// LoRA rank `rank` (f64 arithmetic, so that absurd sizes do not overflow).
///
/// With G seeds, R variants, N inputs, K rows, B batch, T test samples, r rank and S steps:
/// the frozen weights (host copy, device copy, the effective weight and its gradient):
/// 4 GRKN; the batch (host draw, device copy, labels and temporaries): 3 GBN; the test set
/// (host and device): 2 GTN; the teacher (f64 on the host, f32 on the device): 3 GKN; the
/// LoRA factors with gradient and update: 4 GRrN + 4 GRKr; pre-activations and their
/// gradients: 4 GBRK; test labels GTR; the m_V history on the host GRS; projected inputs
/// add the fixed span rows (2 GR 2K N).
pub fn ensemble_bytes(config: &EscapeConfig, rank: usize, seeds: usize, variants: usize) -> f64 {
    let model = &config.model;
    let (g, r) = (seeds as f64, variants as f64);
    let (n, k, b, t) =
        (model.input_dim as f64, model.width as f64, model.batch as f64, model.test_size as f64);
    let (q, s) = (rank as f64, config.training.max_steps as f64);
    let mut floats = 4.0 * g * r * k * n
        + 3.0 * g * b * n
        + 2.0 * g * t * n
        + 3.0 * g * k * n
        + 4.0 * g * r * q * n
        + 4.0 * g * r * k * q
        + 4.0 * g * b * r * k
        + g * t * r
        + g * r * s;
    if config.training.inputs == InputSampling::Projected {
        floats += 2.0 * g * r * 2.0 * k * n;
    }
    4.0 * floats
}

/// The chunks of `plan` that fit `limit` bytes each: the plan itself when it fits, otherwise
/// consecutive runs of variants, each with every seed.
pub(crate) fn split_for_memory(
    config: &EscapeConfig,
    plan: &EnsemblePlan,
    limit: u64,
) -> Result<Vec<EnsemblePlan>, ExperimentError> {
    let seeds = plan.seeds.len();
    let fits = |variants: usize| ensemble_bytes(config, plan.rank, seeds, variants) <= limit as f64;
    if fits(plan.variants.len()) {
        return Ok(vec![plan.clone()]);
    }
    if !fits(1) {
        return Err(too_big(config, plan, limit));
    }
    let per_chunk = (1..=plan.variants.len()).take_while(|&v| fits(v)).last().unwrap_or(1);
    Ok(plan
        .variants
        .chunks(per_chunk)
        .map(|variants| EnsemblePlan { variants: variants.to_vec(), ..plan.clone() })
        .collect())
}

/// Checks, before anything is allocated, that every ensemble of `plans` can be split into
/// chunks that fit `limit` bytes.
pub(crate) fn check_fits(
    config: &EscapeConfig,
    plans: &[EnsemblePlan],
    limit: u64,
) -> Result<(), ExperimentError> {
    for plan in plans {
        split_for_memory(config, plan, limit)?;
    }
    Ok(())
}

/// Puts the records of the chunks (each group-major over its own variants) back in the
/// order of the whole plan: group-major over all variants.
pub(crate) fn merge_chunks<T>(chunks: Vec<(usize, Vec<T>)>, seeds: usize) -> Vec<T> {
    // (first variant of the chunk, its records); within a chunk, record g * width + v.
    let mut per_group: Vec<Vec<T>> = (0..seeds).map(|_| Vec::new()).collect();
    let mut ordered = chunks;
    ordered.sort_by_key(|(first, _)| *first);
    for (_, records) in ordered {
        let width = records.len() / seeds.max(1);
        let mut records = records.into_iter();
        for group in per_group.iter_mut() {
            group.extend(records.by_ref().take(width));
        }
    }
    per_group.into_iter().flatten().collect()
}

fn too_big(config: &EscapeConfig, plan: &EnsemblePlan, limit: u64) -> ExperimentError {
    let model = &config.model;
    ExperimentError::TooBig {
        estimate: ensemble_bytes(config, plan.rank, plan.seeds.len(), 1),
        limit,
        fields: "model.input_dim, model.batch, model.test_size or the seeds".into(),
        what: format!(
            "one run of each of the {} seeds of start `{}` at rank {} with model.input_dim = {}, \
             model.width = {}, model.batch = {}, model.test_size = {} and training.max_steps = {}",
            plan.seeds.len(),
            plan.start.name,
            plan.rank,
            model.input_dim,
            model.width,
            model.batch,
            model.test_size,
            config.training.max_steps
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escape::plan_ensembles;

    #[test]
    fn a_plan_that_fits_stays_whole_and_one_that_does_not_is_split_by_variants() {
        let config = EscapeConfig::default_config();
        let plan = plan_ensembles(&config).remove(0);
        let all = ensemble_bytes(&config, plan.rank, plan.seeds.len(), plan.variants.len());
        assert_eq!(split_for_memory(&config, &plan, all as u64 + 1).unwrap(), vec![plan.clone()]);

        let one = ensemble_bytes(&config, plan.rank, plan.seeds.len(), 1);
        let chunks = split_for_memory(&config, &plan, one as u64 + 1).unwrap();
        assert_eq!(chunks.len(), plan.variants.len());
        assert!(chunks.iter().all(|c| c.seeds == plan.seeds && c.variants.len() == 1));

        let error = split_for_memory(&config, &plan, one as u64 / 2).unwrap_err().to_string();
        assert!(error.contains("model.input_dim") && error.contains("--memory-limit"), "{error}");
    }

    #[test]
    fn an_absurd_input_dimension_is_refused_without_overflow() {
        let mut config = EscapeConfig::default_config();
        config.model.input_dim = 100_000_000_000;
        let plans = plan_ensembles(&config);
        let error = check_fits(&config, &plans, 8 << 30).unwrap_err().to_string();
        assert!(error.contains("100000000000") && error.contains("PiB"), "{error}");
    }

    #[test]
    fn chunk_records_go_back_to_group_major_order() {
        // Two seeds, variants [a, b, c] run as chunks [a, b] and [c].
        let first = vec!["0a", "0b", "1a", "1b"];
        let second = vec!["0c", "1c"];
        let merged = merge_chunks(vec![(2, second), (0, first)], 2);
        assert_eq!(merged, ["0a", "0b", "0c", "1a", "1b", "1c"]);
    }
}
