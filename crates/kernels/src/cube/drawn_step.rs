//! The drawn-batch LoRA step as four CubeCL kernels that draw the inputs where they use
//! them and draw them again for the update of V instead of storing them.
//!
//! Shapes: G groups, R runs per group, K units, rank r, N inputs, batch B; P = K + R (K + r)
//! rows per group (the K teacher rows, then per run its K frozen rows and r rows of V).
//!
//! 1. [`project_kernel`]: cube (row block, sample b, group g) draws x_b tile by tile into
//!    shared memory and computes its projections on 32 of the group's P rows: each of 8
//!    slots of 32 lanes reads a row in coalesced 32-column runs. -> projections [G, B, P].
//! 2. [`residual_kernel`]: one unit per (g, run, b): label (with its noise, drawn in place),
//!    pre-activations h = <W0_k, x> + sum_i <V_i, x> (s U_ki), prediction, residual; the
//!    coefficients c_kb = dL/dh_kb and the weights e_ib = rate s sum_k U_ki c_kb of the
//!    sample in the update of row i of V. -> c [G, R, K, B], e [G, R, r, B], squared
//!    residuals [G, R, B].
//! 3. [`input_sums_kernel`]: cube (256 columns, 32 rows of V, group g) draws x_b at its
//!    columns again, 8 samples at a time into shared memory, and accumulates sum_b e_ib x_b
//!    for its rows of V of the group's runs. -> sums [G, R r, N].
//! 4. [`update_kernel`]: cube (run, group): the loss, U -= rate s sum_b c_kb a_ib, V -= sums,
//!    the rows' norms (and their renormalisation), and m_V = max |<V_i, T_k>| / |V_i|.

use burn::tensor::{DType, Shape, Tensor as BurnTensor, TensorPrimitive};
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use burn_cubecl::{BoolElement, CubeBackend, CubeRuntime, IntElement};
use cubecl::prelude::*;
use goldilocks_lora::LoraFactors;
use goldilocks_model::gaussian::{address_key, Stream};

use super::activation::{self, WORDS};
use super::philox::{normal_at, normal_block};
use crate::{generic_drawn_lora_step, EnsembleStep, StepOutput};

/// Lanes of a slot of the projection kernel: one row's columns, 32 at a time.
const LANES: u32 = 32;
/// Slots (rows in flight) of a projection cube.
const SLOTS: u32 = 8;
/// Units of a projection cube.
const PROJECT_UNITS: u32 = LANES * SLOTS;
/// Rows of a slot per cube: a projection cube computes SLOTS x ROUNDS rows.
const ROUNDS: u32 = 4;
/// Columns of x drawn per tile of the projection kernel: one Philox block per unit.
const TILE: u32 = 4 * PROJECT_UNITS;
/// Units of the other cubes.
const UNITS: u32 = 256;
/// Columns of the input-sum kernel per cube: one per unit.
const SUM_COLUMNS: u32 = UNITS;
/// Rows of V per cube of the input-sum kernel: the cubes of one column tile split the
/// group's R r rows, each drawing the tile's inputs itself.
const SUM_ROWS: u32 = 32;
/// Samples drawn at a time by the input-sum kernel.
const SUM_SAMPLES: u32 = 8;
/// Units of the input-sum kernel's draws: each unit draws this many blocks per chunk.
const DRAWS_PER_UNIT: u32 = SUM_SAMPLES * SUM_COLUMNS / 4 / UNITS;
/// [`TILE`] as a shared-memory length.
const TILE_LENGTH: usize = TILE as usize;
/// The partial sums of a projection cube: one per unit and round.
const PARTIALS_LENGTH: usize = (ROUNDS * PROJECT_UNITS) as usize;
/// The inputs a cube of the input-sum kernel holds.
const SUM_INPUTS_LENGTH: usize = (SUM_SAMPLES * SUM_COLUMNS) as usize;
/// The shared sums of [`cube_sum`].
const UNITS_LENGTH: usize = UNITS as usize;
/// The most cubes along one axis of a launch (WebGPU's default limit).
const MAX_CUBES_PER_AXIS: u32 = 65_535;

/// The sizes of one step, as the kernels take them.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    groups: usize,
    runs: usize,
    width: usize,
    rank: usize,
    n: usize,
    batch: usize,
}

