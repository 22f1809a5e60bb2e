//! The project's Gaussian generator as `#[cube]` functions: Philox4x32-10 and the
//! Box-Muller transform with the explicit f32 polynomials of `goldilocks_model::gaussian`.
//!
//! A kernel draws element (row, column) of the address (seed, stream, index) where it needs
//! it: the key of (seed, stream) is computed on the host (`gaussian::address_key`), the
//! counter is [column / 4, row, index low 32 bits, index high 32 bits], and the element is
//! lane column % 4 of the block's four normals. Every operation below is the one the CPU
//! code performs, in the same order, so the draws agree with the CPU's to a few ulp (a GPU
//! compiler may contract a product and a sum into one fused operation; the CPU code does
//! not).

use burn::tensor::{DType, Shape, Tensor as BurnTensor, TensorPrimitive};
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use burn_cubecl::{BoolElement, CubeBackend, CubeRuntime, IntElement};
use cubecl::prelude::*;
use goldilocks_model::gaussian::{address_key, Stream};

/// Philox's first multiplier (Random123's PHILOX_M4x32_0).
const M0: u32 = 0xD251_1F53;
/// Philox's second multiplier (PHILOX_M4x32_1).
const M1: u32 = 0xCD9E_8D57;
/// The first key increment (PHILOX_W32_0).
const W0: u32 = 0x9E37_79B9;
/// The second key increment (PHILOX_W32_1).
const W1: u32 = 0xBB67_AE85;
/// Units per cube of [`standard_normal_rows_kernel`].
const DRAW_UNITS: u32 = 256;
/// 2^-24: the spacing of the 24-bit uniforms.
const UNIT: f32 = 1.0 / 16_777_216.0;

/// The four 32-bit words of one Philox block.
#[derive(CubeType, Clone, Copy)]
pub struct Words {
    /// Word 0.
    pub x0: u32,
    /// Word 1.
    pub x1: u32,
    /// Word 2.
    pub x2: u32,
    /// Word 3.
    pub x3: u32,
}

/// Philox4x32-10 of the counter (c0, c1, c2, c3) under the key (k0, k1). The high half of
/// each 32 x 32-bit product is CubeCL's `mul_hi` (a 64-bit product where the target has
/// one, 16-bit halves otherwise).
#[cube]
pub fn philox4x32_10(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32) -> Words {
    let mut x0 = c0;
    let mut x1 = c1;
    let mut x2 = c2;
    let mut x3 = c3;
    let mut key0 = k0;
    let mut key1 = k1;
    #[unroll]
    for round in 0..10u32 {
        if round > 0 {
            key0 += W0;
            key1 += W1;
        }
        let hi0 = x0.mul_hi(M0);
        let lo0 = x0 * M0;
        let hi1 = x2.mul_hi(M1);
        let lo1 = x2 * M1;
        x0 = hi1 ^ x1 ^ key0;
        x1 = lo1;
        x2 = hi0 ^ x3 ^ key1;
        x3 = lo0;
    }
    Words { x0, x1, x2, x3 }
}

