//! What an experiment will do, before it does it: its independent units in plan order, each
//! with its step budget, and the estimated peak memory of its largest unit. `--dry-run`
//! prints it and writes nothing.

use std::fmt;

use crate::memory_limit::human_bytes;
use crate::Stage;

/// One independent unit of an experiment: what it computes and at most how many SGD steps.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedUnit {
    /// What the unit computes, e.g. "random-start, rank 1: relu, mu = 0.2 (6 seeds)".
    pub label: String,
    /// The most SGD steps it can take: its runs times their step budget.
    pub max_steps: u64,
    /// Its stage: pre-training units finish before the fine-tuning units that need them.
    pub stage: Stage,
}

/// An experiment's units and the peak memory of its largest unit.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentPlan {
    /// The units, in the order the experiment runs them.
    pub units: Vec<PlannedUnit>,
    /// Estimated peak bytes of the largest unit (see each kind's `memory.rs`).
    pub peak_bytes: f64,
}

impl ExperimentPlan {
    /// Whether some units are pre-training that later units need (they then run as two
    /// stages, the second after the first).
    pub fn has_stages(&self) -> bool {
        self.units.iter().any(|u| u.stage == Stage::PreTraining)
    }

    /// The most SGD steps of all units together.
    pub fn max_steps(&self) -> u64 {
        self.units.iter().map(|u| u.max_steps).sum()
    }
}

impl fmt::Display for ExperimentPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} units, at most {} SGD steps in all; the largest needs about {}",
            self.units.len(),
            self.max_steps(),
            human_bytes(self.peak_bytes)
        )?;
        let width = self.units.len().to_string().len();
        for (index, unit) in self.units.iter().enumerate() {
            writeln!(f, "{index:>width$}  {}  (at most {} steps)", unit.label, unit.max_steps)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_lists_its_units_and_totals() {
        let plan = ExperimentPlan {
            units: vec![
                PlannedUnit { label: "a".into(), max_steps: 10, stage: Stage::PreTraining },
                PlannedUnit { label: "b".into(), max_steps: 5, stage: Stage::FineTuning },
            ],
            peak_bytes: 2048.0,
        };
        assert_eq!(plan.max_steps(), 15);
        let text = plan.to_string();
        assert!(text.starts_with(
            "2 units, at most 15 SGD steps in all; the largest needs about 2.0 KiB\n"
        ));
        assert!(text.contains("0  a  (at most 10 steps)\n1  b  (at most 5 steps)\n"), "{text}");
    }
}
