//! The config of an escape-time scaling (`kind = "scaling"`): how the time to leave the
//! search phase grows with the input dimension N for V-only online SGD without pre-training
//! (mu = 0, U = 1 frozen, B = 1), on Hermite targets. Each target names its sizes and the laws
//! `c N^p` of its learning rate, step budget and (optionally) initial overlap; the config
//! expands into one ordinary escape-time config per (target, N) ([`ScalingConfig::point_config`]).
//! See `configs/scaling.toml`.

use goldilocks_kernels::EnsembleKernels;
use goldilocks_lora::LoraInit;
use goldilocks_model::{Activation, FrozenWeightSource};
use goldilocks_schedule::StepSchedule;
use serde::{Deserialize, Serialize};

use crate::escape::EscapeConfig;
use crate::escape::{
    ActivationSpec, AdapterConfig, InputSampling, ModelConfig, RecordConfig, StartConfig,
    SweepConfig, TrainingConfig,
};
use crate::field_checks::{at_least_one, lists_at_least_one, unit_fraction, validate_name};
use crate::scaling::ScalingOutcome;
use crate::{
    ExperimentError, ExperimentKind, ExperimentPlan, PlannedUnit, RunOptions, ShardOutcome,
    ShardRun,
};
use std::path::Path;

/// Size of the fixed test set of every point (the test loss is only recorded, not used).
const TEST_SIZE: usize = 100;
/// Log-spaced grid points of the recorded observables of every point.
const GRID_POINTS: usize = 20;
/// Largest step budget of one point.
const MAX_BUDGET: f64 = 1e9;

/// A whole scaling experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingConfig {
    /// Name; results go to `results/<name>/`.
    pub name: String,
    /// One or two sentences on what the experiment shows.
    #[serde(default)]
    pub description: String,
    /// Escape threshold on m_V: a run escapes at the first step with m_V at or above it.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// The targets, each measured at its own sizes.
    pub targets: Vec<ScalingTarget>,
}

/// One target (teacher = student) and how its runs are set up at every size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingTarget {
    /// A Hermite activation: `he<k>` (information exponent k) or `he<k>+he<l>` (exponent k).
    pub activation: Activation,
    /// Input dimensions N, ascending.
    pub sizes: Vec<usize>,
    /// Learning rate `c N^p` before the Hermite rule (which divides it by k! k for top degree k).
    pub learning_rate: PowerLaw,
    /// Step budget `ceil(c N^q)`; a run that has not escaped by then is censored.
    pub budget: PowerLaw,
    /// Prescribed initial overlap `m0 = c N^p` of V with the teacher (negative c: the far
    /// side); absent for a random V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_overlap: Option<PowerLaw>,
    /// Seeds per size, run as first_seed, first_seed + 1, ...
    pub seeds: usize,
    /// The first seed.
    #[serde(default)]
    pub first_seed: u64,
}

/// A law `c N^p`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerLaw {
    /// The constant c.
    pub constant: f64,
    /// The exponent p.
    pub exponent: f64,
}

impl PowerLaw {
    /// `c N^p`.
    pub fn at(&self, n: usize) -> f64 {
        self.constant * (n as f64).powf(self.exponent)
    }

    fn validate(
        &self,
        field: &str,
        constant_must_be_positive: bool,
    ) -> Result<(), ExperimentError> {
        let constant_ok = self.constant.is_finite()
            && if constant_must_be_positive { self.constant > 0.0 } else { self.constant != 0.0 };
        if !constant_ok {
            let wanted =
                if constant_must_be_positive { "a positive number" } else { "a non-zero number" };
            return Err(ExperimentError::invalid(
                format!("{field}.constant"),
                format!("must be {wanted}, got {}", self.constant),
            ));
        }
        if !self.exponent.is_finite() {
            return Err(ExperimentError::invalid(
                format!("{field}.exponent"),
                format!("must be a finite number, got {}", self.exponent),
            ));
        }
        Ok(())
    }
}

impl std::fmt::Display for PowerLaw {
    /// `0.05 N^-1.5`, `40 N`, `3` (exponent 0).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.exponent == 0.0 {
            write!(f, "{}", self.constant)
        } else if self.exponent == 1.0 {
            write!(f, "{} N", self.constant)
        } else {
            write!(f, "{} N^{}", self.constant, self.exponent)
        }
    }
}

fn default_threshold() -> f64 {
    0.5
}

impl ScalingTarget {
    /// Information exponent k of the target: the degree of its lowest Hermite term.
    pub fn information_exponent(&self) -> Option<u32> {
        match self.activation {
            Activation::Hermite(k) | Activation::HermiteSum(k, _) => Some(k),
            _ => None,
        }
    }

    /// The step budget at size `n`.
    pub fn max_steps(&self, n: usize) -> usize {
        self.budget.at(n).ceil() as usize
    }
}

