//! The ViT experiment end to end on small IDX files written here, its bad-input paths, and a
//! few training steps on the real Fashion-MNIST files.

use std::path::Path;

use burn::backend::{Autodiff, NdArray};
use burn::optim::AdamConfig;
use burn::tensor::backend::Backend;
use goldilocks_analysis::TaskFinetuneRun;
use goldilocks_data::{
    write_idx, FashionMnist, IdxArray, DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_FILES,
};
use goldilocks_experiment::sweep::{finetune_run, optimizer_step, BatchSampler, RunSpec};
use goldilocks_experiment::vit::{
    batch_loss, folder_digest, load_checkpoint, load_run_weights, open_checkpoints,
    run_weights_dir, TaskData, VitExperimentConfig, VitTargetTask, VitTasks, FULL_MODEL_FILE,
};
use goldilocks_experiment::{ExperimentError, ExperimentKind, FinetuneMethod, RunOptions};
use goldilocks_model::{Vit, VitConfig};
use goldilocks_store::CheckpointStore;

type A = Autodiff<NdArray>;

/// A tiny config on `data_dir`: a narrow one-block ViT, 4 pre-training steps, LoRA rank 2 and
/// full fine-tuning, one seed, 4 fine-tuning steps.
fn tiny_config(data_dir: &Path) -> String {
    format!(
        r#"
kind = "vit"
name = "vit-tiny"
data_dir = "{}"

[model]
width = 16
heads = 2
depth = 1
mlp_width = 32

[source]
classes = [0, 1, 2, 3, 4]

[target]
classes = [5, 6, 7, 8, 9]

[pretrain]
steps = 4
batch = 8
learning_rate = {{ kind = "constant", lr = 1e-3 }}
checkpoints = {{ kind = "list", steps = [0, 4] }}

[finetune]
ranks = [2]
lora_alpha = 4.0
seeds = [0]
batch = 8
lora_learning_rate = 1e-3
full_learning_rate = 1e-3
max_steps = 4
eval_every = 2
target_accuracy = 0.3
"#,
        data_dir.display()
    )
}

/// Writes a Fashion-MNIST-shaped folder with `n` images per split: image i has label i % 10
/// and a bright row at the label's height, so that the classes can be told apart.
fn write_fake_data(dir: &Path, n: usize) {
    for (images, labels) in [(0, 1), (2, 3)] {
        let mut pixels = vec![0u8; n * 784];
        for i in 0..n {
            let row = 2 + 2 * (i % 10);
            pixels[i * 784 + row * 28..i * 784 + row * 28 + 28].fill(255);
        }
        write_idx(
            &dir.join(format!("{}.gz", FASHION_MNIST_FILES[images])),
            &IdxArray { dims: vec![n, 28, 28], data: pixels },
        )
        .unwrap();
        let label_data = (0..n).map(|i| (i % 10) as u8).collect();
        write_idx(
            &dir.join(format!("{}.gz", FASHION_MNIST_FILES[labels])),
            &IdxArray { dims: vec![n], data: label_data },
        )
        .unwrap();
    }
}

fn quiet(root: &Path) -> RunOptions {
    RunOptions { show_progress: false, ..RunOptions::new(root) }
}

#[test]
fn runs_end_to_end_resumes_and_recomputes_a_damaged_checkpoint() {
    let data = tempfile::tempdir().unwrap();
    write_fake_data(data.path(), 60);
    let results = tempfile::tempdir().unwrap();
    let config = VitExperimentConfig::from_toml(&tiny_config(data.path()), "tiny").unwrap();
    let device = Default::default();

    let first = config.run::<NdArray>(&quiet(results.path()), &device).unwrap();
    assert_eq!((first.computed_runs, first.reused_runs), (4, 0));
    assert_eq!(first.rows.len(), 4, "2 methods x 2 checkpoints");
    let report = std::fs::read_to_string(&first.report).unwrap();
    assert!(
        report.contains("Does longer pre-training slow fine-tuning here?")
            && report.contains("lora-r2")
    );
    for file in [
        "summary.csv",
        "config.toml",
        "accuracy_full.svg",
        "accuracy_full.png",
        "runs/step-00000004.jsonl",
    ] {
        assert!(first.dir.join(file).exists(), "{file} missing");
    }
    let run = &first.records[0];
    assert_eq!(run.eval_steps.first(), Some(&0));
    assert!(run.metric.iter().all(|a| (0.0..=1.0).contains(a)));

    let second = config.run::<NdArray>(&quiet(results.path()), &device).unwrap();
    assert_eq!((second.computed_runs, second.reused_runs), (0, 4));
    assert_eq!(second.records, first.records);

    let checkpoint = first.dir.join("checkpoints").join(CheckpointStore::file_name(4));
    std::fs::write(&checkpoint, b"damaged").unwrap();
    let third = config.run::<NdArray>(&quiet(results.path()), &device).unwrap();
    assert_eq!((third.computed_runs, third.reused_runs), (4, 0));
    let store = CheckpointStore::open(first.dir.join("checkpoints"), "").map(|_| ()).unwrap_err();
    assert!(store.to_string().contains("config"), "the store is tied to its config: {store}");
}

