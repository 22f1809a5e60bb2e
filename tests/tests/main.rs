//! The workspace's end-to-end tests, one module per concern, compiled as one test binary.

mod bad_input;
mod config_reference;
mod configs;
mod end_to_end;
mod png_copies;
mod pretrain;
mod readers;
mod scaling;
mod tidy;

/// Every config file shipped in configs/, sorted.
fn shipped_config_files() -> Vec<std::path::PathBuf> {
    files_under(&workspace_path("configs"), "toml")
}

/// A path inside the workspace, from its path relative to the root.
fn workspace_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative)
}

/// Every file under `dir` (recursively) whose name ends in `.<extension>`, sorted.
fn files_under(dir: &std::path::Path, extension: &str) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, extension: &str, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, extension, found);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, extension, &mut files);
    files.sort();
    files
}