impl ScalingConfig {
    /// Every (target index, size) in run order: targets in order, sizes ascending.
    pub fn points(&self) -> Vec<(usize, usize)> {
        self.targets
            .iter()
            .enumerate()
            .flat_map(|(t, target)| target.sizes.iter().map(move |&n| (t, n)))
            .collect()
    }

    /// The folder name of a point inside the experiment's results: `<activation>-n<N>`.
    pub fn point_name(&self, target: usize, n: usize) -> String {
        let activation: String = self.targets[target]
            .activation
            .to_string()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("{activation}-n{n}")
    }

    /// The ordinary escape-time config of target `target` at size `n`: V alone trained from
    /// mu = 0 (U = 1 frozen, rank 1), online SGD (B = 1), the learning rate, budget and start
    /// of the target's laws at `n`.
    pub fn point_config(&self, target: usize, n: usize) -> EscapeConfig {
        let spec = &self.targets[target];
        let initial_overlap = spec.initial_overlap.map(|law| law.at(n));
        EscapeConfig {
            name: format!("{}-{}", self.name, self.point_name(target, n)),
            description: format!(
                "Point N = {n} of the escape-time scaling {}: {} target, V only from mu = 0, lr = {} before the Hermite rule, budget {} steps.",
                self.name,
                spec.activation,
                spec.learning_rate,
                spec.budget
            ),
            model: ModelConfig { input_dim: n, width: 1, batch: 1, test_size: TEST_SIZE, label_noise: 0.0, source: FrozenWeightSource::Aligned },
            lora: AdapterConfig { init: LoraInit::Paper, alpha: 1.0, use_rslora: false, train_only_v: true },
            training: TrainingConfig {
                learning_rate: spec.learning_rate.at(n),
                hermite_lr_rule: true,
                max_steps: spec.max_steps(n),
                stop_when_finished: true,
                settle_steps: 20,
                inputs: InputSampling::Full,
                loss_bound: None,
            },
            sweep: SweepConfig { activations: vec![ActivationSpec::Same(spec.activation)], mu: vec![0.0], ranks: vec![1] },
            starts: vec![StartConfig {
                name: if initial_overlap.is_some() { "overlap-start" } else { "random-start" }.to_string(),
                initial_overlap,
                seeds: spec.seeds,
                first_seed: spec.first_seed,
            }],
            record: RecordConfig { threshold: self.threshold, grid: StepSchedule::Log { points: GRID_POINTS, include_zero: true }, ..RecordConfig::default() },
        }
    }
}

impl ExperimentKind for ScalingConfig {
    const KIND: &'static str = "scaling";
    type Outcome = ScalingOutcome;

    fn name(&self) -> &str {
        &self.name
    }

    fn run<B: EnsembleKernels>(
        &self,
        options: &RunOptions,
        device: &B::Device,
    ) -> Result<ScalingOutcome, ExperimentError> {
        super::run::run::<B>(self, options, device)
    }

    fn run_shard<B: EnsembleKernels>(
        &self,
        options: &RunOptions,
        run: ShardRun,
        device: &B::Device,
    ) -> Result<ShardOutcome, ExperimentError> {
        super::shard::run_shard::<B>(self, options, run, device)
    }

    fn gather_shards(&self, experiment_dir: &Path, shards: usize) -> Result<(), ExperimentError> {
        super::shard::gather_shards(self, experiment_dir, shards)
    }

    fn plan(&self) -> ExperimentPlan {
        let points = self.points();
        let units = points
            .iter()
            .map(|&(t, n)| {
                let target = &self.targets[t];
                PlannedUnit {
                    label: format!("{} ({} seeds)", self.point_name(t, n), target.seeds),
                    max_steps: target.seeds as u64 * target.max_steps(n) as u64,
                    stage: crate::Stage::FineTuning,
                }
            })
            .collect();
        let peak_bytes = points
            .iter()
            .map(|&(t, n)| self.point_config(t, n).plan().peak_bytes)
            .fold(0.0, f64::max);
        ExperimentPlan { units, peak_bytes }
    }