/// The records without their wall times, which differ between runs.
fn untimed(records: &[TaskFinetuneRun]) -> Vec<TaskFinetuneRun> {
    records.iter().map(TaskFinetuneRun::untimed).collect()
}

/// The logits of `model` on every image of `data`, as plain numbers.
fn logits(model: &Vit<A>, data: &TaskData) -> Vec<f32> {
    let indices: Vec<usize> = (0..data.len()).collect();
    let (images, _) = data.batch::<A>(&indices, &Default::default());
    model.forward(images).into_data().to_vec::<f32>().unwrap()
}

#[test]
fn saved_adapters_and_full_weights_reload_bit_for_bit_and_guard_reuse() {
    let data = tempfile::tempdir().unwrap();
    write_fake_data(data.path(), 60);
    let results = tempfile::tempdir().unwrap();
    let text = format!("{}\n[record]\nsave_adapters = true\n", tiny_config(data.path()));
    let config = VitExperimentConfig::from_toml(&text, "tiny").unwrap();
    let device = Default::default();
    let outcome = config.run::<NdArray>(&quiet(results.path()), &device).unwrap();
    assert_eq!(outcome.records.len(), 4);
    let tasks = VitTasks::load(&config).unwrap();
    for record in &outcome.records {
        let spec = RunSpec::of(record);
        let method = spec.method;
        let folder = run_weights_dir(&outcome.dir, &spec);
        let digest = record.weights_sha256.as_deref().expect("the record names its weights");
        assert_eq!(folder_digest(&folder).unwrap(), digest);
        let expected_files: &[&str] = match method {
            FinetuneMethod::Lora { .. } => &["adapter_config.json", "adapter_model.safetensors"],
            FinetuneMethod::Full => &[FULL_MODEL_FILE],
        };
        let mut files: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, expected_files, "{}", folder.display());

        // The same run again, in memory, against the model rebuilt from the saved files.
        let reloaded = load_run_weights::<A>(&config, &outcome.dir, &spec, &device).unwrap();
        let store = open_checkpoints(&config, &outcome.dir).unwrap();
        let pretrained =
            load_checkpoint::<A>(&config, &store, spec.pretrain_step, &device).unwrap();
        let task =
            VitTargetTask { config: &config, train: &tasks.target, test: &tasks.target_test };
        let (rerun, trained) = finetune_run::<A, _>(
            &task,
            &config.finetune.sweep_settings(),
            pretrained,
            spec,
            &record.source,
            &record.config_hash,
            &device,
        )
        .unwrap();
        assert_eq!(rerun.metric, record.metric, "fine-tuning is deterministic");
        assert_eq!(
            logits(&reloaded, &tasks.target_test),
            logits(&trained, &tasks.target_test),
            "{} reloads bit for bit",
            folder.display()
        );
        if let FinetuneMethod::Lora { .. } = method {
            let adapter = std::fs::read_to_string(folder.join("adapter_config.json")).unwrap();
            let adapter: serde_json::Value = serde_json::from_str(&adapter).unwrap();
            assert_eq!(adapter["modules_to_save"], serde_json::json!(["head"]));
        }
    }

    let again = config.run::<NdArray>(&quiet(results.path()), &device).unwrap();
    assert_eq!((again.computed_runs, again.reused_runs), (0, 4));
    assert_eq!(again.records, outcome.records);

    // A changed weights file makes its checkpoint's unit run again, and the file is rewritten.
    let full = run_weights_dir(
        &outcome.dir,
        &RunSpec { pretrain_step: 4, method: FinetuneMethod::Full, seed: 0 },
    );
    std::fs::write(full.join(FULL_MODEL_FILE), b"changed").unwrap();
    let third = config.run::<NdArray>(&quiet(results.path()), &device).unwrap();
    assert_eq!((third.computed_runs, third.reused_runs), (2, 2));
    assert_eq!(untimed(&third.records), untimed(&outcome.records), "the same weights again");
    let error = load_run_weights::<A>(
        &config,
        &outcome.dir,
        &RunSpec { pretrain_step: 4, method: FinetuneMethod::Lora { rank: 2 }, seed: 7 },
        &device,
    )
    .unwrap_err();
    assert!(error.to_string().contains("lora-r2-seed7"), "a missing folder is named: {error}");
}

