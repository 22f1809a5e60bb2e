//! The gradient-aligned init: a data-aware init in the spirit of LoRA-GA (Wang et al., 2024).
//!
//! Given the gradient G (out x in) of the loss with respect to the full weight at the start
//! of fine-tuning, the rows of A (this crate's V) are the top right singular vectors of G and
//! B (U) is zero. The adapter thus starts as a no-op, and its first update of B moves the
//! product B A along the best rank-r approximation of -G: the adapter searches the direction
//! that full fine-tuning would take first, instead of a random one.
//!
//! Unlike LoRA-GA proper, B is not initialised from the next singular vectors and the base
//! weight is not modified; that keeps the init valid for K = 1 (a single-row gradient has one
//! singular vector) and keeps the base weight frozen bit for bit.
//!
//! ```
//! use goldilocks_lora::gradient_aligned_factors;
//! use rand::SeedableRng;
//!
//! let gradient = vec![vec![3.0, 0.0, -4.0]]; // K = 1, N = 3
//! let mut rng = rand::rngs::StdRng::seed_from_u64(0);
//! let factors = gradient_aligned_factors(&gradient, 2, &mut rng).unwrap();
//! assert_eq!(factors.u, vec![vec![0.0, 0.0]]);
//! // The first row of V points downhill: -G / |G|.
//! assert_eq!(factors.v[0], vec![-0.6, 0.0, 0.8]);
//! ```

use rand::Rng;
use rand_distr::StandardNormal;

use crate::svd::thin_svd;
use crate::{InitialFactors, LoraError};

/// U = 0 (K x r) and V (r x N) whose rows are orthonormal, the first ones the top right
/// singular vectors of `gradient` (K x N, row-major), each signed so that with U's column i
/// along the matching left singular vector (largest entry positive) U V points along -G.
///
/// Rows beyond the rank of G (for K = 1, every row after the first) are random unit vectors
/// from `rng`, orthogonal to the previous rows. Fails when the rows of `gradient` differ in
/// length, when it is empty, or when `rank` is 0 or larger than N.
pub fn gradient_aligned_factors<R: Rng>(
    gradient: &[Vec<f64>],
    rank: usize,
    rng: &mut R,
) -> Result<InitialFactors, LoraError> {
    let k = gradient.len();
    let n = gradient.first().map_or(0, Vec::len);
    if k == 0 || n == 0 || gradient.iter().any(|row| row.len() != n) {
        return Err(LoraError::Shape(format!(
            "the gradient must be a non-empty matrix, got {k} rows"
        )));
    }
    if rank == 0 || rank > n {
        return Err(LoraError::Rank { rank, in_features: n });
    }
    if gradient.iter().flatten().any(|x| !x.is_finite()) {
        return Err(LoraError::Shape("the gradient has non-finite entries".into()));
    }
    let svd = thin_svd(gradient);
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(rank);
    for (i, &value) in svd.singular_values.iter().enumerate().take(rank) {
        if value == 0.0 {
            break;
        }
        let left = &svd.left[i];
        let pivot = left
            .iter()
            .copied()
            .fold(0.0_f64, |best, x| if x.abs() > best.abs() { x } else { best });
        let sign = if pivot < 0.0 { 1.0 } else { -1.0 };
        rows.push(svd.right[i].iter().map(|x| sign * x).collect());
    }
    while rows.len() < rank {
        let mut candidate: Vec<f64> = (0..n).map(|_| rng.sample(StandardNormal)).collect();
        for row in &rows {
            let overlap: f64 = row.iter().zip(&candidate).map(|(a, b)| a * b).sum();
            candidate.iter_mut().zip(row).for_each(|(c, r)| *c -= overlap * r);
        }
        let norm = candidate.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 1e-6 {
            rows.push(candidate.into_iter().map(|x| x / norm).collect());
        }
    }
    Ok(InitialFactors { u: vec![vec![0.0; rank]; k], v: rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn rows_are_orthonormal_and_start_with_the_gradient() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let gradient: Vec<Vec<f64>> = vec![(0..50).map(|j| (j as f64 * 0.3).cos()).collect()];
        let norm = dot(&gradient[0], &gradient[0]).sqrt();
        let factors = gradient_aligned_factors(&gradient, 4, &mut rng).unwrap();
        assert_eq!(factors.u, vec![vec![0.0; 4]]);
        assert!((dot(&factors.v[0], &gradient[0]) + norm).abs() < 1e-10, "first row is -G/|G|");
        for p in 0..4 {
            for q in 0..4 {
                let expected = f64::from(u8::from(p == q));
                assert!((dot(&factors.v[p], &factors.v[q]) - expected).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn spans_the_top_singular_directions() {
        // G = 5 e0 f0^T + 2 e1 f1^T with f0 = x-axis, f1 = y-axis of R^4.
        let gradient =
            vec![vec![5.0, 0.0, 0.0, 0.0], vec![0.0, 2.0, 0.0, 0.0], vec![0.0, 0.0, 0.0, 0.0]];
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let factors = gradient_aligned_factors(&gradient, 2, &mut rng).unwrap();
        assert_eq!(factors.v, vec![vec![-1.0, 0.0, 0.0, 0.0], vec![0.0, -1.0, 0.0, 0.0]]);
        assert_eq!(factors.u.len(), 3);
    }

    #[test]
    fn bad_inputs_are_rejected() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(
            gradient_aligned_factors(&[vec![1.0, 2.0]], 3, &mut rng),
            Err(LoraError::Rank { rank: 3, in_features: 2 })
        );
        assert!(matches!(
            gradient_aligned_factors(&[vec![1.0], vec![1.0, 2.0]], 1, &mut rng),
            Err(LoraError::Shape(_))
        ));
        assert!(matches!(gradient_aligned_factors(&[], 1, &mut rng), Err(LoraError::Shape(_))));
    }
}
