//! The checkpoint sweep on a model of the test's own (one `LoraLinear` fitting a linear
//! map): records and verdicts, determinism, the per-run hook, and its bad-input paths.

use std::collections::BTreeMap;

use burn::backend::{Autodiff, NdArray};
use burn::nn::LinearConfig;
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, ElementConversion, Int, Tensor, TensorData};
use goldilocks_analysis::TaskFinetuneRun;
use goldilocks_experiment::sweep::{
    finetune_checkpoint, module_tensors, sweep, FinetuneTask, SweepSettings,
};
use goldilocks_experiment::{ExperimentError, FinetuneMethod};
use goldilocks_lora::{LoraConfig, LoraLinear, TargetModules};
use goldilocks_store::CheckpointStore;

type A = Autodiff<NdArray>;
type Device = burn::backend::ndarray::NdArrayDevice;

/// Fitting `x -> x W` with mean squared error; the metric is minus the test error.
struct LinearMap {
    inputs: usize,
    train: (Tensor<A, 2>, Tensor<A, 2>),
    test: (Tensor<A, 2>, Tensor<A, 2>),
}

impl LinearMap {
    fn new(inputs: usize, outputs: usize, device: &Device) -> Self {
        A::seed(device, 3);
        let w = Tensor::<A, 2>::random([inputs, outputs], Distribution::Normal(0.0, 1.0), device);
        let points = |n| {
            let x = Tensor::<A, 2>::random([n, inputs], Distribution::Normal(0.0, 1.0), device);
            (x.clone(), x.matmul(w.clone()))
        };
        Self { inputs, train: points(64), test: points(64) }
    }
}

impl FinetuneTask<A> for LinearMap {
    type Model = LoraLinear<A>;

    fn pretrained_model(&self, device: &Device) -> Result<LoraLinear<A>, ExperimentError> {
        Ok(LoraLinear::new(LinearConfig::new(self.inputs, 2).init(device)))
    }

    fn train_examples(&self) -> usize {
        self.train.0.dims()[0]
    }

    fn batch_loss(&self, model: &LoraLinear<A>, batch: &[usize], device: &Device) -> Tensor<A, 1> {
        let rows: Vec<i64> = batch.iter().map(|&i| i as i64).collect();
        let rows = Tensor::<A, 1, Int>::from_data(TensorData::new(rows, [batch.len()]), device);
        let predicted = model.forward(self.train.0.clone().select(0, rows.clone()));
        (predicted - self.train.1.clone().select(0, rows)).powi_scalar(2).mean()
    }

    fn metric(&self, model: &LoraLinear<A>, _device: &Device) -> f64 {
        let error = (model.forward(self.test.0.clone()) - self.test.1.clone()).powi_scalar(2);
        -error.mean().into_scalar().elem::<f64>()
    }
}

/// A change that makes the settings invalid.
type Spoil = fn(&mut SweepSettings);

fn settings() -> SweepSettings {
    SweepSettings {
        methods: FinetuneMethod::list(&[1], true),
        seeds: vec![0, 1],
        lora: LoraConfig::new(1, 1.0, TargetModules::Pattern("all-linear".into())),
        batch: 8,
        lora_learning_rate: 0.05,
        full_learning_rate: 0.05,
        max_steps: 20,
        eval_every: 5,
        target: -0.5,
        stop_at_target: false,
        loss_bound: None,
    }
}

/// A 4 -> 2 linear map to fit, and a store (in its folder) with checkpoints 0 and 1 of the
/// task's model: two random initialisations.
fn fixture() -> (Device, LinearMap, tempfile::TempDir, CheckpointStore) {
    let device = Device::default();
    let task = LinearMap::new(4, 2, &device);
    let dir = tempfile::tempdir().unwrap();
    let mut store = CheckpointStore::open(dir.path(), "linear-map").unwrap();
    for step in [0, 1] {
        let model = task.pretrained_model(&device).unwrap();
        store.save(step, &module_tensors(&model), BTreeMap::new(), "random").unwrap();
    }
    (device, task, dir, store)
}