#[test]
fn a_loss_above_the_bound_is_divergence_in_pretraining_and_in_fine_tuning() {
    let data = tempfile::tempdir().unwrap();
    write_fake_data(data.path(), 60);
    let device = Default::default();
    // The first batches' cross-entropy is about ln 5 = 1.6: a bound of 1 stops every
    // fine-tuning run at its first step.
    let text = tiny_config(data.path())
        .replace("target_accuracy = 0.3", "target_accuracy = 0.99\nloss_bound = 1.0");
    let config = VitExperimentConfig::from_toml(&text, "tiny").unwrap();
    let results = tempfile::tempdir().unwrap();
    let outcome = config.run::<NdArray>(&quiet(results.path()), &device).unwrap();
    assert_eq!(outcome.records.len(), 4);
    assert!(outcome.records.iter().all(|r| r.diverged_at == Some(1) && r.steps_run == 1));
    assert!(outcome.rows.iter().all(|r| r.diverged == r.seeds && r.censored == 0));
    let summary = std::fs::read_to_string(outcome.dir.join("summary.csv")).unwrap();
    assert!(summary.starts_with("method,pretrain_step,source_accuracy,runs,reached,diverged,"));
    assert!(summary.lines().skip(1).all(|l| l.split(',').nth(5) == Some("1")), "{summary}");
    let report = std::fs::read_to_string(&outcome.report).unwrap();
    assert!(report.contains("## Diverged runs"), "{report}");

    // A pre-training bound below the initial loss: diverged at step 0, nothing to fine-tune.
    let text = tiny_config(data.path())
        .replace("lr = 1e-3 }\ncheckpoints", "lr = 1e-3 }\nloss_bound = 1.0\ncheckpoints");
    assert!(text.contains("loss_bound"));
    let config = VitExperimentConfig::from_toml(&text, "tiny").unwrap();
    let results = tempfile::tempdir().unwrap();
    let outcome = config.run::<NdArray>(&quiet(results.path()), &device).unwrap();
    assert!(outcome.records.is_empty());
    let report = std::fs::read_to_string(&outcome.report).unwrap();
    assert!(report.contains("Pre-training on `fashion-mnist` diverged at step 0"), "{report}");
    let store = CheckpointStore::open(outcome.dir.join("checkpoints"), "x").map(|s| s.steps());
    assert!(store.is_err() || store.unwrap().is_empty());
    let again = std::fs::read_to_string(
        &config.run::<NdArray>(&quiet(results.path()), &device).unwrap().report,
    )
    .unwrap();
    assert!(again.contains("Pre-training wall time in this invocation: 0.0 s"), "{again}");
    assert!(again.contains("diverged at step 0"), "{again}");
}

#[test]
fn a_missing_data_folder_is_one_clear_error_and_writes_nothing() {
    let results = tempfile::tempdir().unwrap();
    let missing = results.path().join("no-such-folder");
    let config = VitExperimentConfig::from_toml(&tiny_config(&missing), "tiny").unwrap();
    let error = config.run::<NdArray>(&quiet(results.path()), &Default::default()).unwrap_err();
    assert!(matches!(error, ExperimentError::Data(_)), "{error}");
    assert!(
        error.to_string().contains("no-such-folder")
            && error.to_string().contains("dataset-fashion-mnist"),
        "{error}"
    );
    assert!(!results.path().join("vit-tiny").exists());
}

#[test]
fn a_corrupt_idx_file_is_named() {
    let data = tempfile::tempdir().unwrap();
    write_fake_data(data.path(), 20);
    let labels = data.path().join(format!("{}.gz", FASHION_MNIST_FILES[3]));
    write_idx(&labels, &IdxArray { dims: vec![20], data: vec![11; 20] }).unwrap();
    let config = VitExperimentConfig::from_toml(&tiny_config(data.path()), "tiny").unwrap();
    let results = tempfile::tempdir().unwrap();
    let error = config.run::<NdArray>(&quiet(results.path()), &Default::default()).unwrap_err();
    assert!(
        error.to_string().contains("t10k-labels-idx1-ubyte.gz")
            && error.to_string().contains("label 11"),
        "{error}"
    );
}

