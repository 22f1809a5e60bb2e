//! Source tasks of pre-training: what the full weight learns before fine-tuning on the
//! target y = phi(<w*, x>).

use goldilocks_model::gaussian::Stream;
use goldilocks_model::teacher::random_unit_orthogonal;
use goldilocks_model::Activation;
use serde::{Deserialize, Serialize};

/// A source task, internally tagged by `kind` in config files.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum SourceTask {
    /// The target task itself: y = phi(<w*, x>). `{ kind = "same" }`.
    Same,
    /// A rotated teacher: y = phi_s(<w_s, x>) with w_s = rho w* + sqrt(1 - rho^2) v, v a
    /// random unit vector orthogonal to w*. `{ kind = "rotated", rho = 0.8 }`; with
    /// `activation = "linear"` the source task has its own activation phi_s, which teacher and
    /// student share during pre-training (a task quick to learn before a hard target).
    Rotated {
        /// Overlap of the source teacher with the target teacher, in [-1, 1].
        rho: f64,
        /// The source task's activation phi_s; absent: the target's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        activation: Option<Activation>,
    },
    /// The squared teacher of the paper's two-stage experiment: y = phi(<w*, x>)^2.
    /// `{ kind = "squared" }`.
    Squared,
}

impl SourceTask {
    /// Checks its parameters; the message names what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            SourceTask::Rotated { rho, .. }
                if !(rho.is_finite() && (-1.0..=1.0).contains(&rho)) =>
            {
                Err(format!("rho must be in [-1, 1], got {rho}"))
            }
            SourceTask::Rotated { activation: Some(activation), .. }
                if !activation.is_differentiable() =>
            {
                Err(format!(
                    "activation {activation} has no useful derivative: the pre-training student \
                     of the source task cannot use it"
                ))
            }
            _ => Ok(()),
        }
    }

    /// A short name, used in file names and tables: `same`, `rotated-0.8`,
    /// `rotated-0.9-linear` (with its own activation), `squared`.
    pub fn name(&self) -> String {
        match self {
            SourceTask::Same => "same".into(),
            SourceTask::Rotated { rho, activation: None } => format!("rotated-{rho}"),
            SourceTask::Rotated { rho, activation: Some(activation) } => {
                format!("rotated-{rho}-{activation}")
            }
            SourceTask::Squared => "squared".into(),
        }
    }

    /// The activation of the source teacher and of the student during pre-training, given the
    /// target's.
    pub fn activation(&self, target: Activation) -> Activation {
        match *self {
            SourceTask::Rotated { activation: Some(activation), .. } => activation,
            _ => target,
        }
    }

    /// The source teacher's direction, given the target teacher `target` (a unit vector);
    /// random directions come from `seed`.
    pub fn teacher_direction(&self, target: &[f64], seed: u64) -> Vec<f64> {
        match *self {
            SourceTask::Same | SourceTask::Squared => target.to_vec(),
            SourceTask::Rotated { rho, .. } => {
                let other = random_unit_orthogonal(
                    seed,
                    Stream::FrozenWeight,
                    0,
                    target.len(),
                    &[target.to_vec()],
                );
                let rest = (1.0 - rho * rho).max(0.0).sqrt();
                target.iter().zip(&other).map(|(t, o)| rho * t + rest * o).collect()
            }
        }
    }

    /// Whether labels are the teacher's output squared.
    pub fn squares_labels(&self) -> bool {
        matches!(self, SourceTask::Squared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use goldilocks_model::teacher::{dot, norm, teacher_rows};

    #[test]
    fn rotated_teacher_has_the_requested_overlap() {
        let target = teacher_rows(3, 1, 400).remove(0);
        let source =
            SourceTask::Rotated { rho: 0.6, activation: None }.teacher_direction(&target, 3);
        assert!((norm(&source) - 1.0).abs() < 1e-12);
        assert!((dot(&source, &target) - 0.6).abs() < 1e-12);
        assert_eq!(SourceTask::Same.teacher_direction(&target, 3), target);
        assert_eq!(SourceTask::Squared.teacher_direction(&target, 3), target);
    }

    #[test]
    fn names_and_validation() {
        assert_eq!(SourceTask::Rotated { rho: 0.8, activation: None }.name(), "rotated-0.8");
        let linear = SourceTask::Rotated { rho: 0.9, activation: Some(Activation::Linear) };
        assert_eq!(linear.name(), "rotated-0.9-linear");
        assert_eq!(linear.activation(Activation::Hermite(3)), Activation::Linear);
        assert_eq!(SourceTask::Same.activation(Activation::Hermite(3)), Activation::Hermite(3));
        assert!(SourceTask::Rotated { rho: 1.5, activation: None }.validate().is_err());
        let sign = SourceTask::Rotated { rho: 0.5, activation: Some(Activation::Sign) };
        assert!(sign.validate().unwrap_err().contains("sign"));
        assert!(SourceTask::Squared.validate().is_ok());
        assert!(SourceTask::Squared.squares_labels());
        assert!(!SourceTask::Same.squares_labels());
    }
}
