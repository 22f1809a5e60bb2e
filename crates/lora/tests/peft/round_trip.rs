//! burn -> PEFT files -> burn.

use goldilocks_lora::{
    apply_lora, load_adapter, merge_adapters, save_adapter, LoraConfig, LoraInit, TargetModules,
};
use rand::SeedableRng;

use crate::common::{fixture_net, max_abs_diff, tensor, Net, B};
use goldilocks_lora::peft_files::HostTensor;

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
