//! Gaussian batches drawn on the host from addressed streams and moved to the device.
//!
//! Group g of a batch is drawn from the address (`seeds[g]`, stream, step) of
//! [`gaussian`](crate::gaussian), so a group sees the same numbers whatever other groups
//! share its tensors.

use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::gaussian::{fill_standard_normal_rows, standard_normal_rows, Stream};

/// Standard normal inputs of one SGD step for each seed, group g from the address
/// (`seeds[g]`, stream, step).
///
/// # Shapes
/// - seeds: G entries
/// - output: [G, B, N] (B = `batch`, N = `n`)
pub fn draw_inputs<B: Backend>(
    seeds: &[u64],
    stream: Stream,
    step: usize,
    batch: usize,
    n: usize,
    device: &B::Device,
) -> Tensor<B, 3> {
    let mut values = vec![0.0f32; seeds.len() * batch * n];
    for (chunk, &seed) in values.chunks_mut(batch * n).zip(seeds) {
        fill_standard_normal_rows(chunk, seed, stream, step as u64, n);
    }
    Tensor::from_data(TensorData::new(values, [seeds.len(), batch, n]), device)
}

/// Gaussian label noise of standard deviation `std` for one SGD step, group g from the
/// address (`seeds[g]`, [`Stream::LabelNoise`], step).
///
/// # Shapes
/// - seeds: G entries
/// - output: [G, B, 1] (B = `batch`)
pub fn draw_noise<B: Backend>(
    seeds: &[u64],
    step: usize,
    batch: usize,
    std: f64,
    device: &B::Device,
) -> Tensor<B, 3> {
    let values: Vec<f32> = seeds
        .iter()
        .flat_map(|&seed| standard_normal_rows(seed, Stream::LabelNoise, step as u64, 1, batch))
        .map(|x| x * std as f32)
        .collect();
    Tensor::from_data(TensorData::new(values, [seeds.len(), batch, 1]), device)
}

/// Training labels plus the label noise of step `step` of standard deviation `std` (none
/// when it is 0): one draw per sample, shared by the runs of a group. The labels are
/// [G, B, R] (`run_axis` 2) or [G, R, B] (`run_axis` 1).
pub fn with_label_noise<B: Backend>(
    labels: Tensor<B, 3>,
    run_axis: usize,
    seeds: &[u64],
    step: usize,
    std: f64,
) -> Tensor<B, 3> {
    if std > 0.0 {
        let shape = labels.dims();
        let batch = shape[3 - run_axis];
        let noise = draw_noise::<B>(seeds, step, batch, std, &labels.device())
            .reshape([seeds.len(), batch]);
        labels + noise.unsqueeze_dim::<3>(run_axis).expand(shape)
    } else {
        labels
    }
}
