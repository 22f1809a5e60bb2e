//! Sources of the frozen pre-trained weight w0 (rows of W0 for width K).

use serde::{Deserialize, Serialize};

use crate::gaussian::Stream;
use crate::teacher::{random_unit_orthogonal, standard_unit_vector};
use crate::ModelError;

/// How the frozen weight is built from the teacher and a pre-training strength mu.
///
/// For width K > 1 the paper's two-layer variant applies: the first two rows get strength mu,
/// the others are fully pre-trained (strength 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum FrozenWeightSource {
    /// w0 = mu w*.
    Aligned,
    /// w0 = mu w* + (1 - mu) xi, xi a random unit vector.
    Mixed,
    /// w0 = mu (rho w* + sqrt(1 - rho^2) v), v a random unit vector orthogonal to w*.
    Rotated {
        /// Overlap rho of the pre-training direction with the teacher, in [-1, 1].
        rho: f64,
    },
}

impl FrozenWeightSource {
    /// Checks its parameters.
    pub fn validate(&self) -> Result<(), ModelError> {
        match *self {
            FrozenWeightSource::Rotated { rho } if !(-1.0..=1.0).contains(&rho) => {
                Err(ModelError::OutOfRange { name: "rho", expected: "in [-1, 1]", value: rho })
            }
            _ => Ok(()),
        }
    }

    /// Short name for tables.
    pub fn name(&self) -> String {
        match self {
            FrozenWeightSource::Aligned => "aligned".into(),
            FrozenWeightSource::Mixed => "mixed".into(),
            FrozenWeightSource::Rotated { rho } => format!("rotated(rho={rho})"),
        }
    }

    /// The K rows of W0 for strength `mu`, given the orthonormal teacher rows; random
    /// directions come from `seed`.
    pub fn frozen_rows(&self, mu: f64, teacher: &[Vec<f64>], seed: u64) -> Vec<Vec<f64>> {
        let n = teacher.first().map_or(0, Vec::len);
        teacher
            .iter()
            .enumerate()
            .map(|(k, row)| {
                let strength = if k < 2 { mu } else { 1.0 };
                match *self {
                    FrozenWeightSource::Aligned => row.iter().map(|t| strength * t).collect(),
                    FrozenWeightSource::Mixed => {
                        let xi = standard_unit_vector(seed, Stream::FrozenWeight, k as u64, n);
                        row.iter()
                            .zip(&xi)
                            .map(|(t, x)| strength * t + (1.0 - strength) * x)
                            .collect()
                    }
                    FrozenWeightSource::Rotated { rho } => {
                        let v = random_unit_orthogonal(
                            seed,
                            Stream::FrozenWeight,
                            k as u64,
                            n,
                            teacher,
                        );
                        let rest = (1.0 - rho * rho).max(0.0).sqrt();
                        row.iter().zip(&v).map(|(t, o)| strength * (rho * t + rest * o)).collect()
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teacher::{dot, norm, teacher_rows};

    #[test]
    fn sources_have_the_stated_geometry() {
        let teacher = teacher_rows(2, 1, 300);
        let aligned = FrozenWeightSource::Aligned.frozen_rows(0.4, &teacher, 2);
        assert!((dot(&aligned[0], &teacher[0]) - 0.4).abs() < 1e-12);
        let rotated = FrozenWeightSource::Rotated { rho: 0.6 }.frozen_rows(0.5, &teacher, 2);
        assert!((dot(&rotated[0], &teacher[0]) - 0.3).abs() < 1e-12);
        assert!((norm(&rotated[0]) - 0.5).abs() < 1e-12);
        let mixed = FrozenWeightSource::Mixed.frozen_rows(1.0, &teacher, 2);
        assert!((dot(&mixed[0], &teacher[0]) - 1.0).abs() < 1e-12);
        assert!(FrozenWeightSource::Rotated { rho: 1.5 }.validate().is_err());
    }

    #[test]
    fn two_layer_rows_beyond_the_second_are_fully_pretrained() {
        let teacher = teacher_rows(3, 3, 100);
        let rows = FrozenWeightSource::Aligned.frozen_rows(0.2, &teacher, 3);
        assert!((dot(&rows[1], &teacher[1]) - 0.2).abs() < 1e-12);
        assert!((dot(&rows[2], &teacher[2]) - 1.0).abs() < 1e-12);
    }
}
