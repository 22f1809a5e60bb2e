//! Every config shipped in configs/ parses and validates, whatever its kind, and every kind
//! has a shipped config.

use std::path::Path;

use goldilocks_experiment::AnyConfig;

use crate::shipped_config_files;

#[test]
fn shipped_configs_are_valid() {
    let files = shipped_config_files();
    assert!(files.len() >= 4, "found only {files:?}");
    let mut names = Vec::new();
    let mut kinds = Vec::new();
    for file in files {
        let config = AnyConfig::load(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        kinds.push(match &config {
            AnyConfig::Escape(_) => "escape",
            AnyConfig::Pretrain(_) => "pretrain",
            AnyConfig::Vit(_) => "vit",
            AnyConfig::Scaling(_) => "scaling",
        });
        let name = config.name().to_string();
        assert!(!names.contains(&name), "two configs named {name}");
        names.push(name);
    }
    for kind in ["escape", "pretrain", "vit", "scaling"] {
        assert!(kinds.contains(&kind), "no shipped config of kind {kind}");
    }
}

#[test]
fn the_scaling_config_covers_information_exponents_one_to_three() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/scaling.toml");
    let AnyConfig::Scaling(config) = AnyConfig::load(&path).unwrap() else {
        panic!("configs/scaling.toml is not a scaling config");
    };
    let exponents: Vec<u32> =
        config.targets.iter().filter_map(|t| t.information_exponent()).collect();
    assert_eq!(exponents, [1, 2, 3]);
    // He3 starts on the teacher's side, at m0 of order N^-1/2.
    let he3 = &config.targets[2];
    assert!(he3.initial_overlap.is_some_and(|law| law.constant > 0.0 && law.exponent == -0.5));
}
