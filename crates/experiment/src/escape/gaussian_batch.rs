//! Gaussian batches drawn on the host from addressed streams and moved to the device.

use burn::tensor::{backend::Backend, Tensor, TensorData};
use goldilocks_model::gaussian::{fill_standard_normal_rows, standard_normal_rows, Stream};

/// Standard normal inputs of one SGD step for each seed: shape [G, B, N], group g from
/// address (seeds[g], stream, step).
pub(crate) fn draw_inputs<B: Backend>(
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

/// Gaussian label noise of standard deviation `std` for one SGD step: shape [G, B, 1].
pub(crate) fn draw_noise<B: Backend>(
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
