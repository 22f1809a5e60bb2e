//! Reproducible Gaussian draws, addressed by (seed, stream, index, row, column).
//!
//! Every random number of a run is a pure function of its address: the counter-based
//! generator Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy
//! as 1, 2, 3", SC 2011) keyed by (seed, stream) and counting (index, row, column / 4), and
//! the Box-Muller transform of each pair of its 32-bit outputs. So a run draws the same
//! numbers whether it runs alone or inside an ensemble, whatever the number of threads, and
//! a GPU kernel can draw any element where it needs it (and draw it again instead of storing
//! it) with the same arithmetic: the transform uses explicit f32 polynomials for the
//! logarithm and the sine and cosine, so it is the same sequence of IEEE operations on every
//! target. Rows are generated in parallel, and a row in blocks of lanes that the compiler
//! vectorises (AVX2 or AVX-512 where the CPU has them, chosen at run time by the
//! `multiversion` crate).
//!
//! The generator is written here rather than taken from a crate because its exact formulas
//! are shared with the project's CubeCL kernels and must vectorise over lanes; Philox itself
//! is checked against the known-answer vectors of the authors' Random123 library.
//!
//! ```
//! use goldilocks_model::gaussian::{standard_normal_rows, Stream};
//! let a = standard_normal_rows(7, Stream::Data, 3, 4, 5);
//! let b = standard_normal_rows(7, Stream::Data, 3, 4, 5);
//! assert_eq!(a, b);
//! assert_eq!(a.len(), 20);
//! ```

use multiversion::multiversion;
use rand::rand_core::{impls, RngCore};
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
    /// The 64-bit tag that separates this stream's keys from the other streams' keys.
    pub fn tag(self) -> u64 {
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

/// The Philox key of the streams of `seed`: the SplitMix64 mix of the seed and the stream's
/// tag, low 32 bits first.
pub fn address_key(seed: u64, stream: Stream) -> [u32; 2] {
    let hash = mix(mix(seed) ^ stream.tag());
    [hash as u32, (hash >> 32) as u32]
}

/// The Philox counter of block `block` (columns `4 block .. 4 block + 3`) of row `row` at
/// index `index`.
pub fn block_counter(index: u64, row: u64, block: u32) -> [u32; 4] {
    [block, row as u32, index as u32, (index >> 32) as u32]
}

/// Philox's multipliers and key increments (Random123's PHILOX_M4x32_0/1, PHILOX_W32_0/1).
const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;
/// Philox4x32's rounds: 10, the authors' recommendation with a wide safety margin.
const ROUNDS: usize = 10;

/// Philox4x32-10 of one counter under one key: four independent uniform 32-bit words.
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for round in 0..ROUNDS {
        if round > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        let p0 = u64::from(M0) * u64::from(c0);
        let p1 = u64::from(M1) * u64::from(c2);
        (c0, c1, c2, c3) =
            ((p1 >> 32) as u32 ^ c1 ^ k0, p1 as u32, (p0 >> 32) as u32 ^ c3 ^ k1, p0 as u32);
    }
    [c0, c1, c2, c3]
}

/// 2^-24: the spacing of the 24-bit uniforms.
const UNIT: f32 = 1.0 / 16_777_216.0;

/// The uniform in (0, 1) of a word's top 24 bits, never 0 (the logarithm's argument).
#[inline(always)]
fn open_uniform(bits: u32) -> f32 {
    ((bits >> 8) as f32 + 0.5) * UNIT
}

/// The uniform in [0, 1) of a word's top 24 bits (the angle).
#[inline(always)]
fn half_open_uniform(bits: u32) -> f32 {
    (bits >> 8) as f32 * UNIT
}

