//! Lower-triangular factors of small positive semi-definite matrices, batched over runs.
//!
//! [`LowerFactor::of_gram`] factors the Gram matrix M = S S^T of a few rows S into its
//! Cholesky factor L and the triangular map T that orthonormalises the rows, tolerating rows
//! that depend on earlier ones (a frozen weight along the teacher, a zero row). The loop runs
//! over the d columns and stays in tensor code, so every matrix of a [G, R] batch is factored
//! at once on the device.

use burn::tensor::{backend::Backend, Tensor, TensorData};

/// A pivot below this fraction of its diagonal entry marks a row as dependent on the rows
/// before it. Pivots are squared residual lengths, so a row counts as dependent when less
/// than about 0.3% of its length lies outside the span of the rows before it; f32 Gram
/// matrices resolve pivots down to about 1e-6 of the diagonal.
pub const DEPENDENT_PIVOT: f64 = 1e-5;

/// The Cholesky factor L of each matrix M of a batch, and the triangular map T that turns the
/// rows behind M into orthonormal ones.
///
/// M = S S^T is the Gram matrix of d rows S. Row i of L holds the coordinates of S_i in the
/// orthonormal rows Q = T S, so S = L Q and L L^T = M. A row that depends on the rows
/// before it gets a zero column in L and a zero row in T (and so in Q).
#[derive(Debug, Clone)]
pub struct LowerFactor<B: Backend> {
    /// L. Shape [G, R, d, d].
    pub factor: Tensor<B, 4>,
    /// T. Shape [G, R, d, d].
    pub orthonormalizer: Tensor<B, 4>,
}

impl<B: Backend> LowerFactor<B> {
    /// Factors every Gram matrix of `gram`.
    ///
    /// # Shapes
    /// - gram: [G, R, d, d], symmetric positive semi-definite
    /// - factor, orthonormalizer: [G, R, d, d]
    pub fn of_gram(gram: &Tensor<B, 4>) -> Self {
        let [groups, runs, d, _] = gram.dims();
        let device = gram.device();
        let mut columns: Vec<Tensor<B, 4>> = Vec::with_capacity(d);
        for j in 0..d {
            let mut column = gram.clone().narrow(3, j, 1);
            for previous in &columns {
                column = column - previous.clone() * previous.clone().narrow(2, j, 1);
            }
            let pivot = column.clone().narrow(2, j, 1);
            let diagonal = gram.clone().narrow(2, j, 1).narrow(3, j, 1);
            let kept = pivot.clone().greater(diagonal.mul_scalar(DEPENDENT_PIVOT));
            let at_or_below = indicator::<B>(d, |i| i >= j, [1, 1, d, 1], &device);
            // A dependent row divides by 1 and is then zeroed: dividing by a vanishing pivot
            // first could overflow to infinity, and infinity times 0 is NaN.
            let divisor = pivot.mask_fill(kept.clone().bool_not(), 1.0).sqrt();
            columns.push(column * at_or_below / divisor * kept.float());
        }
        // Forward substitution: row i of T is (e_i - sum_{j<i} L_ij T_j) / L_ii.
        let mut rows: Vec<Tensor<B, 4>> = Vec::with_capacity(d);
        for i in 0..d {
            let mut row =
                indicator::<B>(d, |j| j == i, [1, 1, 1, d], &device).expand([groups, runs, 1, d]);
            for (j, previous) in rows.iter().enumerate() {
                row = row - previous.clone() * columns[j].clone().narrow(2, i, 1);
            }
            let diagonal = columns[i].clone().narrow(2, i, 1);
            let kept = diagonal.clone().greater_elem(0.0);
            let divisor = diagonal.mask_fill(kept.clone().bool_not(), 1.0);
            rows.push(row / divisor * kept.float());
        }
        Self { factor: Tensor::cat(columns, 3), orthonormalizer: Tensor::cat(rows, 2) }
    }
}

