//! [`FinetuneTask`]: what the checkpoint sweep needs to know of a model and a target task.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use goldilocks_lora::LoraModel;

use crate::ExperimentError;

/// A target task to fine-tune a pre-trained model on: the model a checkpoint loads into,
/// what changes before fine-tuning starts, the loss of a batch of training examples, and the
/// metric that decides when a run has reached its target.
///
/// The sweep calls, per run and in this order: [`FinetuneTask::pretrained_model`] (the
/// checkpoint's tensors are loaded into it by PyTorch name), the whole model frozen for LoRA
/// or made trainable for full fine-tuning, [`FinetuneTask::for_target`], for LoRA the adapters on the layers that the
/// [`SweepSettings::lora`](crate::sweep::SweepSettings::lora) targets name; then
/// [`FinetuneTask::batch_loss`] at every step and [`FinetuneTask::metric`] at every
/// evaluation. burn's random generator is seeded per run before `for_target`, so that what it
/// draws (a new head) is the same for every method of one seed.
pub trait FinetuneTask<B: AutodiffBackend> {
    /// The model: any burn module whose LoRA-capable layers are listed by [`LoraModel`].
    type Model: AutodiffModule<B> + LoraModel<B>;

    /// A freshly built model of the checkpoints' architecture (its weights are replaced by a
    /// checkpoint's).
    fn pretrained_model(&self, device: &B::Device) -> Result<Self::Model, ExperimentError>;

    /// The checkpoint's model made ready for the target, before adapters are attached: for
    /// example a new, trainable classifier head. The default keeps the model as it is.
    fn for_target(&self, model: Self::Model, _device: &B::Device) -> Self::Model {
        model
    }

    /// The number of training examples; batches are lists of indices below it.
    fn train_examples(&self) -> usize;

    /// The mean training loss of `model` on the examples at `batch`, with its autodiff graph.
    fn batch_loss(&self, model: &Self::Model, batch: &[usize], device: &B::Device) -> Tensor<B, 1>;

    /// The target metric of `model` on held-out data, higher is better: a run reaches its
    /// target at the first evaluation where the metric is at or above
    /// [`SweepSettings::target`](crate::sweep::SweepSettings::target).
    fn metric(&self, model: &Self::Model, device: &B::Device) -> f64;
}