impl Sizes {
    /// P: rows per group (teacher, then per run frozen and V rows).
    fn rows(&self) -> usize {
        self.width + self.runs * (self.width + self.rank)
    }

    /// Whether every flat index of every buffer, and every launch, fits the kernels' u32
    /// arithmetic and the launch limits.
    fn fit(&self) -> bool {
        let limit = 1usize << 31;
        let largest = [
            self.groups * self.batch * self.rows(),
            self.groups * self.runs * self.rank * self.n,
            self.groups * self.runs * self.width * self.n,
            self.groups * self.runs * self.width.max(self.rank) * self.batch,
        ];
        let axes = [
            self.batch,
            self.groups,
            self.runs,
            self.rows().div_ceil((SLOTS * ROUNDS) as usize),
            (self.runs * self.rank).div_ceil(SUM_ROWS as usize),
            self.n.div_ceil(SUM_COLUMNS as usize),
        ];
        largest.iter().all(|&size| size < limit)
            && axes.iter().all(|&count| count <= MAX_CUBES_PER_AXIS as usize)
            && self.batch >= 1
            && self.n >= 1
    }
}

/// The step of [`crate::EnsembleKernels::drawn_lora_step`] as CubeCL kernels on a CubeCL
/// backend with f32 floats (wgpu, cuda): the inputs x_b are drawn inside the kernels from
/// `goldilocks_model::gaussian`'s Philox generator (the numbers of
/// [`crate::generic_drawn_lora_step`]), never stored, and drawn again for the update of V.
/// Four launches per step, whatever the batch; see the module documentation of
/// `cube::drawn_step` for what each computes.
///
/// Every activation of `goldilocks_model::Activation` runs in the kernels. The step falls
/// back to [`crate::generic_drawn_lora_step`] where the kernels do not apply: tensors that
/// are not f32, or sizes beyond the kernels' 32-bit indexing or the launch limits (more
/// than 65,535 samples, groups or runs, N of 2^24 or more, or flat buffers of 2^31 elements
/// or more).
pub fn drawn_lora_step<R, I, BT>(
    lora: &mut LoraFactors<CubeBackend<R, f32, I, BT>>,
    step: &EnsembleStep<'_, CubeBackend<R, f32, I, BT>>,
) -> StepOutput<CubeBackend<R, f32, I, BT>>
where
    R: CubeRuntime,
    I: IntElement,
    BT: BoolElement,
{
    let [groups, runs, rank, n] = lora.v.dims();
    let width = lora.u.dims()[2];
    let sizes = Sizes { groups, runs, width, rank, n, batch: step.batch };
    let u = into_contiguous(lora.u.clone().into_primitive().tensor());
    let v = into_contiguous(lora.v.clone().into_primitive().tensor());
    let frozen = into_contiguous(step.frozen.clone().into_primitive().tensor());
    let teacher = into_contiguous(step.teacher.clone().into_primitive().tensor());
    let rates = into_contiguous(step.learning_rates.clone().into_primitive().tensor());
    let rate_groups = step.learning_rates.dims()[0];
    let shapes_agree = step.frozen.dims() == [groups, runs, width, n]
        && step.teacher.dims() == [groups, width, n]
        && step.learning_rates.dims()[1..] == [runs, 1, 1]
        && (rate_groups == 1 || rate_groups == groups)
        && step.seeds.len() == groups
        && step.student.runs_per_group() == runs
        && step.student.width() == width;
    let all_float = [&u, &v, &frozen, &teacher, &rates].iter().all(|t| t.dtype == DType::F32);
    if !(shapes_agree && all_float && sizes.fit()) {
        return generic_drawn_lora_step(lora, step);
    }

    let client = v.client.clone();
    let device = v.device.clone();
    let upload_u32 = |values: &[u32]| {
        let handle = client.create_from_slice(u32::as_bytes(values));
        CubeTensor::new_contiguous(
            client.clone(),
            device.clone(),
            Shape::new([values.len()]),
            handle,
            DType::U32,
        )
    };
    let upload_f32 = |values: &[f32]| {
        let handle = client.create_from_slice(f32::as_bytes(values));
        CubeTensor::new_contiguous(
            client.clone(),
            device.clone(),
            Shape::new([values.len()]),
            handle,
            DType::F32,
        )
    };
    let empty = |shape: Vec<usize>| {
        empty_device_contiguous_dtype::<R>(
            client.clone(),
            device.clone(),
            Shape::from(shape),
            DType::F32,
        )
    };

    let keys = |stream: Stream| -> Vec<u32> {
        step.seeds.iter().flat_map(|&seed| address_key(seed, stream)).collect()
    };
    let data_keys = upload_u32(&keys(Stream::Data));
    let noise_keys = upload_u32(&keys(Stream::LabelNoise));
    let pairs = step.student.pairs();
    let codes: Vec<u32> = pairs
        .iter()
        .flat_map(|pair| [activation::encode(pair.teacher), activation::encode(pair.student)])
        .flatten()
        .collect();
    let codes = upload_u32(&codes);
    let scales: Vec<f32> = pairs
        .iter()
        .flat_map(|pair| {
            [
                (1.0 / pair.teacher.readout_scale(width)) as f32,
                (1.0 / pair.student.readout_scale(width)) as f32,
            ]
        })
        .collect();
    let scales = upload_f32(&scales);

    let rows = sizes.rows();
    let batch = sizes.batch;
    let projections = empty(vec![groups, batch, rows]);
    let coefficients = empty(vec![groups, runs, width, batch]);
    let weights = empty(vec![groups, runs, rank, batch]);
    let squares = empty(vec![groups, runs, batch]);
    let sums = empty(vec![groups, runs * rank, n]);
    let u_out = empty(vec![groups, runs, width, rank]);
    let v_out = empty(vec![groups, runs, rank, n]);
    let loss = empty(vec![groups, runs]);
    let order = empty(vec![groups, runs]);

    let index = step.step as u64;
    let (index_low, index_high) = (index as u32, (index >> 32) as u32);
    let (n32, width32, rank32, runs32, batch32) =
        (n as u32, width as u32, rank as u32, runs as u32, batch as u32);
    let rates_per_group = u32::from(rate_groups > 1);
    let scaling = lora.scaling() as f32;

    project_kernel::launch::<R>(
        &client,
        CubeCount::Static((rows as u32).div_ceil(SLOTS * ROUNDS), batch32, groups as u32),
        CubeDim::new_2d(LANES, SLOTS),
        teacher.clone().into_tensor_arg(),
        frozen.into_tensor_arg(),
        v.clone().into_tensor_arg(),
        data_keys.clone().into_tensor_arg(),
        projections.clone().into_tensor_arg(),
        index_low,
        index_high,
        n32,
        width32,
        rank32,
        runs32,
    );

    let units = (groups * runs * batch) as u32;
    let cubes = units.div_ceil(UNITS);
    let cubes_x = cubes.min(MAX_CUBES_PER_AXIS);
    residual_kernel::launch::<R>(
        &client,
        CubeCount::Static(cubes_x, cubes.div_ceil(cubes_x), 1),
        CubeDim::new_1d(UNITS),
        projections.clone().into_tensor_arg(),
        u.clone().into_tensor_arg(),
        rates.clone().into_tensor_arg(),
        codes.into_tensor_arg(),
        scales.into_tensor_arg(),
        noise_keys.into_tensor_arg(),
        coefficients.clone().into_tensor_arg(),
        weights.clone().into_tensor_arg(),
        squares.clone().into_tensor_arg(),
        ResidualSizesLaunch::new(
            index_low,
            index_high,
            width32,
            rank32,
            runs32,
            batch32,
            units,
            rates_per_group,
        ),
        scaling,
        step.label_noise as f32,
        (1.0 / batch as f64) as f32,
    );

    input_sums_kernel::launch::<R>(
        &client,
        CubeCount::Static(
            n32.div_ceil(SUM_COLUMNS),
            (runs32 * rank32).div_ceil(SUM_ROWS),
            groups as u32,
        ),
        CubeDim::new_1d(UNITS),
        data_keys.into_tensor_arg(),
        weights.into_tensor_arg(),
        sums.clone().into_tensor_arg(),
        index_low,
        index_high,
        n32,
        runs32 * rank32,
        batch32,
    );

    update_kernel::launch::<R>(
        &client,
        CubeCount::Static(runs32, groups as u32, 1),
        CubeDim::new_1d(UNITS),
        u.into_tensor_arg(),
        v.into_tensor_arg(),
        teacher.into_tensor_arg(),
        projections.into_tensor_arg(),
        coefficients.into_tensor_arg(),
        squares.into_tensor_arg(),
        sums.into_tensor_arg(),
        rates.into_tensor_arg(),
        u_out.clone().into_tensor_arg(),
        v_out.clone().into_tensor_arg(),
        loss.clone().into_tensor_arg(),
        order.clone().into_tensor_arg(),
        UpdateSizesLaunch::new(n32, width32, rank32, runs32, batch32, rates_per_group),
        scaling,
        lora.renormalizes_rows(),
    );

    lora.u = BurnTensor::from_primitive(TensorPrimitive::Float(u_out));
    lora.v = BurnTensor::from_primitive(TensorPrimitive::Float(v_out));
    StepOutput {
        loss: BurnTensor::from_primitive(TensorPrimitive::Float(loss)),
        order_parameter: BurnTensor::from_primitive(TensorPrimitive::Float(order)),
    }
}

