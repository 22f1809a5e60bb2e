//! The ViT's target task for the checkpoint sweep: a checkpoint (with the source head) gets a
//! fresh, trainable head for the target classes in every mode; LoRA puts adapters on every
//! attention and MLP linear (see [`crate::vit::VitFinetuningConfig::lora_config`]), full
//! fine-tuning trains every weight. The metric is target test accuracy.

use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use goldilocks_model::Vit;

use crate::sweep::FinetuneTask;
use crate::vit::train::{accuracy, batch_loss};
use crate::vit::{source_model, TaskData, VitExperimentConfig};
use crate::ExperimentError;

/// Fine-tuning a ViT checkpoint on the target images, scored on the target test images.
#[derive(Debug, Clone, Copy)]
pub struct VitTargetTask<'a> {
    /// The experiment (the model's shape, the source classes the checkpoints' head has, the
    /// target classes).
    pub config: &'a VitExperimentConfig,
    /// Target training images.
    pub train: &'a TaskData,
    /// Target test images.
    pub test: &'a TaskData,
}

impl<B: AutodiffBackend> FinetuneTask<B> for VitTargetTask<'_> {
    type Model = Vit<B>;

    fn pretrained_model(&self, device: &B::Device) -> Result<Vit<B>, ExperimentError> {
        source_model(self.config, device)
    }

    fn for_target(&self, model: Vit<B>, device: &B::Device) -> Vit<B> {
        model.with_new_head(self.config.target.classes.len(), device)
    }

    fn train_examples(&self) -> usize {
        self.train.len()
    }

    fn batch_loss(&self, model: &Vit<B>, batch: &[usize], device: &B::Device) -> Tensor<B, 1> {
        batch_loss(model, self.train, batch, device)
    }

    fn metric(&self, model: &Vit<B>, device: &B::Device) -> f64 {
        accuracy(model, self.test, device)
    }
}