    fn validate(&self) -> Result<(), ExperimentError> {
        validate_name(&self.name)?;
        unit_fraction("threshold", self.threshold)?;
        lists_at_least_one("targets", self.targets.len(), "target")?;
        for (t, target) in self.targets.iter().enumerate() {
            let field = |name: &str| format!("targets[{t}].{name}");
            if target.information_exponent().is_none() {
                return Err(ExperimentError::invalid(
                    field("activation"),
                    format!(
                        "must be a Hermite activation (he<k> or he<k>+he<l>), got {}",
                        target.activation
                    ),
                ));
            }
            if self.targets[..t].iter().any(|other| other.activation == target.activation) {
                return Err(ExperimentError::invalid(
                    field("activation"),
                    format!("{} is listed twice", target.activation),
                ));
            }
            if target.sizes.len() < 2 {
                return Err(ExperimentError::invalid(
                    field("sizes"),
                    format!("must list at least two sizes for a fit, got {}", target.sizes.len()),
                ));
            }
            for (i, &n) in target.sizes.iter().enumerate() {
                if n < 2 {
                    return Err(ExperimentError::invalid(
                        format!("targets[{t}].sizes[{i}]"),
                        format!("must be at least 2, got {n}"),
                    ));
                }
                if i > 0 && n <= target.sizes[i - 1] {
                    return Err(ExperimentError::invalid(
                        format!("targets[{t}].sizes[{i}]"),
                        format!(
                            "must be larger than the size before it ({}), got {n}",
                            target.sizes[i - 1]
                        ),
                    ));
                }
            }
            target.learning_rate.validate(&field("learning_rate"), true)?;
            target.budget.validate(&field("budget"), true)?;
            if let Some(law) = &target.initial_overlap {
                law.validate(&field("initial_overlap"), false)?;
            }
            at_least_one(&field("seeds"), target.seeds)?;
            for &n in &target.sizes {
                let learning_rate = target.learning_rate.at(n);
                if !(learning_rate.is_finite() && learning_rate > 0.0) {
                    return Err(ExperimentError::invalid(
                        field("learning_rate"),
                        format!("gives {learning_rate} at N = {n}; it must be a positive number"),
                    ));
                }
                let budget = target.budget.at(n);
                if !(budget.is_finite() && budget > 0.0 && budget <= MAX_BUDGET) {
                    return Err(ExperimentError::invalid(
                        field("budget"),
                        format!(
                            "gives {budget} steps at N = {n}; it must be in (0, {MAX_BUDGET:e}]"
                        ),
                    ));
                }
                if let Some(m0) = target.initial_overlap.map(|law| law.at(n)) {
                    if !(m0.abs() > 0.0 && m0.abs() < self.threshold) {
                        return Err(ExperimentError::invalid(
                            field("initial_overlap"),
                            format!(
                                "gives m0 = {m0} at N = {n}; |m0| must be in (0, threshold = {})",
                                self.threshold
                            ),
                        ));
                    }
                }
                self.point_config(t, n).validate().map_err(|error| {
                    ExperimentError::invalid(
                        format!("targets[{t}]"),
                        format!("at N = {n}: {error}"),
                    )
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
kind = "scaling"
name = "s"

[[targets]]
activation = "he2"
sizes = [16, 32]
learning_rate = { constant = 0.5, exponent = -1 }
budget = { constant = 40, exponent = 1 }
seeds = 2

[[targets]]
activation = "he3"
sizes = [16, 64]
learning_rate = { constant = 0.05, exponent = -1.5 }
budget = { constant = 60, exponent = 2 }
initial_overlap = { constant = 1.0, exponent = -0.5 }
seeds = 3
first_seed = 10
"#;

    #[test]
    fn expands_into_one_escape_config_per_target_and_size() {
        let config = ScalingConfig::from_toml(TEXT, "test").unwrap();
        assert_eq!(config.threshold, 0.5);
        assert_eq!(config.points(), vec![(0, 16), (0, 32), (1, 16), (1, 64)]);
        assert_eq!(config.point_name(1, 64), "he3-n64");
        let point = config.point_config(1, 64);
        assert_eq!(point.name, "s-he3-n64");
        assert_eq!(point.model.input_dim, 64);
        assert!((point.training.learning_rate - 0.05 / 512.0).abs() < 1e-15);
        assert_eq!(point.training.max_steps, 60 * 64 * 64);
        assert_eq!(point.starts[0].initial_overlap, Some(0.125));
        assert_eq!(point.starts[0].seed_list(), vec![10, 11, 12]);
        assert!(point.lora.train_only_v && point.sweep.mu == vec![0.0] && point.model.batch == 1);
        let random = config.point_config(0, 32);
        assert_eq!(
            (random.starts[0].initial_overlap, random.starts[0].name.as_str()),
            (None, "random-start")
        );
        assert_eq!(random.training.max_steps, 1280);
        assert_eq!(config.targets[1].information_exponent(), Some(3));
        // The written config reads back the same.
        assert_eq!(ScalingConfig::from_toml(&config.to_toml(), "round trip").unwrap(), config);
    }

    #[test]
    fn laws_print_as_written() {
        assert_eq!(PowerLaw { constant: 0.05, exponent: -1.5 }.to_string(), "0.05 N^-1.5");
        assert_eq!(PowerLaw { constant: 40.0, exponent: 1.0 }.to_string(), "40 N");
        assert_eq!(PowerLaw { constant: 3.0, exponent: 0.0 }.to_string(), "3");
    }
}