/// ln x for x in (0, 1] (normal floats), Cephes' logf: x = m 2^e with m in [sqrt(1/2),
/// sqrt(2)), ln m by a degree-9 polynomial in m - 1, ln 2 split in two parts. Error below
/// 2 ulp; the same IEEE operations on every target.
#[inline(always)]
pub fn ln_unit(x: f32) -> f32 {
    let bits = x.to_bits();
    // frexp: x = mantissa 2^exponent with the mantissa in [0.5, 1).
    let exponent = ((bits >> 23) & 0xff) as i32 - 126;
    let mantissa = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let small = mantissa < std::f32::consts::FRAC_1_SQRT_2;
    let e = if small { exponent - 1 } else { exponent } as f32;
    let m = if small { mantissa + mantissa - 1.0 } else { mantissa - 1.0 };
    let z = m * m;
    let mut p = 7.037_683_6e-2_f32;
    p = p * m - 1.151_461e-1;
    p = p * m + 1.167_699_9e-1;
    p = p * m - 1.242_014_1e-1;
    p = p * m + 1.424_932_3e-1;
    p = p * m - 1.666_805_8e-1;
    p = p * m + 2.000_071_5e-1;
    p = p * m - 2.499_999_4e-1;
    p = p * m + 3.333_333e-1;
    let mut y = p * m * z;
    y += -2.121_944_4e-4 * e;
    y += -0.5 * z;
    let mut r = m + y;
    r += 0.693_359_4 * e;
    r
}

/// (sin 2 pi u, cos 2 pi u) for u in [0, 1): u is reduced to the nearest quarter turn q and a
/// remainder x in [-pi/4, pi/4], whose sine and cosine are Cephes' sinf and cosf
/// polynomials; then rotated by q quarter turns.
#[inline(always)]
pub fn sin_cos_turn(u: f32) -> (f32, f32) {
    let quarters = u * 4.0;
    let q = (quarters + 0.5) as u32;
    let x = (quarters - q as f32) * std::f32::consts::FRAC_PI_2;
    let z = x * x;
    let mut s = -1.951_529_6e-4_f32;
    s = s * z + 8.332_161e-3;
    s = s * z - 1.666_665_5e-1;
    let sin = s * z * x + x;
    let mut c = 2.443_315_7e-5_f32;
    c = c * z - 1.388_731_6e-3;
    c = c * z + 4.166_664_6e-2;
    let cos = c * z * z - 0.5 * z + 1.0;
    // sin(q pi/2 + x) and cos(q pi/2 + x), as selects (which vectorise) rather than a match.
    let odd = q & 1 == 1;
    let (along_sin, along_cos) = (if odd { cos } else { sin }, if odd { sin } else { cos });
    let sin = if q & 2 == 2 { -along_sin } else { along_sin };
    let cos = if q.wrapping_add(1) & 2 == 2 { -along_cos } else { along_cos };
    (sin, cos)
}

/// Two standard normals from two words by the Box-Muller transform: the radius
/// sqrt(-2 ln u1) times the cosine and the sine of the angle 2 pi u2.
#[inline(always)]
pub fn box_muller(first: u32, second: u32) -> (f32, f32) {
    let radius = (-2.0 * ln_unit(open_uniform(first))).sqrt();
    let (sin, cos) = sin_cos_turn(half_open_uniform(second));
    (radius * cos, radius * sin)
}

/// The four standard normals of one Philox block: Box-Muller of words (0, 1) and (2, 3).
pub fn normals_of_block(bits: [u32; 4]) -> [f32; 4] {
    let (z0, z1) = box_muller(bits[0], bits[1]);
    let (z2, z3) = box_muller(bits[2], bits[3]);
    [z0, z1, z2, z3]
}

/// Philox blocks generated side by side: the width of the vectorised loops.
const LANES: usize = 16;
/// Blocks of one chunk of a row: the chunk's words and normals stay in L1.
const CHUNK_BLOCKS: usize = 64;

/// The first and second words of the Box-Muller pairs of blocks `first .. first + LANES` of
/// one row: pair 2i is words (0, 1) of block first + i, pair 2i + 1 its words (2, 3). The
/// words live in 64-bit lanes (upper halves zero) so that each product is one unsigned
/// 32 x 32 -> 64 multiply per lane, without widening and narrowing.
#[inline(always)]
fn lane_words(
    key: [u32; 2],
    counter: [u32; 4],
    first: u32,
    firsts: &mut [u32],
    seconds: &mut [u32],
) {
    const LOW: u64 = 0xffff_ffff;
    let mut c0 = [0u64; LANES];
    for (lane, c) in c0.iter_mut().enumerate() {
        *c = u64::from(first.wrapping_add(lane as u32));
    }
    let mut c1 = [u64::from(counter[1]); LANES];
    let mut c2 = [u64::from(counter[2]); LANES];
    let mut c3 = [u64::from(counter[3]); LANES];
    let [mut k0, mut k1] = key;
    for round in 0..ROUNDS {
        if round > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        let (k0, k1) = (u64::from(k0), u64::from(k1));
        for lane in 0..LANES {
            let p0 = u64::from(M0) * (c0[lane] & LOW);
            let p1 = u64::from(M1) * (c2[lane] & LOW);
            let next = ((p1 >> 32) ^ c1[lane] ^ k0, p1 & LOW, (p0 >> 32) ^ c3[lane] ^ k1, p0 & LOW);
            (c0[lane], c1[lane], c2[lane], c3[lane]) = next;
        }
    }
    for lane in 0..LANES {
        firsts[2 * lane] = c0[lane] as u32;
        seconds[2 * lane] = c1[lane] as u32;
        firsts[2 * lane + 1] = c2[lane] as u32;
        seconds[2 * lane + 1] = c3[lane] as u32;
    }
}