/// Where row `row` of group `group`'s P rows lives: in which tensor (0 the teacher, 1 the
/// frozen weights, 2 V) and at which flat offset.
#[derive(CubeType, Clone, Copy)]
struct RowSource {
    tensor: u32,
    offset: u32,
}

/// The source of row `row` of group `group`'s P rows: a teacher row, a frozen row or a row
/// of V.
#[cube]
fn row_source(group: u32, row: u32, n: u32, width: u32, rank: u32, runs: u32) -> RowSource {
    let local = row - width;
    let run = local / (width + rank);
    let part = local % (width + rank);
    let teacher = row < width;
    let frozen = part < width;
    let tensor = select(teacher, 0u32, select(frozen, 1u32, 2u32));
    let teacher_row = group * width + row;
    let frozen_row = (group * runs + run) * width + part;
    let v_row = (group * runs + run) * rank + part - width;
    let offset = select(teacher, teacher_row, select(frozen, frozen_row, v_row)) * n;
    RowSource { tensor, offset }
}

/// <row, x> over the `length` columns of a tile held in `xs`, the row starting at flat
/// offset `offset` of `source`, summed by this unit over its lane's columns.
#[cube]
fn lane_dot(
    source: &Tensor<f32>,
    offset: u32,
    xs: &SharedMemory<f32>,
    lane: u32,
    length: u32,
) -> f32 {
    let mut sum = 0.0f32;
    let mut column = lane;
    while column < length {
        sum += source[(offset + column) as usize] * xs[column as usize];
        column += LANES;
    }
    sum
}

