//! The cross-entropy of a ViT on a batch, and test accuracy and loss.

use burn::module::AutodiffModule;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use goldilocks_model::Vit;

use crate::vit::task_data::TaskData;

/// Images per forward pass when evaluating.
const EVAL_BATCH: usize = 500;

/// The mean cross-entropy of `model` on the images at `indices`, with its autodiff graph.
pub fn batch_loss<B: AutodiffBackend>(
    model: &Vit<B>,
    data: &TaskData,
    indices: &[usize],
    device: &B::Device,
) -> Tensor<B, 1> {
    let (images, labels) = data.batch::<B>(indices, device);
    let logits = model.forward(images);
    CrossEntropyLossConfig::new().init(device).forward(logits, labels)
}

/// What a model scores on a data set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The fraction of images classified correctly.
    pub accuracy: f64,
    /// The mean cross-entropy.
    pub loss: f64,
}

/// The fraction of `data` that `model` classifies correctly (without autodiff).
pub fn accuracy<B: AutodiffBackend>(model: &Vit<B>, data: &TaskData, device: &B::Device) -> f64 {
    evaluate(model, data, device).accuracy
}

/// The accuracy and mean cross-entropy of `model` on `data` (without autodiff).
pub fn evaluate<B: AutodiffBackend>(
    model: &Vit<B>,
    data: &TaskData,
    device: &B::Device,
) -> Evaluation {
    let valid = model.valid();
    let (correct, loss_sum) = sums::<B::InnerBackend>(&valid, data, device);
    let n = data.len().max(1) as f64;
    Evaluation { accuracy: correct as f64 / n, loss: loss_sum / n }
}

/// The number of images classified correctly and the sum of their cross-entropies.
fn sums<B: Backend>(model: &Vit<B>, data: &TaskData, device: &B::Device) -> (usize, f64) {
    let indices: Vec<usize> = (0..data.len()).collect();
    let loss = CrossEntropyLossConfig::new().init(device);
    indices.chunks(EVAL_BATCH).fold((0, 0.0), |(correct, loss_sum), chunk| {
        let (images, labels) = data.batch::<B>(chunk, device);
        let logits = model.forward(images);
        let mean = loss.forward(logits.clone(), labels.clone()).into_scalar().elem::<f64>();
        let predicted = logits.argmax(1).flatten::<1>(0, 1);
        let hits = predicted.equal(labels).int().sum().into_scalar().elem::<i64>() as usize;
        (correct + hits, loss_sum + mean * chunk.len() as f64)
    })
}