/// Fills `out` with columns `0 .. out.len()` of one row under `key`, `counter` naming the
/// row's first block: Philox words chunk by chunk, then their Box-Muller normals in one loop
/// over the chunk's pairs (a loop of run-time length, which the compiler vectorises).
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx512dq", "x86_64+avx2+fma"))]
fn fill_row(out: &mut [f32], key: [u32; 2], counter: [u32; 4]) {
    let mut firsts = [0u32; 2 * CHUNK_BLOCKS];
    let mut seconds = [0u32; 2 * CHUNK_BLOCKS];
    let mut cosines = [0.0f32; 2 * CHUNK_BLOCKS];
    let mut sines = [0.0f32; 2 * CHUNK_BLOCKS];
    let mut block = counter[0];
    for values in out.chunks_mut(4 * CHUNK_BLOCKS) {
        let blocks = values.len().div_ceil(4).next_multiple_of(LANES);
        for group in 0..blocks / LANES {
            let pairs = 2 * LANES * group..2 * LANES * (group + 1);
            lane_words(
                key,
                counter,
                block.wrapping_add((group * LANES) as u32),
                &mut firsts[pairs.clone()],
                &mut seconds[pairs],
            );
        }
        block = block.wrapping_add(blocks as u32);
        let pairs = values.len().div_ceil(2);
        for (((&first, &second), cosine), sine) in firsts[..pairs]
            .iter()
            .zip(&seconds[..pairs])
            .zip(&mut cosines[..pairs])
            .zip(&mut sines[..pairs])
        {
            (*cosine, *sine) = box_muller(first, second);
        }
        let mut value_pairs = values.chunks_exact_mut(2);
        for ((pair, &cosine), &sine) in (&mut value_pairs).zip(&cosines).zip(&sines) {
            pair[0] = cosine;
            pair[1] = sine;
        }
        if let [last] = value_pairs.into_remainder() {
            *last = cosines[pairs - 1];
        }
    }
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
/// on the calling thread: the numbers of that row of [`fill_standard_normal_rows`]. Column c
/// is word c % 4 of the normals of block c / 4 ([`normals_of_block`] of [`philox4x32_10`] of
/// [`block_counter`] under [`address_key`]).
pub fn fill_standard_normal_row(out: &mut [f32], seed: u64, stream: Stream, index: u64, row: u64) {
    fill_row(out, address_key(seed, stream), block_counter(index, row, 0));
}

/// A vector of `n` standard normal draws in f64 from one address (row 0).
pub fn standard_normal_vector(seed: u64, stream: Stream, index: u64, n: usize) -> Vec<f64> {
    let mut draws = vec![0.0f32; n];
    fill_standard_normal_row(&mut draws, seed, stream, index, 0);
    draws.into_iter().map(f64::from).collect()
}

/// A `rand` generator for one address, for code that takes any [`RngCore`] (the LoRA
/// crate's initialisations): the Philox words of the address's row, block after block.
pub fn generator(seed: u64, stream: Stream, index: u64, row: u64) -> AddressRng {
    AddressRng {
        key: address_key(seed, stream),
        counter: block_counter(index, row, 0),
        words: [0; 4],
        used: 4,
    }
}

/// The Philox words of one address's row as a [`RngCore`] (see [`generator`]).
#[derive(Debug, Clone)]
pub struct AddressRng {
    key: [u32; 2],
    counter: [u32; 4],
    words: [u32; 4],
    used: usize,
}

impl RngCore for AddressRng {
    fn next_u32(&mut self) -> u32 {
        if self.used == 4 {
            self.words = philox4x32_10(self.counter, self.key);
            self.counter[0] = self.counter[0].wrapping_add(1);
            self.used = 0;
        }
        self.used += 1;
        self.words[self.used - 1]
    }

    fn next_u64(&mut self) -> u64 {
        impls::next_u64_via_u32(self)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        impls::fill_bytes_via_next(self, dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123's known-answer vectors for Philox4x32-10 (its tests/kat_vectors).
    #[test]
    fn philox_matches_the_known_answers() {
        assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    /// The vectorised fill draws what the scalar definition of its doc draws, at every column
    /// of rows that end inside a chunk.
    #[test]
    fn rows_are_the_blocks_of_their_counters() {
        for cols in [1, 3, 64, 65, 1000] {
            let row = standard_normal_rows(11, Stream::Test, 5, 3, cols);
            for r in 0..3 {
                for c in 0..cols {
                    let bits = philox4x32_10(
                        block_counter(5, r as u64, (c / 4) as u32),
                        address_key(11, Stream::Test),
                    );
                    assert_eq!(row[r * cols + c], normals_of_block(bits)[c % 4], "({r}, {c})");
                }
            }
        }
    }

    #[test]
    fn the_polynomials_are_accurate() {
        let mut worst_ln = 0.0f64;
        let mut worst_trig = 0.0f64;
        for i in 0..200_000u32 {
            let u = open_uniform(i.wrapping_mul(2_654_435_761));
            let exact = f64::from(u).ln();
            worst_ln = worst_ln.max((f64::from(ln_unit(u)) - exact).abs() / exact.abs().max(1e-30));
            let v = half_open_uniform(i.wrapping_mul(2_246_822_519));
            let (sin, cos) = sin_cos_turn(v);
            let angle = 2.0 * std::f64::consts::PI * f64::from(v);
            worst_trig = worst_trig
                .max((f64::from(sin) - angle.sin()).abs())
                .max((f64::from(cos) - angle.cos()).abs());
        }
        assert!(worst_ln < 3e-7, "ln relative error {worst_ln:e}");
        assert!(worst_trig < 3e-7, "sin/cos error {worst_trig:e}");
    }

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
        // Nor a column on the row's length.
        assert_eq!(&a[..37], &standard_normal_rows(1, Stream::Data, 0, 1, 37)[..]);
    }

    /// Mean, variance, skewness and kurtosis of 4e6 draws within 4 standard errors of the
    /// standard normal's, and the probability mass of five intervals within 4 standard errors.
    #[test]
    fn moments_are_standard() {
        let draws = standard_normal_rows(3, Stream::Data, 0, 4000, 1000);
        let n = draws.len() as f64;
        let moment = |p: i32| draws.iter().map(|&x| f64::from(x).powi(p)).sum::<f64>() / n;
        // Standard errors of the sample moments: sqrt(Var[x^p] / n).
        let checks = [
            ("mean", moment(1), 0.0, 1.0),
            ("second moment", moment(2), 1.0, 2.0),
            ("third moment", moment(3), 0.0, 15.0),
            ("fourth moment", moment(4), 3.0, 96.0),
        ];
        for (name, value, expected, variance) in checks {
            let z = (value - expected) / (variance / n).sqrt();
            assert!(z.abs() < 4.0, "{name} {value} (z = {z:.2})");
        }
        // P(a < Z < b) for cuts at 0, +-1, +-2, +-3.
        let cdf = |x: f64| 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2);
        for (a, b) in [(-3.0, -2.0), (-1.0, 0.0), (1.0, 2.0), (3.0, 9.0), (-9.0, -3.0)] {
            let p = cdf(b) - cdf(a);
            let count = draws.iter().filter(|&&x| f64::from(x) > a && f64::from(x) < b).count();
            let z = (count as f64 - n * p) / (n * p * (1.0 - p)).sqrt();
            assert!(z.abs() < 4.0, "({a}, {b}): {count} draws, expected {:.0} (z = {z:.2})", n * p);
        }
    }

    #[test]
    fn the_rng_of_an_address_counts_through_its_blocks() {
        let mut rng = generator(9, Stream::LoraInit, 2, 1);
        let key = address_key(9, Stream::LoraInit);
        let first = philox4x32_10(block_counter(2, 1, 0), key);
        let second = philox4x32_10(block_counter(2, 1, 1), key);
        let words: Vec<u32> = (0..8).map(|_| rng.next_u32()).collect();
        assert_eq!(words, [first, second].concat());
    }
}