/// Projections of sample b of group g on 32 of the group's P rows (see the module doc).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn project_kernel(
    teacher: &Tensor<f32>,
    frozen: &Tensor<f32>,
    v: &Tensor<f32>,
    keys: &Tensor<u32>,
    projections: &mut Tensor<f32>,
    index_low: u32,
    index_high: u32,
    n: u32,
    width: u32,
    rank: u32,
    runs: u32,
) {
    let block_of_rows = CUBE_POS_X;
    let sample = CUBE_POS_Y;
    let group = CUBE_POS_Z;
    let batch = CUBE_COUNT_Y;
    let lane = UNIT_POS_X;
    let slot = UNIT_POS_Y;
    let unit = UNIT_POS;
    let rows = width + runs * (width + rank);
    let key0 = keys[(2 * group) as usize];
    let key1 = keys[(2 * group + 1) as usize];
    let mut xs = SharedMemory::<f32>::new(TILE_LENGTH);
    let mut partials = SharedMemory::<f32>::new(PARTIALS_LENGTH);
    let tiles = n.div_ceil(TILE);
    for tile in 0..tiles {
        let start = tile * TILE;
        let block = tile * (TILE / 4) + unit;
        if 4 * block < n {
            let z = normal_block(key0, key1, index_low, index_high, sample, block);
            let at = (4 * unit) as usize;
            xs[at] = z.z0;
            xs[at + 1] = z.z1;
            xs[at + 2] = z.z2;
            xs[at + 3] = z.z3;
        }
        sync_cube();
        let length = min(n - start, TILE);
        #[unroll]
        for round in 0..ROUNDS {
            let row = (block_of_rows * ROUNDS + round) * SLOTS + slot;
            let mut sum = 0.0f32;
            if row < rows {
                let source = row_source(group, row, n, width, rank, runs);
                let offset = source.offset + start;
                if source.tensor == 0 {
                    sum = lane_dot(teacher, offset, &xs, lane, length);
                } else if source.tensor == 1 {
                    sum = lane_dot(frozen, offset, &xs, lane, length);
                } else {
                    sum = lane_dot(v, offset, &xs, lane, length);
                }
            }
            partials[(round * PROJECT_UNITS + unit) as usize] = sum;
        }
        sync_cube();
        if lane == 0 {
            #[unroll]
            for round in 0..ROUNDS {
                let row = (block_of_rows * ROUNDS + round) * SLOTS + slot;
                if row < rows {
                    let mut sum = 0.0f32;
                    for other in 0..LANES {
                        sum += partials[(round * PROJECT_UNITS + slot * LANES + other) as usize];
                    }
                    let at = ((group * batch + sample) * rows + row) as usize;
                    if tile == 0 {
                        projections[at] = sum;
                    } else {
                        projections[at] += sum;
                    }
                }
            }
        }
    }
}

