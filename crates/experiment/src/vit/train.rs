//! One Adam step of a ViT on a batch, and test accuracy.

use burn::module::AutodiffModule;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::ElementConversion;
use goldilocks_model::Vit;

use crate::vit::task_data::TaskData;

/// Images per forward pass when evaluating.
const EVAL_BATCH: usize = 500;

/// One optimiser step on the images at `indices`; returns the model and the batch's
/// cross-entropy before the step.
pub fn train_step<B: AutodiffBackend, O: Optimizer<Vit<B>, B>>(
    model: Vit<B>,
    optimizer: &mut O,
    learning_rate: f64,
    data: &TaskData,
    indices: &[usize],
    device: &B::Device,
) -> (Vit<B>, f64) {
    let (images, labels) = data.batch::<B>(indices, device);
    let logits = model.forward(images);
    let loss = CrossEntropyLossConfig::new().init(device).forward(logits, labels);
    let value = loss.clone().into_scalar().elem::<f64>();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    (optimizer.step(learning_rate, model, grads), value)
}

/// The fraction of `data` that `model` classifies correctly (without autodiff).
pub fn accuracy<B: AutodiffBackend>(model: &Vit<B>, data: &TaskData, device: &B::Device) -> f64 {
    let valid = model.valid();
    correct::<B::InnerBackend>(&valid, data, device) as f64 / data.len().max(1) as f64
}

fn correct<B: Backend>(model: &Vit<B>, data: &TaskData, device: &B::Device) -> usize {
    let indices: Vec<usize> = (0..data.len()).collect();
    indices
        .chunks(EVAL_BATCH)
        .map(|chunk| {
            let (images, labels) = data.batch::<B>(chunk, device);
            let predicted = model.forward(images).argmax(1).flatten::<1>(0, 1);
            predicted.equal(labels).int().sum().into_scalar().elem::<i64>() as usize
        })
        .sum()
}
