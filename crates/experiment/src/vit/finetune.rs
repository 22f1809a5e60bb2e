//! One fine-tuning run on the target task from a checkpoint: LoRA (adapters on every
//! attention and MLP linear, everything else frozen) or full fine-tuning (every weight
//! trained). In both modes the source head is replaced by a fresh, trainable head for the
//! target classes.

use std::time::Instant;

use burn::optim::AdamConfig;
use burn::tensor::backend::AutodiffBackend;
use goldilocks_lora::apply_lora;
use goldilocks_model::Vit;
use rand::SeedableRng;

use crate::divergence::loss_diverges;
use crate::interrupt::check_interrupt;
use crate::vit::task_data::{BatchSampler, TaskData};
use crate::vit::train::{accuracy, train_step};
use crate::vit::VitExperimentConfig;
use crate::{ExperimentError, FinetuneMethod};
use goldilocks_analysis::VitFinetuneRun;

/// Where a run starts and what identifies it.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec {
    /// The checkpoint's pre-training step.
    pub pretrain_step: usize,
    /// LoRA or full.
    pub method: FinetuneMethod,
    /// The seed.
    pub seed: u64,
}

impl RunSpec {
    /// The run that `record` measured.
    pub fn of(record: &VitFinetuneRun) -> Self {
        Self {
            pretrain_step: record.pretrain_step,
            method: FinetuneMethod::from_rank(record.rank),
            seed: record.seed,
        }
    }
}

/// Fine-tunes `pretrained` (a checkpoint with the source head) on `target`, evaluating on
/// `target_test`, and returns the run's record and the trained model. A batch loss that is
/// non-finite or above `finetune.loss_bound` stops the run there, recorded as diverged.
pub fn finetune<B: AutodiffBackend>(
    config: &VitExperimentConfig,
    config_hash: &str,
    pretrained: Vit<B>,
    spec: RunSpec,
    target: &TaskData,
    target_test: &TaskData,
    device: &B::Device,
) -> Result<(VitFinetuneRun, Vit<B>), ExperimentError> {
    let f = &config.finetune;
    // Distinct streams per (checkpoint, seed); the same for every method, so methods share
    // the head's init and the batch order.
    let stream = spec.seed.wrapping_mul(1_000_003).wrapping_add(spec.pretrain_step as u64);
    B::seed(device, stream);
    let classes = config.target.classes.len();
    let (mut model, learning_rate) = match spec.method {
        FinetuneMethod::Full => {
            (pretrained.unfreeze().with_new_head(classes, device), f.full_learning_rate)
        }
        FinetuneMethod::Lora { rank } => {
            let mut model = pretrained.freeze().with_new_head(classes, device);
            let adapter = f.lora_config(rank);
            apply_lora(&mut model, &adapter, &mut rand::rngs::StdRng::seed_from_u64(stream))?;
            (model, f.lora_learning_rate)
        }
    };
    let trainable_params = trainable(&model);
    let mut optimizer = AdamConfig::new().init::<B, Vit<B>>();
    let mut sampler = BatchSampler::new(target.len(), f.batch, stream);
    let mut record = VitFinetuneRun {
        config_hash: config_hash.to_string(),
        pretrain_step: spec.pretrain_step,
        method: spec.method.name(),
        rank: spec.method.rank(),
        seed: spec.seed,
        trainable_params,
        eval_steps: vec![0],
        accuracy: vec![accuracy(&model, target_test, device)],
        train_loss: vec![None],
        seconds: vec![0.0],
        steps_to_target: None,
        seconds_to_target: None,
        steps_run: 0,
        max_steps: f.max_steps,
        diverged_at: None,
        weights_sha256: None,
    };
    let mut training_seconds = 0.0;
    let mut losses = Vec::new();
    for step in 1..=f.max_steps {
        check_interrupt()?;
        let started = Instant::now();
        let (next, loss) =
            train_step(model, &mut optimizer, learning_rate, target, &sampler.next_batch(), device);
        model = next;
        training_seconds += started.elapsed().as_secs_f64();
        record.steps_run = step;
        if loss_diverges(loss, f.loss_bound) {
            // After the target a run is done, so only a run still on its way diverges.
            if record.steps_to_target.is_none() {
                record.diverged_at = Some(step);
            }
            break;
        }
        losses.push(loss);
        if step % f.eval_every == 0 || step == f.max_steps {
            let acc = accuracy(&model, target_test, device);
            record.eval_steps.push(step);
            record.accuracy.push(acc);
            record.train_loss.push(Some(losses.iter().sum::<f64>() / losses.len() as f64));
            record.seconds.push(training_seconds);
            losses.clear();
            if acc >= f.target_accuracy && record.steps_to_target.is_none() {
                record.steps_to_target = Some(step);
                record.seconds_to_target = Some(training_seconds);
                if f.stop_at_target {
                    break;
                }
            }
        }
    }
    Ok((record, model))
}

/// Parameters that receive gradients: every parameter for full fine-tuning; adapters and
/// head for LoRA.
fn trainable<B: AutodiffBackend>(model: &Vit<B>) -> usize {
    use burn::module::{Module, ModuleVisitor, Param};
    use burn::tensor::Tensor;
    struct Count(usize);
    impl<B: AutodiffBackend> ModuleVisitor<B> for Count {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if param.is_require_grad() {
                self.0 += param.shape().num_elements();
            }
        }
    }
    let mut count = Count(0);
    model.visit(&mut count);
    count.0
}