/// The records without their wall times, which differ between runs.
fn untimed(records: &[TaskFinetuneRun]) -> Vec<TaskFinetuneRun> {
    records.iter().map(TaskFinetuneRun::untimed).collect()
}

#[test]
fn a_sweep_runs_every_method_and_seed_from_every_checkpoint_and_repeats_exactly() {
    let (device, task, _dir, store) = fixture();
    let outcome = sweep(&task, &settings(), &store, &device).unwrap();
    assert_eq!(outcome.records.len(), 2 * 2 * 2);
    let order: Vec<(usize, &str, u64)> =
        outcome.records.iter().map(|r| (r.pretrain_step, r.method.as_str(), r.seed)).collect();
    assert_eq!(order[..4], [(0, "lora-r1", 0), (0, "lora-r1", 1), (0, "full", 0), (0, "full", 1)]);
    for record in &outcome.records {
        assert_eq!(record.source, "random");
        assert_eq!(record.eval_steps, [0, 5, 10, 15, 20]);
        assert!(record.metric.last() > record.metric.first(), "training lowers the error");
    }
    let lora = outcome.records.iter().find(|r| r.rank == Some(1)).unwrap();
    let full = outcome.records.iter().find(|r| r.rank.is_none()).unwrap();
    // LoRA trains the factors of a rank-1 adapter (4 + 2); full trains W and the bias.
    assert_eq!((lora.trainable_params, full.trainable_params), (6, 4 * 2 + 2));
    assert_eq!(outcome.rows.len(), 2 * 2);
    for method in ["lora-r1", "full"] {
        let verdict = outcome.goldilocks_of(method).unwrap();
        assert!([0, 1].contains(&verdict.step));
    }
    let again = sweep(&task, &settings(), &store, &device).unwrap();
    assert_eq!(untimed(&again.records), untimed(&outcome.records));
}

#[test]
fn the_hook_sees_every_run_with_its_trained_model() {
    let (device, task, _dir, store) = fixture();
    let mut seen = Vec::new();
    let records = finetune_checkpoint::<A, _, _>(
        &task,
        &settings(),
        &store,
        1,
        "hash",
        &device,
        |record, model| {
            let metric = task.metric(model, &device);
            assert_eq!(Some(&metric), record.metric.last(), "the model the record measured");
            record.weights_sha256 = Some(format!("seen {}", seen.len()));
            seen.push(model.adapter.is_some());
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(seen, [true, true, false, false]);
    assert!(records.iter().all(|r| r.config_hash == "hash" && r.pretrain_step == 1));
    assert_eq!(records[3].weights_sha256.as_deref(), Some("seen 3"), "the hook fills the record");
}

#[test]
fn bad_settings_an_empty_store_and_a_checkpoint_of_another_model_are_named() {
    let (device, task, dir, store) = fixture();
    let cases: [(&str, Spoil); 7] = [
        ("methods", |s| s.methods.clear()),
        ("seeds", |s| s.seeds.clear()),
        ("batch", |s| s.batch = 0),
        ("lora_learning_rate", |s| s.lora_learning_rate = -1.0),
        ("eval_every", |s| s.eval_every = 0),
        ("target", |s| s.target = f64::NAN),
        ("lora", |s| s.lora.lora_alpha = 0.0),
    ];
    for (field, spoil) in cases {
        let mut bad = settings();
        spoil(&mut bad);
        let error = sweep(&task, &bad, &store, &device).unwrap_err();
        assert!(error.to_string().contains(field), "{field}: {error}");
    }

    let empty = CheckpointStore::open(dir.path().join("empty"), "linear-map").unwrap();
    let error = sweep(&task, &settings(), &empty, &device).unwrap_err();
    assert!(error.to_string().contains("holds no checkpoint"), "{error}");

    let wider = LinearMap::new(6, 2, &device);
    let error = sweep(&wider, &settings(), &store, &device).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("step-00000000") && message.contains("weight"), "{message}");
}
