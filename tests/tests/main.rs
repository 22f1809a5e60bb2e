//! The workspace's end-to-end tests, one module per concern, compiled as one test binary.

mod bad_input;
mod config_reference;
mod configs;
mod end_to_end;
mod pretrain;
mod readers;
mod scaling;
mod tidy;

/// Every config file shipped in configs/, sorted.
fn shipped_config_files() -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "toml") {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs"), &mut files);
    files.sort();
    files
}