/// The sizes and flags [`residual_kernel`] reads.
#[derive(CubeLaunch, CubeType)]
struct ResidualSizes {
    index_low: u32,
    index_high: u32,
    width: u32,
    rank: u32,
    runs: u32,
    batch: u32,
    /// G R B: the units with work.
    units: u32,
    /// 1 when the learning rates are [G, R, 1, 1], 0 for [1, R, 1, 1].
    rates_per_group: u32,
}

/// One unit per (group, run, sample): label, prediction, residual, and the sample's
/// gradient coefficients c (per unit) and weights e (per row of V); see the module doc.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn residual_kernel(
    projections: &Tensor<f32>,
    u: &Tensor<f32>,
    rates: &Tensor<f32>,
    codes: &Tensor<u32>,
    scales: &Tensor<f32>,
    noise_keys: &Tensor<u32>,
    coefficients: &mut Tensor<f32>,
    weights: &mut Tensor<f32>,
    squares: &mut Tensor<f32>,
    sizes: ResidualSizes,
    scaling: f32,
    noise_std: f32,
    inverse_batch: f32,
) {
    let id = (CUBE_POS_Y * CUBE_COUNT_X + CUBE_POS_X) * CUBE_DIM_X + UNIT_POS_X;
    if id < sizes.units {
        let width = sizes.width;
        let rank = sizes.rank;
        let runs = sizes.runs;
        let batch = sizes.batch;
        let sample = id % batch;
        let run = (id / batch) % runs;
        let group = id / (batch * runs);
        let rows = width + runs * (width + rank);
        let base = (group * batch + sample) * rows;
        let own = base + width + run * (width + rank);
        let code = (run * 2 * WORDS) as usize;

        let mut label = 0.0f32;
        for k in 0..width {
            let t = projections[(base + k) as usize];
            label += activation::value(codes[code], codes[code + 1], codes[code + 2], t);
        }
        label *= scales[(2 * run) as usize];
        if noise_std > 0.0 {
            let z = normal_at(
                noise_keys[(2 * group) as usize],
                noise_keys[(2 * group + 1) as usize],
                sizes.index_low,
                sizes.index_high,
                0,
                sample,
            );
            label += z * noise_std;
        }

        let student = (run * 2 * WORDS + WORDS) as usize;
        let s_code = codes[student];
        let s_k = codes[student + 1];
        let s_l = codes[student + 2];
        let inverse_readout = scales[(2 * run + 1) as usize];
        let u_base = (group * runs + run) * width * rank;
        let mut prediction = 0.0f32;
        for k in 0..width {
            let mut h = projections[(own + k) as usize];
            let mut update = 0.0f32;
            for i in 0..rank {
                let a = projections[(own + width + i) as usize];
                update += a * (u[(u_base + k * rank + i) as usize] * scaling);
            }
            h += update;
            prediction += activation::value(s_code, s_k, s_l, h);
        }
        let residual = prediction * inverse_readout - label;
        squares[id as usize] = residual * residual;

        let rate_index = select(sizes.rates_per_group == 1, group * runs + run, run);
        let rate = rates[rate_index as usize] * scaling;
        let run_base = group * runs + run;
        for i in 0..rank {
            weights[((run_base * rank + i) * batch + sample) as usize] = 0.0;
        }
        for k in 0..width {
            let mut h = projections[(own + k) as usize];
            let mut update = 0.0f32;
            for i in 0..rank {
                let a = projections[(own + width + i) as usize];
                update += a * (u[(u_base + k * rank + i) as usize] * scaling);
            }
            h += update;
            let slope = activation::derivative(s_code, s_k, s_l, h) * inverse_readout;
            let c = residual * slope * inverse_batch;
            coefficients[((run_base * width + k) * batch + sample) as usize] = c;
            for i in 0..rank {
                let at = ((run_base * rank + i) * batch + sample) as usize;
                weights[at] += c * u[(u_base + k * rank + i) as usize];
            }
        }
        for i in 0..rank {
            let at = ((run_base * rank + i) * batch + sample) as usize;
            weights[at] = weights[at] * rate;
        }
    }
}

