//! A task's images as normalised f32 host data, cut into burn batches.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use goldilocks_data::Split;

/// Fashion-MNIST's pixel mean and standard deviation (on the 0..1 scale).
const PIXEL_MEAN: f32 = 0.2860;
const PIXEL_STD: f32 = 0.3530;

/// Normalised images and labels of one task, on the host.
#[derive(Debug, Clone)]
pub struct TaskData {
    /// Pixels, `(p / 255 - mean) / std`, image after image.
    pub pixels: Vec<f32>,
    /// Labels, `0..classes`.
    pub labels: Vec<i64>,
    /// Image side.
    pub side: usize,
    /// The number of classes.
    pub classes: usize,
}

impl TaskData {
    /// The normalised data of `split`.
    pub fn from_split(split: &Split) -> Self {
        Self {
            pixels: split
                .pixels
                .iter()
                .map(|&p| (p as f32 / 255.0 - PIXEL_MEAN) / PIXEL_STD)
                .collect(),
            labels: split.labels.iter().map(|&l| l as i64).collect(),
            side: split.rows,
            classes: split.classes,
        }
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The images at `indices` (`[b, side, side]`) and their labels (`[b]`).
    pub fn batch<B: Backend>(
        &self,
        indices: &[usize],
        device: &B::Device,
    ) -> (Tensor<B, 3>, Tensor<B, 1, Int>) {
        let n = self.side * self.side;
        let mut pixels = Vec::with_capacity(indices.len() * n);
        for &i in indices {
            pixels.extend_from_slice(&self.pixels[i * n..(i + 1) * n]);
        }
        let labels: Vec<i64> = indices.iter().map(|&i| self.labels[i]).collect();
        let images = Tensor::from_data(
            TensorData::new(pixels, [indices.len(), self.side, self.side]),
            device,
        );
        let labels = Tensor::from_data(TensorData::new(labels, [indices.len()]), device);
        (images, labels)
    }
}
