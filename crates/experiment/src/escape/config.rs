//! The escape experiment's config: serde types read from TOML, with defaults and validation.
//!
//! A config names an experiment, the model (N, K, B, test set, frozen-weight source), the
//! LoRA adapter, training (learning rate, budget, stopping), the sweep (activations, mu,
//! ranks), the starting conditions (each with its seeds and optional initial overlap m0) and
//! what to record. See `configs/default.toml` for an annotated example.

use goldilocks_kernels::EnsembleKernels;
use goldilocks_lora::{LoraConfig, LoraError, LoraInit};
use goldilocks_model::{Activation, ActivationPair, FrozenWeightSource};
use goldilocks_schedule::StepSchedule;
use serde::{Deserialize, Serialize};

use crate::escape::EscapeOutcome;
use crate::{ExperimentError, ExperimentKind, ExperimentPlan, RunOptions, ShardOutcome, ShardRun};
use std::path::Path;

/// The config `cargo xtask experiment` runs when given none.
pub const DEFAULT_CONFIG: &str = include_str!("../../../../configs/default.toml");

/// A whole escape experiment (`kind = "escape"`, the kind of a config without `kind`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscapeConfig {
    /// Name; results go to `results/<name>/`.
    pub name: String,
    /// One or two sentences on what the experiment shows.
    #[serde(default)]
    pub description: String,
    /// The data and the student.
    pub model: ModelConfig,
    /// The adapter.
    #[serde(default)]
    pub lora: AdapterConfig,
    /// SGD and stopping.
    pub training: TrainingConfig,
    /// The grid of runs.
    pub sweep: SweepConfig,
    /// Starting conditions of V, each with its seeds.
    pub starts: Vec<StartConfig>,
    /// What to record and how to measure escape.
    #[serde(default)]
    pub record: RecordConfig,
}

/// Data and student.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Input dimension N.
    pub input_dim: usize,
    /// Readout width K (1: the single-index model).
    #[serde(default = "one")]
    pub width: usize,
    /// Batch size B of one-pass SGD.
    pub batch: usize,
    /// Size of the fixed test set.
    #[serde(default = "default_test_size")]
    pub test_size: usize,
    /// Standard deviation of Gaussian label noise (training labels only).
    #[serde(default)]
    pub label_noise: f64,
    /// How the frozen weight w0 is built from the teacher and mu.
    #[serde(default = "default_source")]
    pub source: FrozenWeightSource,
}

/// The adapter's options as the TOML writes them (the rank comes from the sweep): a view of
/// [`LoraConfig`], made by [`AdapterConfig::lora_config`] and checked by its rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterConfig {
    /// Init mode: "paper", "gaussian", "kaiming" or "gradient" (data-aware).
    #[serde(default = "default_init")]
    pub init: LoraInit,
    /// PEFT's lora_alpha (ignored by the paper's init, whose scaling is 1).
    #[serde(default = "one_f64")]
    pub alpha: f64,
    /// PEFT's use_rslora.
    #[serde(default)]
    pub use_rslora: bool,
    /// Train V alone, as in the paper's "V only" runs: U is set to 1 and frozen, so with
    /// mu = 0 the student weight is S = V, a unit vector renormalised after every step.
    /// Needs `init = "paper"`. Left out of the written config (and the record keys) when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub train_only_v: bool,
}

impl Default for AdapterConfig {
    fn default() -> Self {
        Self { init: LoraInit::Paper, alpha: 1.0, use_rslora: false, train_only_v: false }
    }
}

impl AdapterConfig {
    /// The LoRA options of rank `rank`: `lora_alpha` is `alpha`, `init_lora_weights` is
    /// `init`, no target modules (the adapter is on the raw weight).
    pub fn lora_config(&self, rank: usize) -> LoraConfig {
        LoraConfig { r: rank, lora_alpha: self.alpha, ..LoraConfig::default() }
            .with_init(self.init.clone())
            .with_rslora(self.use_rslora)
    }

    /// Checks the options by [`LoraConfig::validate`] (at rank 1: they hold or fail at every
    /// rank alike; each rank is checked against the width with
    /// [`LoraConfig::validate_rank`]); `section` names the TOML table in errors.
    pub fn validate(&self, section: &str) -> Result<(), ExperimentError> {
        self.lora_config(1).validate().map_err(|e| lora_error(section, e))
    }
}

/// A LoRA error as an invalid field of the TOML table `section`.
fn lora_error(section: &str, error: LoraError) -> ExperimentError {
    let field = match error {
        LoraError::Alpha(_) => format!("{section}.alpha"),
        _ => section.to_string(),
    };
    ExperimentError::invalid(field, error.to_string())
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_true(value: &bool) -> bool {
    *value
}

/// SGD and when to stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingConfig {
    /// Learning rate of plain SGD.
    pub learning_rate: f64,
    /// Divide the learning rate by k! * k for a Hermite student of degree k.
    #[serde(default = "yes")]
    pub hermite_lr_rule: bool,
    /// Step budget of every run; a run that has not escaped by then is censored.
    pub max_steps: usize,
    /// Stop an ensemble early once every run has finished: its m_V has stayed at or above
    /// max(threshold, mu + band) for `settle_steps` consecutive steps.
    #[serde(default = "yes")]
    pub stop_when_finished: bool,
    /// Consecutive steps above the finishing level that make a run finished.
    #[serde(default = "default_settle")]
    pub settle_steps: usize,
    /// How a step's Gaussian inputs are drawn. Left out of the written config (and the
    /// record keys) when "full".
    #[serde(default, skip_serializing_if = "InputSampling::is_full")]
    pub inputs: InputSampling,
    /// A run whose training or test loss at a record-grid step exceeds this is stopped there
    /// and recorded as diverged. Absent (the default): only a non-finite state or loss counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_bound: Option<f64>,
}

