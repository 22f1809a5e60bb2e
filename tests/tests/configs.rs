//! Every config shipped in configs/ parses and validates.

use std::path::Path;

use goldilocks_experiment::vit::VitExperimentConfig;
use goldilocks_experiment::ExperimentConfig;

fn toml_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            toml_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "toml") {
            found.push(path);
        }
    }
}

#[test]
fn shipped_configs_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
    let mut files = Vec::new();
    toml_files(&root, &mut files);
    assert!(files.len() >= 4, "found only {files:?}");
    let mut names = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        if text.lines().any(|line| line.trim() == "kind = \"vit\"") {
            let config = VitExperimentConfig::load(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            config.validate().unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(!names.contains(&config.name), "two configs named {}", config.name);
            names.push(config.name);
            continue;
        }
        let config = ExperimentConfig::load(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(!names.contains(&config.name), "two configs named {}", config.name);
        names.push(config.name);
    }
}
