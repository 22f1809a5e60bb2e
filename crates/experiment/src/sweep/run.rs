//! One fine-tuning run of the sweep: a checkpoint's model fine-tuned on a task by one method
//! with one seed, evaluated every `eval_every` steps until it reaches the target or its
//! budget.

use std::time::Instant;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::AdamConfig;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use goldilocks_analysis::TaskFinetuneRun;
use goldilocks_lora::{apply_lora, RequireGrad};
use rand::SeedableRng;

use crate::divergence::loss_diverges;
use crate::interrupt::check_interrupt;
use crate::sweep::{optimizer_step, BatchSampler, FinetuneTask, SweepSettings};
use crate::{ExperimentError, FinetuneMethod};

/// Where a run starts and what identifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub fn of(record: &TaskFinetuneRun) -> Self {
        Self {
            pretrain_step: record.pretrain_step,
            method: FinetuneMethod::from_rank(record.rank),
            seed: record.seed,
        }
    }

    /// The run's random stream: distinct per (checkpoint, seed) and the same for every
    /// method, so that the methods of a seed share what the task draws and the batch order.
    pub fn stream(&self) -> u64 {
        self.seed.wrapping_mul(1_000_003).wrapping_add(self.pretrain_step as u64)
    }
}

/// `pretrained` (a checkpoint's model) made ready for run `spec`: burn's generator seeded
/// with the run's stream; for LoRA the whole model frozen, then [`FinetuneTask::for_target`],
/// then adapters of the method's rank on the targeted layers; for full fine-tuning every
/// weight made trainable, then `for_target`.
pub fn prepare_model<B: AutodiffBackend, T: FinetuneTask<B>>(
    task: &T,
    settings: &SweepSettings,
    pretrained: T::Model,
    spec: &RunSpec,
    device: &B::Device,
) -> Result<T::Model, ExperimentError> {
    let stream = spec.stream();
    B::seed(device, stream);
    Ok(match spec.method {
        FinetuneMethod::Full => task.for_target(pretrained.map(&mut RequireGrad(true)), device),
        FinetuneMethod::Lora { rank } => {
            let mut model = task.for_target(pretrained.map(&mut RequireGrad(false)), device);
            let adapter = settings.lora_config(rank);
            apply_lora(&mut model, &adapter, &mut rand::rngs::StdRng::seed_from_u64(stream))?;
            model
        }
    })
}

/// Fine-tunes `pretrained` (the model of checkpoint `spec.pretrain_step`, pre-trained on
/// `source`) by run `spec` and returns the run's record (tagged `config_hash`) and the
/// trained model. A batch loss that is non-finite or above `settings.loss_bound` stops the
/// run there, recorded as diverged.
pub fn finetune_run<B: AutodiffBackend, T: FinetuneTask<B>>(
    task: &T,
    settings: &SweepSettings,
    pretrained: T::Model,
    spec: RunSpec,
    source: &str,
    config_hash: &str,
    device: &B::Device,
) -> Result<(TaskFinetuneRun, T::Model), ExperimentError> {
    let mut model = prepare_model(task, settings, pretrained, &spec, device)?;
    let learning_rate = settings.learning_rate(spec.method);
    let mut optimizer = AdamConfig::new().init::<B, T::Model>();
    let mut sampler = BatchSampler::new(task.train_examples(), settings.batch, spec.stream());
    let mut record = TaskFinetuneRun {
        config_hash: config_hash.to_string(),
        source: source.to_string(),
        pretrain_step: spec.pretrain_step,
        method: spec.method.name(),
        rank: spec.method.rank(),
        seed: spec.seed,
        trainable_params: trainable(&model),
        eval_steps: vec![0],
        metric: vec![task.metric(&model, device)],
        train_loss: vec![None],
        seconds: vec![0.0],
        steps_to_target: None,
        seconds_to_target: None,
        steps_run: 0,
        max_steps: settings.max_steps,
        diverged_at: None,
        weights_sha256: None,
    };
    let mut training_seconds = 0.0;
    let mut losses = Vec::new();
    for step in 1..=settings.max_steps {
        check_interrupt()?;
        let started = Instant::now();
        let loss = task.batch_loss(&model, &sampler.next_batch(), device);
        let (next, loss) = optimizer_step(model, &mut optimizer, learning_rate, loss);
        model = next;
        training_seconds += started.elapsed().as_secs_f64();
        record.steps_run = step;
        if loss_diverges(loss, settings.loss_bound) {
            // After the target a run is done, so only a run still on its way diverges.
            if record.steps_to_target.is_none() {
                record.diverged_at = Some(step);
            }
            break;
        }
        losses.push(loss);
        if step % settings.eval_every == 0 || step == settings.max_steps {
            let value = task.metric(&model, device);
            record.eval_steps.push(step);
            record.metric.push(value);
            record.train_loss.push(Some(losses.iter().sum::<f64>() / losses.len() as f64));
            record.seconds.push(training_seconds);
            losses.clear();
            if value >= settings.target && record.steps_to_target.is_none() {
                record.steps_to_target = Some(step);
                record.seconds_to_target = Some(training_seconds);
                if settings.stop_at_target {
                    break;
                }
            }
        }
    }
    Ok((record, model))
}

/// Parameters that receive gradients: every parameter for full fine-tuning; adapters and
/// whatever `for_target` left trainable for LoRA.
fn trainable<B: AutodiffBackend, M: Module<B>>(model: &M) -> usize {
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