/// How the Gaussian inputs of a training step are drawn. Both give SGD steps with the same
/// law; they differ in cost and in the numbers drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputSampling {
    /// Every input vector, B x N draws per seed and step.
    #[default]
    Full,
    /// Each input's coordinates in the span of a run's teacher, frozen and LoRA rows, and the
    /// update's part orthogonal to that span in one draw: B x (2K + r) + r x N draws per seed
    /// and step (see `goldilocks_model::ProjectedInputs`). Far cheaper when B is large.
    Projected,
}

impl InputSampling {
    fn is_full(&self) -> bool {
        *self == InputSampling::Full
    }
}

/// The grid of runs: every activation pair x mu x rank, under every starting condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepConfig {
    /// Activations: a name (teacher = student) or `{ teacher = "...", student = "..." }`.
    pub activations: Vec<ActivationSpec>,
    /// Pre-training strengths mu in [0, 1].
    pub mu: Vec<f64>,
    /// LoRA ranks r (1 <= r <= N).
    #[serde(default = "default_ranks")]
    pub ranks: Vec<usize>,
}

/// An activation pair as written in a config.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ActivationSpec {
    /// The same activation for teacher and student.
    Same(Activation),
    /// A teacher and a student (the same or different), optionally with a learning rate of
    /// their own.
    Pair {
        /// Teacher activation phi.
        teacher: Activation,
        /// Student activation sigma.
        student: Activation,
        /// This pair's rate before the Hermite rule, in place of `training.learning_rate`
        /// (the published He2 curve ran at 0.01 while the others ran at 0.2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        learning_rate: Option<f64>,
    },
}

impl ActivationSpec {
    /// The pair it stands for.
    pub fn pair(&self) -> ActivationPair {
        match *self {
            ActivationSpec::Same(activation) => ActivationPair::matching(activation),
            ActivationSpec::Pair { teacher, student, .. } => ActivationPair { teacher, student },
        }
    }

    /// The name of its rows (see [`row_label`](crate::escape::plan::row_label)).
    pub fn label(&self) -> String {
        crate::escape::plan::row_label(self.pair(), self.base_learning_rate())
    }

    /// The pair's own rate before the Hermite rule, if it has one.
    pub fn base_learning_rate(&self) -> Option<f64> {
        match *self {
            ActivationSpec::Same(_) => None,
            ActivationSpec::Pair { learning_rate, .. } => learning_rate,
        }
    }
}

/// A starting condition of V and the seeds run under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartConfig {
    /// Name used in tables, e.g. "published-start".
    pub name: String,
    /// Prescribed overlap m0 of every row of V with the teacher, 0 < |m0| < 1 (negative: V starts
    /// on the teacher's far side); absent for random V.
    #[serde(default)]
    pub initial_overlap: Option<f64>,
    /// Number of seeds, run as seeds first_seed, first_seed + 1, ...
    pub seeds: usize,
    /// The first seed.
    #[serde(default)]
    pub first_seed: u64,
}

impl StartConfig {
    /// The seeds of this condition.
    pub fn seed_list(&self) -> Vec<u64> {
        (0..self.seeds as u64).map(|i| self.first_seed + i).collect()
    }
}

/// What to record and how escape is measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordConfig {
    /// Escape threshold theta on m_V.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Half-width of the paper statistic's band [mu - band, mu + band].
    #[serde(default = "default_band")]
    pub band: f64,
    /// Steps at which test loss, |U| and the other overlaps are recorded (m_V is recorded at every step).
    #[serde(default = "default_grid")]
    pub grid: StepSchedule,
    /// Seeds per subset for the paper statistic's interval (the published numbers use 3).
    #[serde(default = "default_subset_size")]
    pub subset_size: usize,
    /// Draw the deterministic large-N dynamics (ODE and step map) over the measured m_V curves
    /// in the report, where it applies (rank-1 runs of the paper's setting). On by default,
    /// and then left out of the written config. It changes only the report, so it is not part
    /// of the record keys.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub ode: bool,
}

impl Default for RecordConfig {
    fn default() -> Self {
        Self {
            threshold: default_threshold(),
            band: default_band(),
            grid: default_grid(),
            subset_size: default_subset_size(),
            ode: true,
        }
    }
}

fn one() -> usize {
    1
}
fn one_f64() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn default_test_size() -> usize {
    1000
}
fn default_source() -> FrozenWeightSource {
    FrozenWeightSource::Aligned
}
fn default_init() -> LoraInit {
    LoraInit::Paper
}
fn default_settle() -> usize {
    20
}
fn default_ranks() -> Vec<usize> {
    vec![1]
}
fn default_threshold() -> f64 {
    0.5
}
fn default_band() -> f64 {
    0.05
}
fn default_grid() -> StepSchedule {
    StepSchedule::Log { points: 60, include_zero: true }
}
fn default_subset_size() -> usize {
    3
}

impl EscapeConfig {
    /// The embedded default config.
    pub fn default_config() -> Self {
        Self::from_toml(DEFAULT_CONFIG, "configs/default.toml")
            .expect("the embedded default config is valid")
    }
}

impl ExperimentKind for EscapeConfig {
    const KIND: &'static str = "escape";
    type Outcome = EscapeOutcome;

    fn name(&self) -> &str {
        &self.name
    }

    fn run<B: EnsembleKernels>(
        &self,
        options: &RunOptions,
        device: &B::Device,
    ) -> Result<EscapeOutcome, ExperimentError> {
        super::run::run::<B>(self, options, device)
    }

    fn validate(&self) -> Result<(), ExperimentError> {
        super::validate::validate(self)
    }

    fn plan(&self) -> ExperimentPlan {
        super::plan::experiment_plan(self)
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
}
