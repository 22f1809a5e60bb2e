//! Reproducible Gaussian draws, addressed by (seed, stream, index, row).
//!
//! Every random quantity of a run is drawn from a generator seeded by a hash of its address,
//! so a run draws the same numbers whether it runs alone or inside an ensemble, and whatever
//! the number of threads. Rows are generated in parallel.
//!
//! ```
//! use goldilocks_model::gaussian::{standard_normal_rows, Stream};
//! let a = standard_normal_rows(7, Stream::Data, 3, 4, 5);
//! let b = standard_normal_rows(7, Stream::Data, 3, 4, 5);
//! assert_eq!(a, b);
//! assert_eq!(a.len(), 20);
//! ```

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Independent random streams of one seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The teacher directions.
    Teacher,
    /// Training inputs; index = SGD step.
    Data,
    /// Label noise; index = SGD step.
    LabelNoise,
    /// The fixed test set.
    Test,
    /// LoRA factor initialisation.
    LoraInit,
    /// Random directions of the frozen weight (mixed and rotated sources).
    FrozenWeight,
    /// Directions used to set a prescribed initial overlap.
    InitialOverlap,
    /// Pre-training inputs; index = pre-training step.
    PretrainingData,
    /// The initial weight of pre-training.
    PretrainingInit,
    /// Coordinates of the training inputs in a run's span (projected inputs); index = SGD step.
    SpanInputs,
    /// The part of a step's input sums orthogonal to a run's span (projected inputs); index = SGD step.
    SpanRemainder,
}

impl Stream {
    fn tag(self) -> u64 {
        match self {
            Stream::Teacher => 0x7465_6163_6865_7201,
            Stream::Data => 0x6461_7461_0000_0002,
            Stream::LabelNoise => 0x6e6f_6973_6500_0003,
            Stream::Test => 0x7465_7374_0000_0004,
            Stream::LoraInit => 0x6c6f_7261_0000_0005,
            Stream::FrozenWeight => 0x7730_0000_0000_0006,
            Stream::InitialOverlap => 0x6d30_0000_0000_0007,
            Stream::PretrainingData => 0x7072_6564_6174_0008,
            Stream::PretrainingInit => 0x7072_6569_6e69_0009,
            Stream::SpanInputs => 0x7370_616e_0000_000a,
            Stream::SpanRemainder => 0x7370_7265_6d00_000b,
        }
    }
}

/// SplitMix64 finaliser: a bijective 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A generator for one address.
pub fn generator(seed: u64, stream: Stream, index: u64, row: u64) -> Xoshiro256PlusPlus {
    let key = mix(mix(mix(mix(seed) ^ stream.tag()) ^ index) ^ row);
    Xoshiro256PlusPlus::seed_from_u64(key)
}

/// `rows x cols` standard normal draws (row-major, f32), row j from address (seed, stream, index, j).
pub fn standard_normal_rows(
    seed: u64,
    stream: Stream,
    index: u64,
    rows: usize,
    cols: usize,
) -> Vec<f32> {
    let mut out = vec![0.0f32; rows * cols];
    fill_standard_normal_rows(&mut out, seed, stream, index, cols);
    out
}

/// Fills `out` (a whole number of rows of length `cols`) with standard normal draws.
pub fn fill_standard_normal_rows(
    out: &mut [f32],
    seed: u64,
    stream: Stream,
    index: u64,
    cols: usize,
) {
    out.par_chunks_mut(cols.max(1))
        .enumerate()
        .for_each(|(row, chunk)| fill_standard_normal_row(chunk, seed, stream, index, row as u64));
}

/// Fills `out` with the standard normal draws of row `row` of address (seed, stream, index),
/// on the calling thread: the numbers of that row of [`fill_standard_normal_rows`].
pub fn fill_standard_normal_row(out: &mut [f32], seed: u64, stream: Stream, index: u64, row: u64) {
    let mut rng = generator(seed, stream, index, row);
    for value in out.iter_mut() {
        *value = rng.sample(StandardNormal);
    }
}

/// A vector of `n` standard normal draws in f64 from one address.
pub fn standard_normal_vector(seed: u64, stream: Stream, index: u64, n: usize) -> Vec<f64> {
    let mut rng = generator(seed, stream, index, 0);
    (0..n).map(|_| rng.sample(StandardNormal)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_independent_and_reproducible() {
        let a = standard_normal_rows(1, Stream::Data, 0, 2, 1000);
        let b = standard_normal_rows(1, Stream::Data, 1, 2, 1000);
        let c = standard_normal_rows(2, Stream::Data, 0, 2, 1000);
        let d = standard_normal_rows(1, Stream::Test, 0, 2, 1000);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a, standard_normal_rows(1, Stream::Data, 0, 2, 1000));
        // A row does not depend on how many rows are drawn with it.
        assert_eq!(&a[..1000], &standard_normal_rows(1, Stream::Data, 0, 1, 1000)[..]);
    }

    #[test]
    fn moments_are_standard() {
        let draws = standard_normal_rows(3, Stream::Data, 0, 100, 1000);
        let n = draws.len() as f64;
        let mean = draws.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = draws.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
    }
}
