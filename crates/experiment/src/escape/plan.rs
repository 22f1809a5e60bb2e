//! Expands a config into ensembles: one per (rank, starting condition), each holding every
//! seed of that condition (data groups) and every (activation, mu) variant (runs per group).

use goldilocks_model::ActivationPair;
use serde::Serialize;

use crate::escape::memory::ensemble_bytes;
use crate::escape::{EscapeConfig, StartConfig};
use crate::identity_hash::identity_hash;
use crate::{ExperimentPlan, PlannedUnit};

/// Version of the record format; part of every ensemble key, so that records written by an
/// older format are recomputed rather than misread.
const RECORD_FORMAT: u32 = 1;

/// One run of a data group: an activation pair at a pre-training strength.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Variant {
    /// Teacher and student activations.
    #[serde(serialize_with = "serialize_pair")]
    pub pair: ActivationPair,
    /// Pre-training strength mu.
    pub mu: f64,
    /// The pair's own rate before the Hermite rule (None: `training.learning_rate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_learning_rate: Option<f64>,
}

impl Variant {
    /// The name of its rows (see [`row_label`]).
    pub fn label(&self) -> String {
        row_label(self.pair, self.base_learning_rate)
    }
}

/// The name of a pair's rows: the pair (`relu`, `sign->tanh`), followed by its rate when it
/// has its own (`he2 (lr 0.01)`), so that the same pair at two rates gives two rows.
pub fn row_label(pair: ActivationPair, base_learning_rate: Option<f64>) -> String {
    match base_learning_rate {
        None => pair.to_string(),
        Some(rate) => format!("{pair} (lr {rate})"),
    }
}

fn serialize_pair<S: serde::Serializer>(
    pair: &ActivationPair,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("{}->{}", pair.teacher, pair.student))
}

/// Runs executed together as one batched tensor program.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnsemblePlan {
    /// LoRA rank shared by the runs.
    pub rank: usize,
    /// Starting condition shared by the runs.
    pub start: StartConfig,
    /// Seeds: one data group each.
    pub seeds: Vec<u64>,
    /// Variants: the runs of every group, grouped by activation pair.
    pub variants: Vec<Variant>,
}

impl EnsemblePlan {
    /// Number of runs.
    pub fn run_count(&self) -> usize {
        self.seeds.len() * self.variants.len()
    }

    /// The ensemble with only its variant number `v`: one unit of the experiment.
    pub fn only_variant(&self, v: usize) -> EnsemblePlan {
        EnsemblePlan { variants: vec![self.variants[v]], ..self.clone() }
    }

    /// What the unit of `variant` computes, e.g. "random-start, rank 1: relu, mu = 0.2
    /// (6 seeds)".
    pub fn unit_label(&self, variant: &Variant) -> String {
        format!(
            "{}, rank {}: {}, mu = {} ({} seeds)",
            self.start.name,
            self.rank,
            variant.label(),
            variant.mu,
            self.seeds.len()
        )
    }

    /// A file-name key that changes whenever anything that affects the ensemble's records
    /// changes: `r<rank>-<start>-<hash>`, the hash cut to 12 digits.
    pub fn key(&self, config: &EscapeConfig) -> String {
        let hash = self.identity_hash(config);
        let start: String = self
            .start
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
            .collect();
        format!("r{}-{}-{}", self.rank, start, &hash[..12])
    }

    /// SHA-256 (hex) of everything that affects the ensemble's records.
    pub fn identity_hash(&self, config: &EscapeConfig) -> String {
        #[derive(Serialize)]
        struct Identity<'a> {
            format: u32,
            model: &'a crate::escape::ModelConfig,
            lora: &'a crate::escape::AdapterConfig,
            training: &'a crate::escape::TrainingConfig,
            record: &'a crate::escape::RecordConfig,
            plan: &'a EnsemblePlan,
        }
        // The ODE switch changes only the report: the key is that of the default (left out).
        let record = crate::escape::RecordConfig { ode: true, ..config.record.clone() };
        let identity = Identity {
            format: RECORD_FORMAT,
            model: &config.model,
            lora: &config.lora,
            training: &config.training,
            record: &record,
            plan: self,
        };
        identity_hash(&identity)
    }
}

/// The ensembles of an experiment, in a fixed order.
pub fn plan_ensembles(config: &EscapeConfig) -> Vec<EnsemblePlan> {
    let mut variants = Vec::new();
    for spec in &config.sweep.activations {
        for &mu in &config.sweep.mu {
            variants.push(Variant {
                pair: spec.pair(),
                mu,
                base_learning_rate: spec.base_learning_rate(),
            });
        }
    }
    let mut plans = Vec::new();
    for &rank in &config.sweep.ranks {
        for start in &config.starts {
            plans.push(EnsemblePlan {
                rank,
                start: start.clone(),
                seeds: start.seed_list(),
                variants: variants.clone(),
            });
        }
    }
    plans
}

/// The units of an escape experiment: every variant of every ensemble, with all its seeds
/// (a variant leaves its ensemble once every seed's run of it has finished).
pub(crate) fn experiment_plan(config: &EscapeConfig) -> ExperimentPlan {
    let plans = plan_ensembles(config);
    let max_steps = config.training.max_steps as u64;
    let units = plans
        .iter()
        .flat_map(|plan| {
            plan.variants.iter().map(move |variant| PlannedUnit {
                label: plan.unit_label(variant),
                max_steps: plan.seeds.len() as u64 * max_steps,
                stage: crate::Stage::FineTuning,
            })
        })
        .collect();
    let peak_bytes = plans
        .iter()
        .map(|plan| ensemble_bytes(config, plan.rank, plan.seeds.len(), plan.variants.len()))
        .fold(0.0, f64::max);
    ExperimentPlan { units, peak_bytes }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ODE switch changes only the report, so stored records stay valid either way; the
    /// threshold changes the records (runs stop once finished), so it changes the key.
    #[test]
    fn record_keys_ignore_the_ode_switch() {
        let config = EscapeConfig::default_config();
        let plan = &plan_ensembles(&config)[0];
        let mut without_ode = config.clone();
        without_ode.record.ode = false;
        assert_eq!(plan.key(&config), plan.key(&without_ode));
        let mut other_threshold = config.clone();
        other_threshold.record.threshold = 0.6;
        assert_ne!(plan.key(&config), plan.key(&other_threshold));
    }
}
