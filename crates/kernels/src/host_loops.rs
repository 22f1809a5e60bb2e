//! Vectorised loops over rows of f32 values, shared by the fused host kernels.
//!
//! Each loop is elementwise or one sum in `LANES` independent accumulators, a fixed order
//! that the compiler maps onto SIMD registers (a loop that updated a row and accumulated two
//! sums at once compiled to scalar shuffles, 5x slower than an elementwise pass and separate
//! sums over the row while it is in L1). The functions are compiled for AVX-512 and for
//! AVX2 + FMA besides the baseline and picked at run time (the `multiversion` crate). Rust
//! never contracts a multiply and an add into an FMA on its own, so every version computes
//! the same numbers.

use multiversion::multiversion;

/// Lanes of the accumulators.
const LANES: usize = 16;

/// <a, b>, summed in `LANES` independent lanes.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx512dq", "x86_64+avx2+fma"))]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(a, b)| a * b).sum();
    for (a, b) in a_chunks.zip(b_chunks) {
        for lane in 0..LANES {
            lanes[lane] += a[lane] * b[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// row -= e x.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx512dq", "x86_64+avx2+fma"))]
pub fn subtract_scaled(row: &mut [f32], e: f32, x: &[f32]) {
    for (value, &x) in row.iter_mut().zip(x) {
        *value -= x * e;
    }
}

/// row *= factor.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx512dq", "x86_64+avx2+fma"))]
pub fn scale(row: &mut [f32], factor: f32) {
    for value in row.iter_mut() {
        *value *= factor;
    }
}

/// row += factor x.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx512dq", "x86_64+avx2+fma"))]
pub fn add_scaled(row: &mut [f32], factor: f32, x: &[f32]) {
    for (value, &x) in row.iter_mut().zip(x) {
        *value += factor * x;
    }
}