/// sum_b e_qb x_b at 256 columns for 32 rows q of V of group g, x_b drawn again (see the
/// module doc).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn input_sums_kernel(
    keys: &Tensor<u32>,
    weights: &Tensor<f32>,
    sums: &mut Tensor<f32>,
    index_low: u32,
    index_high: u32,
    n: u32,
    rows: u32,
    batch: u32,
) {
    let tile = CUBE_POS_X;
    let first_row = CUBE_POS_Y * SUM_ROWS;
    let last_row = min(first_row + SUM_ROWS, rows);
    let group = CUBE_POS_Z;
    let unit = UNIT_POS;
    let column = tile * SUM_COLUMNS + unit;
    let key0 = keys[(2 * group) as usize];
    let key1 = keys[(2 * group + 1) as usize];
    let blocks = SUM_COLUMNS / 4;
    let mut xs = SharedMemory::<f32>::new(SUM_INPUTS_LENGTH);
    let chunks = batch.div_ceil(SUM_SAMPLES);
    for chunk in 0..chunks {
        #[unroll]
        for part in 0..DRAWS_PER_UNIT {
            let job = part * UNITS + unit;
            let local = job / blocks;
            let block = job % blocks;
            let sample = chunk * SUM_SAMPLES + local;
            let global_block = tile * blocks + block;
            if sample < batch && 4 * global_block < n {
                let z = normal_block(key0, key1, index_low, index_high, sample, global_block);
                let at = (local * SUM_COLUMNS + 4 * block) as usize;
                xs[at] = z.z0;
                xs[at + 1] = z.z1;
                xs[at + 2] = z.z2;
                xs[at + 3] = z.z3;
            }
        }
        sync_cube();
        if column < n {
            for row in first_row..last_row {
                let mut sum = 0.0f32;
                let first = (group * rows + row) * batch + chunk * SUM_SAMPLES;
                #[unroll]
                for local in 0..SUM_SAMPLES {
                    if chunk * SUM_SAMPLES + local < batch {
                        sum += weights[(first + local) as usize]
                            * xs[(local * SUM_COLUMNS + unit) as usize];
                    }
                }
                let at = ((group * rows + row) * n + column) as usize;
                if chunk == 0 {
                    sums[at] = sum;
                } else {
                    sums[at] += sum;
                }
            }
        }
        sync_cube();
    }
}

/// The sum of `value` over the cube's 256 units, by a tree in shared memory; every unit
/// must call it (it synchronises the cube).
#[cube]
fn cube_sum(value: f32, shared: &mut SharedMemory<f32>) -> f32 {
    let unit = UNIT_POS as usize;
    shared[unit] = value;
    sync_cube();
    let mut stride = CUBE_DIM as usize / 2;
    while stride > 0 {
        if unit < stride {
            let other = shared[unit + stride];
            shared[unit] += other;
        }
        sync_cube();
        stride /= 2;
    }
    let total = shared[0];
    sync_cube();
    total
}

/// The bits of a quiet NaN.
const QUIET_NAN: u32 = 0x7fc0_0000;

