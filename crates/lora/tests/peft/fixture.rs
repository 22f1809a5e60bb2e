//! The PEFT-written fixture: burn reproduces PEFT's outputs.

use goldilocks_lora::peft_files::{read_safetensors, PeftAdapter};
use goldilocks_lora::{load_adapter, trainable_parameters, LoraInit, TargetModules};

use crate::common::{fixture_dir, fixture_net, max_abs_diff, tensor};

#[test]
fn burn_matches_the_outputs_peft_computed() {
    let mut net = fixture_net();
    let config = load_adapter(&mut net, &fixture_dir()).unwrap();
    assert_eq!((config.r, config.lora_alpha, config.scaling()), (4, 8.0, 2.0));
    assert_eq!(config.init_lora_weights, LoraInit::Gaussian);
    assert_eq!(config.target_modules, TargetModules::list(["lin0", "lin1"]));

    let io = read_safetensors(&fixture_dir().join("io.safetensors")).unwrap();
    let output = net.forward(tensor(&io["input"]));
    let expected = tensor(&io["output"]);
    let error = max_abs_diff(output.clone(), expected.clone());
    assert!(error < 1e-5, "max |burn - PEFT| = {error}");
    // The adapter matters: the base model alone is far from PEFT's output.
    let base = fixture_net().forward(tensor(&io["input"]));
    assert!(max_abs_diff(base, expected) > 1e-3);

    let count = trainable_parameters(&net);
    assert_eq!(count.trainable, 4 * (16 + 8) + 4 * (8 + 4));
    assert_eq!(count.total, 16 * 8 + 8 * 4 + 4 + count.trainable);
}

#[test]
fn the_fixture_saved_again_keeps_its_tensors_and_options() {
    let mut net = fixture_net();
    let config = load_adapter(&mut net, &fixture_dir()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    goldilocks_lora::save_adapter(&net, &config, dir.path()).unwrap();
    let original = PeftAdapter::load(&fixture_dir()).unwrap();
    let again = PeftAdapter::load(dir.path()).unwrap();
    assert_eq!(again.layers, original.layers);
    // Gaussian is a PEFT name, so even the init survives; unknown PEFT fields too.
    assert_eq!(again.config, original.config);
}

#[test]
fn a_layer_missing_from_the_file_is_named() {
    // Target a layer the model has but the fixture's weights do not cover.
    let dir = tempfile::tempdir().unwrap();
    let mut adapter = PeftAdapter::load(&fixture_dir()).unwrap();
    adapter.layers.remove("lin1");
    adapter.save(dir.path()).unwrap();
    let error = load_adapter(&mut fixture_net(), dir.path()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("adapter_model.safetensors")
            && message.contains("base_model.model.lin1.lora_A.weight"),
        "{message}"
    );
}
