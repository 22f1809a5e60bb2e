//! What one escape-time run measured ([`RunRecord`], with its [`GridRecord`]), stored by the
//! escape kind as JSON lines.

use crate::RunTrajectory;
use serde::{Deserialize, Serialize};

/// Observables recorded on the step grid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GridRecord {
    /// Steps (0 = before training).
    pub step: Vec<usize>,
    /// Loss on the fixed test set (noise-free labels).
    pub test_loss: Vec<f64>,
    /// Loss of the training batch of that step, before its update (none at step 0).
    pub train_loss: Vec<Option<f64>>,
    /// |<V_j, w*>| / |V_j| for every LoRA row j (maximum over teacher rows when K > 1).
    pub m_v_rows: Vec<Vec<f64>>,
    /// Frobenius norm |U|.
    pub u_norm: Vec<f64>,
    /// The LoRA update along the teacher, scaling * sum_j U_j <V_j, w*> (first unit and teacher row).
    pub lora_along_teacher: Vec<f64>,
    /// <S, w*> (first unit and teacher row).
    pub student_overlap: Vec<f64>,
}

/// Everything one run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Display name of the activation pair ("relu", "sign->tanh").
    pub activation: String,
    /// Teacher activation.
    pub teacher: String,
    /// Student activation.
    pub student: String,
    /// Pre-training strength mu.
    pub mu: f64,
    /// LoRA rank.
    pub rank: usize,
    /// Starting condition.
    pub start: String,
    /// Prescribed initial overlap m0, if any.
    pub initial_overlap: Option<f64>,
    /// Seed.
    pub seed: u64,
    /// Learning rate used (after the Hermite rule).
    pub learning_rate: f64,
    /// Step budget.
    pub max_steps: usize,
    /// Steps this run was trained: the ensemble stops a variant once every seed's run of it
    /// has finished (with `training.stop_when_finished`).
    pub steps_run: usize,
    /// First step at which m_V reached the threshold; None when censored.
    pub escape_step: Option<usize>,
    /// Whether the run never reached the threshold within the steps run (and did not
    /// diverge).
    pub censored: bool,
    /// The step at which the run's state was first non-finite: it was stopped there and its
    /// curves end before it. None for a run that stayed finite (the field is then left out
    /// of the stored line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diverged_at: Option<usize>,
    /// m_V = max_j |<V_j, w*>| / |V_j| after every step (index i: after i + 1 steps), up to
    /// the divergence of a diverged run.
    pub m_v: Vec<f32>,
    /// Observables on the step grid.
    pub grid: GridRecord,
}

impl RunRecord {
    /// The run as the analysis sees it.
    pub fn trajectory(&self) -> RunTrajectory {
        RunTrajectory {
            activation: self.activation.clone(),
            mu: self.mu,
            rank: self.rank,
            start: self.start.clone(),
            initial_overlap: self.initial_overlap,
            seed: self.seed,
            m_v: self.m_v.iter().map(|&x| f64::from(x)).collect(),
            max_steps: self.max_steps,
            diverged: self.diverged_at.is_some(),
        }
    }
}