/// A 0/1 tensor of `d` entries laid out as `shape`, 1 where `is_one(index)`.
fn indicator<B: Backend>(
    d: usize,
    is_one: impl Fn(usize) -> bool,
    shape: [usize; 4],
    device: &B::Device,
) -> Tensor<B, 4> {
    let values: Vec<f32> = (0..d).map(|i| if is_one(i) { 1.0 } else { 0.0 }).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;

    type B = NdArray;

    fn tensor(values: Vec<f32>, shape: [usize; 4]) -> Tensor<B, 4> {
        Tensor::from_data(TensorData::new(values, shape), &Default::default())
    }

    fn values(tensor: Tensor<B, 4>) -> Vec<f32> {
        tensor.into_data().to_vec::<f32>().unwrap()
    }

    fn gram(rows: &Tensor<B, 4>) -> Tensor<B, 4> {
        rows.clone().matmul(rows.clone().swap_dims(2, 3))
    }

    fn assert_close(actual: &[f32], expected: &[f32], tolerance: f32) {
        assert_eq!(actual.len(), expected.len());
        for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
            assert!((a - e).abs() <= tolerance, "entry {i}: {a} against {e}");
        }
    }

    /// Independent rows: L L^T = M, L is lower triangular, and T S has orthonormal rows with
    /// S = L (T S).
    #[test]
    fn factors_independent_rows() {
        let rows = tensor(
            vec![1.0, 2.0, 0.0, -1.0, 0.5, 0.5, 3.0, 0.0, -2.0, 1.0, 1.0, 1.0],
            [1, 1, 3, 4],
        );
        let factor = LowerFactor::of_gram(&gram(&rows));
        let l = factor.factor.clone();
        assert_close(
            &values(l.clone().matmul(l.clone().swap_dims(2, 3))),
            &values(gram(&rows)),
            1e-4,
        );
        let l_values = values(l.clone());
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            assert_eq!(l_values[i * 3 + j], 0.0, "L[{i}][{j}] above the diagonal");
        }
        let q = factor.orthonormalizer.matmul(rows.clone());
        let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        assert_close(&values(gram(&q)), &identity, 1e-5);
        assert_close(&values(l.matmul(q)), &values(rows), 1e-5);
    }

    /// A row that is a multiple of an earlier one (w0 = mu w*) gets a zero column in L and a
    /// zero row in Q; the other rows stay orthonormal and S = L Q still holds.
    #[test]
    fn a_dependent_row_is_dropped() {
        let rows = tensor(
            vec![0.6, 0.8, 0.0, 0.0, 0.18, 0.24, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0],
            [1, 1, 3, 4],
        );
        let factor = LowerFactor::of_gram(&gram(&rows));
        let l_values = values(factor.factor.clone());
        assert_eq!(
            [l_values[1], l_values[4], l_values[7]],
            [0.0, 0.0, 0.0],
            "column 1 of L: {l_values:?}"
        );
        let q = factor.orthonormalizer.matmul(rows.clone());
        let q_values = values(q.clone());
        assert!(q_values[4..8].iter().all(|&x| x == 0.0), "row 1 of Q: {q_values:?}");
        assert_close(&values(gram(&q)), &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], 1e-5);
        assert_close(&values(factor.factor.matmul(q)), &values(rows), 1e-5);
    }

    /// A zero row (a zero gradient weight) is dropped, not divided by zero.
    #[test]
    fn a_zero_row_is_dropped() {
        let rows = tensor(vec![0.0, 0.0, 0.0, 2.0], [1, 1, 2, 2]);
        let factor = LowerFactor::of_gram(&gram(&rows));
        let l_values = values(factor.factor.clone());
        assert!(l_values.iter().all(|x| x.is_finite()));
        assert_close(&l_values, &[0.0, 0.0, 0.0, 2.0], 1e-6);
        assert_close(&values(factor.orthonormalizer.matmul(rows)), &[0.0, 0.0, 0.0, 1.0], 1e-6);
    }

    /// A row that falls into the span of earlier rows whose orthonormalising map is large (a
    /// LoRA row V that has converged into the span of the teacher and a frozen weight close to
    /// it) is dropped with every entry finite. Dividing its row of T by a clamped zero pivot
    /// overflowed to infinity, and zeroing it gave NaN.
    #[test]
    fn a_dependent_row_after_a_nearly_dependent_one_stays_finite() {
        let s = std::f32::consts::FRAC_1_SQRT_2;
        let rows = tensor(vec![1.0, 0.0, 0.0, 0.9, 0.02, 0.0, s * 0.99, s, 0.0], [1, 1, 3, 3]);
        let factor = LowerFactor::of_gram(&gram(&rows));
        let l_values = values(factor.factor.clone());
        let t_values = values(factor.orthonormalizer.clone());
        assert!(
            l_values.iter().chain(&t_values).all(|x| x.is_finite()),
            "{l_values:?} {t_values:?}"
        );
        assert!(t_values[6..9].iter().all(|&x| x == 0.0), "row 2 of T: {t_values:?}");
        let q = factor.orthonormalizer.matmul(rows.clone());
        assert_close(&values(factor.factor.matmul(q)), &values(rows), 1e-4);
    }
}
