//! [`RunTrajectory`]: one fine-tuning run as the analysis sees it.
//!
//! The analysis takes plain Rust data: the runner converts its records into these values.

use serde::{Deserialize, Serialize};

use crate::escape::escape_step;

/// One run's measured trajectory, as the analysis sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunTrajectory {
    /// Display name of the activation pair, e.g. "relu" (teacher = student) or "sign->tanh".
    pub activation: String,
    /// Pre-training strength mu.
    pub mu: f64,
    /// LoRA rank r.
    pub rank: usize,
    /// Name of the starting condition, e.g. "published-start" or "random-start".
    pub start: String,
    /// Prescribed initial overlap m0 of V with the teacher; None for a random V.
    pub initial_overlap: Option<f64>,
    /// Seed of the run.
    pub seed: u64,
    /// Order parameter m_V after every SGD step: index i holds the value after i + 1 steps.
    /// A diverged run's curve ends before its first non-finite value.
    pub m_v: Vec<f64>,
    /// Whether the run diverged (its state became non-finite) and was stopped there.
    #[serde(default)]
    pub diverged: bool,
    /// Step budget of the run (a run whose m_v never reaches the threshold is censored at this budget).
    pub max_steps: usize,
}

impl RunTrajectory {
    /// The run's escape step at `threshold` (see [`escape_step`]); `None` when censored.
    pub fn escape_step(&self, threshold: f64) -> Option<usize> {
        escape_step(&self.m_v, threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_step_of_a_run_uses_its_m_v() {
        let run = RunTrajectory {
            activation: "linear".into(),
            mu: 0.5,
            rank: 1,
            start: "random-start".into(),
            initial_overlap: None,
            seed: 7,
            m_v: vec![0.1, 0.3, 0.6],
            max_steps: 3,
            diverged: false,
        };
        assert_eq!(run.escape_step(0.5), Some(3));
        assert_eq!(run.escape_step(0.7), None);
    }
}