/// ln x for x in (0, 1] (normal floats): `gaussian::ln_unit`, Cephes' logf.
#[cube]
pub fn ln_unit(x: f32) -> f32 {
    let bits = u32::reinterpret(x);
    // frexp: x = mantissa 2^exponent with the mantissa in [0.5, 1).
    let exponent = i32::cast_from((bits >> 23) & 0xff) - 126;
    let mantissa = f32::reinterpret((bits & 0x007f_ffff) | 0x3f00_0000);
    let small = mantissa < core::f32::consts::FRAC_1_SQRT_2;
    let e = f32::cast_from(select(small, exponent - 1, exponent));
    let m = select(small, mantissa + mantissa - 1.0, mantissa - 1.0);
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

/// A sine and a cosine.
#[derive(CubeType, Clone, Copy)]
pub struct SinCos {
    /// The sine.
    pub sin: f32,
    /// The cosine.
    pub cos: f32,
}

/// (sin 2 pi u, cos 2 pi u) for u in [0, 1): `gaussian::sin_cos_turn`, the reduction to the
/// nearest quarter turn and Cephes' sinf and cosf polynomials on [-pi/4, pi/4].
#[cube]
pub fn sin_cos_turn(u: f32) -> SinCos {
    let quarters = u * 4.0;
    let q = u32::cast_from(quarters + 0.5);
    let x = (quarters - f32::cast_from(q)) * core::f32::consts::FRAC_PI_2;
    let z = x * x;
    let mut s = f32::new(-1.951_529_6e-4);
    s = s * z + 8.332_161e-3;
    s = s * z - 1.666_665_5e-1;
    let sin = s * z * x + x;
    let mut c = 2.443_315_7e-5_f32;
    c = c * z - 1.388_731_6e-3;
    c = c * z + 4.166_664_6e-2;
    let cos = c * z * z - 0.5 * z + 1.0;
    // Rotation by q quarter turns: (sin, cos), (cos, -sin), (-sin, -cos), (-cos, sin).
    let turn = q & 3;
    let first = turn == 0;
    let second = turn == 1;
    let rotated_sin = select(first, sin, select(second, cos, select(turn == 2, -sin, -cos)));
    let rotated_cos = select(first, cos, select(second, -sin, select(turn == 2, -cos, sin)));
    SinCos { sin: rotated_sin, cos: rotated_cos }
}

/// The radius sqrt(-2 ln u1) of the Box-Muller transform of a word, u1 the open uniform of
/// its top 24 bits.
#[cube]
fn radius(bits: u32) -> f32 {
    let u = (f32::cast_from(bits >> 8) + 0.5) * UNIT;
    (-2.0 * ln_unit(u)).sqrt()
}

/// The four standard normals of one Philox block: `gaussian::normals_of_block`, the
/// Box-Muller transform of words (0, 1) and (2, 3).
#[derive(CubeType, Clone, Copy)]
pub struct Normals {
    /// Column 4 block + 0.
    pub z0: f32,
    /// Column 4 block + 1.
    pub z1: f32,
    /// Column 4 block + 2.
    pub z2: f32,
    /// Column 4 block + 3.
    pub z3: f32,
}

/// The four normals of a block's words.
#[cube]
pub fn normals_of_block(words: Words) -> Normals {
    let r0 = radius(words.x0);
    let a0 = sin_cos_turn(f32::cast_from(words.x1 >> 8) * UNIT);
    let r1 = radius(words.x2);
    let a1 = sin_cos_turn(f32::cast_from(words.x3 >> 8) * UNIT);
    Normals { z0: r0 * a0.cos, z1: r0 * a0.sin, z2: r1 * a1.cos, z3: r1 * a1.sin }
}

/// The four normals of block `block` of row `row` at index (`index_low`, `index_high`)
/// under the key (`key0`, `key1`).
#[cube]
pub fn normal_block(
    key0: u32,
    key1: u32,
    index_low: u32,
    index_high: u32,
    row: u32,
    block: u32,
) -> Normals {
    normals_of_block(philox4x32_10(block, row, index_low, index_high, key0, key1))
}

/// Lane `lane` (0 to 3) of a block's normals.
#[cube]
pub fn lane_of(normals: Normals, lane: u32) -> f32 {
    let mut value = normals.z0;
    if lane == 1 {
        value = normals.z1;
    } else if lane == 2 {
        value = normals.z2;
    } else if lane == 3 {
        value = normals.z3;
    }
    value
}

/// One standard normal: column `column` of row `row` at index (`index_low`, `index_high`)
/// under the key (`key0`, `key1`). Draws the whole block; a kernel that needs the block's
/// other columns should call [`normal_block`] once.
#[cube]
pub fn normal_at(
    key0: u32,
    key1: u32,
    index_low: u32,
    index_high: u32,
    row: u32,
    column: u32,
) -> f32 {
    lane_of(normal_block(key0, key1, index_low, index_high, row, column / 4), column % 4)
}

/// Rows x columns standard normals of one address, row-major: each unit draws one block of
/// four columns of one row. `keys` holds (key0, key1); the kernel of
/// [`super::standard_normal_rows`].
#[cube(launch)]
pub fn standard_normal_rows_kernel(
    keys: &Tensor<u32>,
    out: &mut Tensor<f32>,
    index_low: u32,
    index_high: u32,
    rows: u32,
    columns: u32,
) {
    let blocks_per_row = columns.div_ceil(4);
    let unit = (CUBE_POS_Y * CUBE_COUNT_X + CUBE_POS_X) * CUBE_DIM_X + UNIT_POS_X;
    if unit < rows * blocks_per_row {
        let row = unit / blocks_per_row;
        let block = unit % blocks_per_row;
        let normals = normal_block(keys[0], keys[1], index_low, index_high, row, block);
        let base = (row * columns + 4 * block) as usize;
        let first = 4 * block;
        if first < columns {
            out[base] = normals.z0;
        }
        if first + 1 < columns {
            out[base + 1] = normals.z1;
        }
        if first + 2 < columns {
            out[base + 2] = normals.z2;
        }
        if first + 3 < columns {
            out[base + 3] = normals.z3;
        }
    }
}

/// `rows x columns` standard normal draws of the address (`seed`, `stream`, `index`), row j
/// from row j of the address, drawn on a CubeCL device: the numbers of
/// `goldilocks_model::gaussian::standard_normal_rows` (to a few ulp; see the module
/// documentation), as a [rows, columns] f32 tensor.
///
/// # Panics
/// If rows x columns is 2^31 or more (the kernel indexes with 32-bit integers).
pub fn standard_normal_rows<R, I, BT>(
    seed: u64,
    stream: Stream,
    index: u64,
    rows: usize,
    columns: usize,
    device: &R::Device,
) -> BurnTensor<CubeBackend<R, f32, I, BT>, 2>
where
    R: CubeRuntime,
    I: IntElement,
    BT: BoolElement,
{
    assert!(rows * columns < 1 << 31, "{rows} x {columns} draws exceed 32-bit indexing");
    let client = R::client(device);
    let key = address_key(seed, stream);
    let keys = CubeTensor::new_contiguous(
        client.clone(),
        device.clone(),
        Shape::new([2]),
        client.create_from_slice(u32::as_bytes(&key)),
        DType::U32,
    );
    let out = empty_device_contiguous_dtype::<R>(
        client.clone(),
        device.clone(),
        Shape::new([rows, columns]),
        DType::F32,
    );
    let units = (rows * columns.div_ceil(4)) as u32;
    if units > 0 {
        let cubes = units.div_ceil(DRAW_UNITS);
        let cubes_x = cubes.min(65_535);
        standard_normal_rows_kernel::launch::<R>(
            &client,
            CubeCount::Static(cubes_x, cubes.div_ceil(cubes_x), 1),
            CubeDim::new_1d(DRAW_UNITS),
            keys.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            index as u32,
            (index >> 32) as u32,
            rows as u32,
            columns as u32,
        );
    }
    BurnTensor::from_primitive(TensorPrimitive::Float(out))
}