/// Whether x is NaN, from its bits (immune to a compiler's assumption of finite math).
#[cube]
fn is_nan(x: f32) -> bool {
    (u32::reinterpret(x) & 0x7fff_ffff) > 0x7f80_0000
}

/// The sizes and flags [`update_kernel`] reads.
#[derive(CubeLaunch, CubeType)]
struct UpdateSizes {
    n: u32,
    width: u32,
    rank: u32,
    runs: u32,
    batch: u32,
    /// 1 when the learning rates are [G, R, 1, 1], 0 for [1, R, 1, 1].
    rates_per_group: u32,
}

/// Cube (run, group): the run's loss, the updates of U and V, the renormalisation of the
/// rows of V and m_V (see the module doc).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn update_kernel(
    u: &Tensor<f32>,
    v: &Tensor<f32>,
    teacher: &Tensor<f32>,
    projections: &Tensor<f32>,
    coefficients: &Tensor<f32>,
    squares: &Tensor<f32>,
    sums: &Tensor<f32>,
    rates: &Tensor<f32>,
    u_out: &mut Tensor<f32>,
    v_out: &mut Tensor<f32>,
    loss: &mut Tensor<f32>,
    order: &mut Tensor<f32>,
    sizes: UpdateSizes,
    scaling: f32,
    #[comptime] renormalize: bool,
) {
    let run = CUBE_POS_X;
    let group = CUBE_POS_Y;
    let unit = UNIT_POS;
    let n = sizes.n;
    let width = sizes.width;
    let rank = sizes.rank;
    let runs = sizes.runs;
    let batch = sizes.batch;
    let run_base = group * runs + run;
    let rows = width + runs * (width + rank);
    let own = width + run * (width + rank);
    let mut shared = SharedMemory::<f32>::new(UNITS_LENGTH);

    let mut part = 0.0f32;
    let mut sample = unit;
    while sample < batch {
        part += squares[(run_base * batch + sample) as usize];
        sample += UNITS;
    }
    let total = cube_sum(part, &mut shared);
    if unit == 0 {
        loss[run_base as usize] = total / f32::cast_from(batch) * 0.5;
    }

    let rate_index = select(sizes.rates_per_group == 1, run_base, run);
    let rate = rates[rate_index as usize] * scaling;
    for k in 0..width {
        for i in 0..rank {
            let mut part = 0.0f32;
            let mut sample = unit;
            while sample < batch {
                let c = coefficients[((run_base * width + k) * batch + sample) as usize];
                let a = projections[((group * batch + sample) * rows + own + width + i) as usize];
                part += c * a;
                sample += UNITS;
            }
            let total = cube_sum(part, &mut shared);
            if unit == 0 {
                let at = ((run_base * width + k) * rank + i) as usize;
                u_out[at] = u[at] - total * rate;
            }
        }
    }

    // m_V is NaN when an overlap is (as the tensor code's max is), whatever the target's
    // max does with NaN: the runner stops a run whose state is no longer finite.
    let mut best = 0.0f32;
    let mut undefined = false;
    for i in 0..rank {
        let row = ((run_base * rank + i) * n) as usize;
        let mut part = 0.0f32;
        let mut column = unit;
        while column < n {
            let at = row + column as usize;
            let value = v[at] - sums[at];
            v_out[at] = value;
            part += value * value;
            column += UNITS;
        }
        let mut norm = cube_sum(part, &mut shared).sqrt();
        if renormalize {
            let mut part = 0.0f32;
            let mut column = unit;
            while column < n {
                let at = row + column as usize;
                let value = v_out[at] / norm;
                v_out[at] = value;
                part += value * value;
                column += UNITS;
            }
            norm = cube_sum(part, &mut shared).sqrt();
        }
        for k in 0..width {
            let mut part = 0.0f32;
            let mut column = unit;
            while column < n {
                part += v_out[row + column as usize]
                    * teacher[((group * width + k) * n + column) as usize];
                column += UNITS;
            }
            let overlap = cube_sum(part, &mut shared).abs() / norm;
            undefined = undefined || is_nan(overlap);
            best = max(best, overlap);
        }
    }
    if unit == 0 {
        order[run_base as usize] = select(undefined, f32::reinterpret(QUIET_NAN), best);
    }
}
