//! burn -> PEFT files -> burn.

use goldilocks_lora::{
    apply_lora, load_adapter, merge_adapters, save_adapter, LoraConfig, LoraInit, TargetModules,
};
use rand::SeedableRng;

use crate::common::{fixture_net, host, max_abs_diff, tensor, Net, B};
use goldilocks_lora::peft_files::HostTensor;
use goldilocks_lora::peft_files::{read_safetensors, write_safetensors};
use std::collections::BTreeMap;

/// A fixture-shaped model with random base weights and a random (non-trivial) adapter.
pub fn adapted_net(seed: u64) -> (Net<B>, LoraConfig) {
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, seed);
    let mut net = fixture_net();
    // Random base weights of the fixture's shapes.
    net.lin0 = burn::nn::LinearConfig::new(16, 8).with_bias(false).init(&device).into();
    net.lin1 = burn::nn::LinearConfig::new(8, 4).init(&device).into();
    let config = LoraConfig::new(3, 6.0, TargetModules::list(["lin0", "lin1"]))
        .with_init(LoraInit::Random)
        .with_rslora(true);
    apply_lora(&mut net, &config, &mut rand::rngs::StdRng::seed_from_u64(seed)).unwrap();
    (net, config)
}

/// A fixture-shaped model whose lin0 carries a random adapter and whose lin1 was retrained in
/// full (PEFT's `modules_to_save`, as for a new classifier head), with the base model's
/// state dict from before lin1 was retrained.
pub fn adapted_net_with_head(seed: u64) -> (Net<B>, BTreeMap<String, HostTensor>, LoraConfig) {
    let (mut net, _) = adapted_net(seed);
    net.lin1.adapter = None;
    let base = net.state_dict();
    net.lin1 = burn::nn::LinearConfig::new(8, 4).init(&Default::default()).into();
    let config = LoraConfig::new(3, 6.0, TargetModules::list(["lin0"]))
        .with_init(LoraInit::Random)
        .with_rslora(true)
        .with_modules_to_save(["lin1"]);
    (net, base, config)
}

pub fn input() -> HostTensor {
    HostTensor::new(vec![5, 16], (0..80).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.3).collect())
        .unwrap()
}

#[test]
fn burn_to_peft_to_burn_preserves_outputs() {
    let (net, config) = adapted_net(11);
    let x = tensor(&input());
    let expected = net.forward(x.clone());
    assert!(
        max_abs_diff(
            expected.clone(),
            Net { lin0: net.lin0.base.clone().into(), lin1: net.lin1.base.clone().into() }
                .forward(x.clone())
        ) > 1e-3
    );

    let dir = tempfile::tempdir().unwrap();
    save_adapter(&net, &config, dir.path()).unwrap();
    let mut fresh = Net { lin0: net.lin0.base.clone().into(), lin1: net.lin1.base.clone().into() };
    let loaded = load_adapter(&mut fresh, dir.path()).unwrap();
    assert_eq!(loaded.r, 3);
    assert!(loaded.use_rslora);
    let error = max_abs_diff(fresh.forward(x.clone()), expected.clone());
    assert!(error < 1e-5, "round trip changed outputs by {error}");

    merge_adapters(&mut fresh);
    assert!(max_abs_diff(fresh.forward(x), expected) < 1e-5);
}

#[test]
fn wrong_shapes_are_named_on_load() {
    let (net, config) = adapted_net(12);
    let dir = tempfile::tempdir().unwrap();
    save_adapter(&net, &config, dir.path()).unwrap();
    // A model whose lin1 is narrower than the saved one.
    let mut other = fixture_net();
    other.lin1 = burn::nn::LinearConfig::new(8, 3).init(&Default::default()).into();
    let error = load_adapter(&mut other, dir.path()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("base_model.model.lin1.lora_B.weight") && message.contains("[3, 3]"),
        "{message}"
    );
}

#[test]
fn a_saved_head_reloads_bit_for_bit() {
    let (net, base, config) = adapted_net_with_head(13);
    let x = tensor(&input());
    let expected = net.forward(x.clone());
    let base_net = || Net::from_state_dict(&base, &Default::default());
    assert!(max_abs_diff(base_net().forward(x.clone()), expected.clone()) > 1e-3);

    let dir = tempfile::tempdir().unwrap();
    save_adapter(&net, &config, dir.path()).unwrap();
    let mut fresh = base_net();
    let loaded = load_adapter(&mut fresh, dir.path()).unwrap();
    assert_eq!(loaded.saved_modules(), ["lin1"]);
    assert!(fresh.lin1.adapter.is_none());
    assert_eq!(
        host(fresh.forward(x.clone())).data,
        host(expected).data,
        "the reloaded adapter and head must reproduce the outputs exactly"
    );
}

#[test]
fn saved_modules_that_do_not_fit_are_named() {
    let (net, base, config) = adapted_net_with_head(14);
    let dir = tempfile::tempdir().unwrap();
    let nothing = config.clone().with_modules_to_save(["classifier"]);
    let error = save_adapter(&net, &nothing, dir.path()).unwrap_err();
    assert!(error.to_string().contains("\"classifier\""), "{error}");

    save_adapter(&net, &config, dir.path()).unwrap();
    let weights = dir.path().join("adapter_model.safetensors");
    let mut tensors = read_safetensors(&weights).unwrap();
    tensors.remove("base_model.model.lin1.bias");
    let metadata = BTreeMap::from([("format".to_string(), "pt".to_string())]);
    write_safetensors(&weights, &tensors, &metadata).unwrap();
    let error =
        load_adapter(&mut Net::<B>::from_state_dict(&base, &Default::default()), dir.path())
            .unwrap_err();
    assert!(error.to_string().contains("missing tensor base_model.model.lin1.bias"), "{error}");

    let mut narrow = fixture_net();
    narrow.lin1 = burn::nn::LinearConfig::new(8, 3).init(&Default::default()).into();
    tensors.insert(
        "base_model.model.lin1.bias".into(),
        HostTensor::new(vec![4], vec![0.0; 4]).unwrap(),
    );
    write_safetensors(&weights, &tensors, &metadata).unwrap();
    let error = load_adapter(&mut narrow, dir.path()).unwrap_err();
    assert!(error.to_string().contains("lin1.weight has shape [4, 8]"), "{error}");
}
