//! Teacher directions and unit-vector helpers (host-side, f64).
//!
//! The teacher T in R^{K x N} has orthonormal rows (|w*| = 1 for K = 1), drawn from a seed.

use crate::gaussian::{standard_normal_vector, Stream};

/// Euclidean norm.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Inner product.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Removes from `v` its components along the orthonormal `basis` and scales it to unit norm.
pub fn orthonormalize_against(mut v: Vec<f64>, basis: &[Vec<f64>]) -> Vec<f64> {
    // Two passes of Gram-Schmidt keep the result orthogonal to working precision.
    for _ in 0..2 {
        for b in basis {
            let along = dot(&v, b);
            v.iter_mut().zip(b).for_each(|(x, y)| *x -= along * y);
        }
    }
    let length = norm(&v);
    v.iter_mut().for_each(|x| *x /= length);
    v
}

/// K orthonormal teacher rows of length N, drawn from `seed`.
pub fn teacher_rows(seed: u64, width: usize, n: usize) -> Vec<Vec<f64>> {
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(width);
    for k in 0..width {
        let draw = standard_normal_vector(seed, Stream::Teacher, k as u64, n);
        let row = orthonormalize_against(draw, &rows);
        rows.push(row);
    }
    rows
}

/// A random unit vector orthogonal to the orthonormal `basis`, from one address.
pub fn random_unit_orthogonal(
    seed: u64,
    stream: Stream,
    index: u64,
    n: usize,
    basis: &[Vec<f64>],
) -> Vec<f64> {
    orthonormalize_against(standard_normal_vector(seed, stream, index, n), basis)
}

/// A unit vector with overlap `m0` with the unit vector `target`: m0 target + sqrt(1 - m0^2) g,
/// with g a unit vector orthogonal to `target`.
pub fn vector_at_overlap(target: &[f64], m0: f64, orthogonal: &[f64]) -> Vec<f64> {
    let rest = (1.0 - m0 * m0).max(0.0).sqrt();
    target.iter().zip(orthogonal).map(|(t, g)| m0 * t + rest * g).collect()
}

/// A random unit vector (uniform on the sphere) from one address.
pub fn standard_unit_vector(seed: u64, stream: Stream, index: u64, n: usize) -> Vec<f64> {
    orthonormalize_against(standard_normal_vector(seed, stream, index, n), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teacher_rows_are_orthonormal() {
        let rows = teacher_rows(5, 3, 200);
        for (i, a) in rows.iter().enumerate() {
            for (j, b) in rows.iter().enumerate() {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((dot(a, b) - expected).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn prescribed_overlap_is_exact() {
        let teacher = teacher_rows(1, 1, 500);
        let g = random_unit_orthogonal(1, Stream::InitialOverlap, 0, 500, &teacher);
        let v = vector_at_overlap(&teacher[0], 0.038, &g);
        assert!((dot(&v, &teacher[0]) - 0.038).abs() < 1e-12);
        assert!((norm(&v) - 1.0).abs() < 1e-12);
    }
}