#[test]
fn each_bad_field_is_named() {
    let base = tiny_config(Path::new("/tmp"));
    let cases = [
        ("kind = \"vit\"", "kind = \"escape\"", "kind"),
        ("ranks = [2]", "ranks = [0]", "finetune.ranks"),
        ("ranks = [2]", "ranks = [17]", "finetune.ranks"),
        ("classes = [5, 6, 7, 8, 9]", "classes = [5, 5]", "target.classes"),
        ("classes = [0, 1, 2, 3, 4]", "classes = [12]", "source.classes"),
        ("target_accuracy = 0.3", "target_accuracy = 1.5", "finetune.target_accuracy"),
        ("seeds = [0]", "seeds = []", "finetune.seeds"),
        ("eval_every = 2", "eval_every = 0", "finetune.eval_every"),
        ("heads = 2", "heads = 3", "model"),
        ("steps = [0, 4]", "steps = [9]", "pretrain.checkpoints"),
        ("eval_every = 2", "eval_every = 2\nloss_bound = 0", "finetune.loss_bound"),
        ("lr = 1e-3 }", "lr = -1e-3 }", "pretrain.learning_rate"),
        (
            "lr = 1e-3 }\ncheckpoints",
            "lr = 1e-3 }\nloss_bound = inf\ncheckpoints",
            "pretrain.loss_bound",
        ),
    ];
    for (from, to, field) in cases {
        let text = base.replacen(from, to, 1);
        let error =
            VitExperimentConfig::from_toml(&text, "test").and_then(|c| c.validate()).unwrap_err();
        assert!(error.to_string().contains(&format!("`{field}`")), "{to}: {error}");
    }
    let unknown = base.replacen("[model]", "[model]\nwidht = 3", 1);
    let error = VitExperimentConfig::from_toml(&unknown, "test").unwrap_err();
    assert!(error.to_string().contains("widht"), "{error}");
    let unknown = format!("{base}\n[record]\nsave_adapter = true\n");
    let error = VitExperimentConfig::from_toml(&unknown, "test").unwrap_err();
    assert!(error.to_string().contains("save_adapter"), "{error}");
}

/// A few Adam steps of the tiny ViT on real Fashion-MNIST images lower the loss. Skipped
/// with a printed reason when the files are missing, unless CI is set.
#[test]
fn vit_trains_on_the_real_fashion_mnist_files() {
    let dir = std::env::var("GOLDILOCKS_FASHION_MNIST")
        .unwrap_or_else(|_| DEFAULT_FASHION_MNIST_DIR.into());
    if !FashionMnist::is_present(&dir) {
        let reason = format!("Fashion-MNIST is not in {dir}: install it with `apt-get install dataset-fashion-mnist`");
        if std::env::var_os("CI").is_some() {
            panic!("{reason} (CI is set, so the real-data test may not be skipped)");
        }
        eprintln!("skipping vit_trains_on_the_real_fashion_mnist_files: {reason}");
        return;
    }
    let data = FashionMnist::load(&dir).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (60_000, 10_000));
    let source = TaskData::from_split(&data.train.task(&[0, 1, 2, 3, 4]).unwrap().take(1024));
    let device = Default::default();
    A::seed(&device, 7);
    let mut model: Vit<A> = VitConfig::tiny(5).init(&device).unwrap().unfreeze();
    let mut optimizer = AdamConfig::new().init::<A, Vit<A>>();
    let mut sampler = BatchSampler::new(source.len(), 32, 7);
    let mut losses = Vec::new();
    for _ in 0..30 {
        let loss = batch_loss(&model, &source, &sampler.next_batch(), &device);
        let (next, loss) = optimizer_step(model, &mut optimizer, 1e-3, loss);
        model = next;
        losses.push(loss);
    }
    let first = losses[..5].iter().sum::<f64>() / 5.0;
    let last = losses[25..].iter().sum::<f64>() / 5.0;
    assert!(losses.iter().all(|l| l.is_finite()));
    assert!(last < 0.8 * first, "loss went from {first:.3} to {last:.3}: {losses:?}");
}
