//! A small thin SVD (one-sided Jacobi) for the gradient-aligned init.
//!
//! The cost is O(min(m, n)^2 max(m, n)) per sweep, which suits the few-row gradients of LoRA
//! layers (a 1 x 1000 gradient takes microseconds); it is not meant for large square matrices.

/// M = sum_i s_i left_i right_i^T with k = min(m, n) terms, sorted by decreasing s_i.
#[derive(Debug, Clone, PartialEq)]
pub struct Svd {
    /// Singular values, decreasing, k of them.
    pub singular_values: Vec<f64>,
    /// Left singular vectors, k of length m. The vector of a zero singular value is zero when
    /// m < n.
    pub left: Vec<Vec<f64>>,
    /// Right singular vectors, k of length n. The vector of a zero singular value is zero when
    /// m > n.
    pub right: Vec<Vec<f64>>,
}

/// The thin SVD of a row-major m x n matrix (every row of the same length n >= 1).
pub fn thin_svd(rows: &[Vec<f64>]) -> Svd {
    let m = rows.len();
    let n = rows.first().map_or(0, Vec::len);
    if m >= n {
        // Orthogonalise the n columns of M.
        let columns: Vec<Vec<f64>> =
            (0..n).map(|j| rows.iter().map(|row| row[j]).collect()).collect();
        let (values, left, right) = jacobi(columns);
        Svd { singular_values: values, left, right }
    } else {
        // Orthogonalise the m columns of M^T, that is the rows of M.
        let (values, right, left) = jacobi(rows.to_vec());
        Svd { singular_values: values, left, right }
    }
}

/// One-sided Jacobi on the columns `a_j` (each of length `len`) of a len x c matrix A with
/// len >= c: returns (s, normalised columns of A V, columns of V), sorted by decreasing s.
#[allow(clippy::type_complexity)]
fn jacobi(mut columns: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let c = columns.len();
    let mut v: Vec<Vec<f64>> =
        (0..c).map(|i| (0..c).map(|j| f64::from(u8::from(i == j))).collect()).collect();
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    for _sweep in 0..60 {
        let mut rotated = false;
        for p in 0..c {
            for q in p + 1..c {
                let alpha = dot(&columns[p], &columns[p]);
                let beta = dot(&columns[q], &columns[q]);
                let gamma = dot(&columns[p], &columns[q]);
                if gamma == 0.0 || gamma.abs() <= 1e-15 * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let cos = 1.0 / (1.0 + t * t).sqrt();
                let sin = cos * t;
                rotate(&mut columns, p, q, cos, sin);
                rotate(&mut v, p, q, cos, sin);
            }
        }
        if !rotated {
            break;
        }
    }
    let mut order: Vec<(f64, usize)> =
        columns.iter().enumerate().map(|(i, col)| (dot(col, col).sqrt(), i)).collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0));
    let largest = order.first().map_or(0.0, |o| o.0);
    let mut values = Vec::with_capacity(c);
    let mut normalised = Vec::with_capacity(c);
    let mut rotations = Vec::with_capacity(c);
    for (norm, i) in order {
        let null = norm <= 1e-12 * largest || norm == 0.0;
        values.push(if null { 0.0 } else { norm });
        normalised.push(columns[i].iter().map(|x| if null { 0.0 } else { x / norm }).collect());
        rotations.push(v[i].clone());
    }
    (values, normalised, rotations)
}

/// Rotates vectors p and q (columns stored as rows): (x_p, x_q) <- (c x_p - s x_q, s x_p + c x_q).
fn rotate(vectors: &mut [Vec<f64>], p: usize, q: usize, cos: f64, sin: f64) {
    let (head, tail) = vectors.split_at_mut(q);
    for (xp, xq) in head[p].iter_mut().zip(tail[0].iter_mut()) {
        let (a, b) = (*xp, *xq);
        *xp = cos * a - sin * b;
        *xq = sin * a + cos * b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconstruct(svd: &Svd, m: usize, n: usize) -> Vec<Vec<f64>> {
        let mut out = vec![vec![0.0; n]; m];
        for (k, s) in svd.singular_values.iter().enumerate() {
            for (row, l) in out.iter_mut().zip(&svd.left[k]) {
                for (x, r) in row.iter_mut().zip(&svd.right[k]) {
                    *x += s * l * r;
                }
            }
        }
        out
    }

    fn matrix(m: usize, n: usize) -> Vec<Vec<f64>> {
        (0..m)
            .map(|i| (0..n).map(|j| ((i * n + j) as f64 * 0.731).sin() + 0.1 * i as f64).collect())
            .collect()
    }

    #[test]
    fn reconstructs_wide_and_tall_matrices() {
        for (m, n) in [(3, 7), (7, 3), (4, 4), (1, 5)] {
            let a = matrix(m, n);
            let svd = thin_svd(&a);
            assert_eq!(svd.singular_values.len(), m.min(n));
            assert!(svd.singular_values.windows(2).all(|w| w[0] >= w[1]));
            let back = reconstruct(&svd, m, n);
            for (x, y) in a.iter().flatten().zip(back.iter().flatten()) {
                assert!((x - y).abs() < 1e-10, "{m}x{n}: {x} vs {y}");
            }
            // Right singular vectors are orthonormal.
            for p in 0..m.min(n) {
                for q in 0..m.min(n) {
                    let d: f64 = svd.right[p].iter().zip(&svd.right[q]).map(|(a, b)| a * b).sum();
                    assert!((d - f64::from(u8::from(p == q))).abs() < 1e-10);
                }
            }
        }
    }

    #[test]
    fn a_single_row_is_its_own_direction() {
        let svd = thin_svd(&[vec![3.0, 0.0, -4.0]]);
        assert!((svd.singular_values[0] - 5.0).abs() < 1e-12);
        let sign = svd.left[0][0];
        assert_eq!(svd.right[0].iter().map(|x| x * sign).collect::<Vec<_>>(), vec![0.6, 0.0, -0.8]);
    }

    #[test]
    fn a_rank_one_matrix_has_one_nonzero_value() {
        let svd = thin_svd(&[vec![1.0, 2.0], vec![2.0, 4.0], vec![3.0, 6.0]]);
        assert!(svd.singular_values[0] > 1.0);
        assert_eq!(svd.singular_values[1], 0.0);
    }
}
