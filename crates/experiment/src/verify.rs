//! Verification of a results folder without running anything: every records file listed in
//! `runs/manifest.json` and every checkpoint listed in a `checkpoints/` manifest is read and
//! checked against its size and SHA-256; a records file that no manifest lists is reported
//! too (a rerun would recompute it).

use std::path::{Path, PathBuf};

use goldilocks_store::{
    Manifest, RecordsManifest, StoredFile, MANIFEST_FILE as CHECKPOINT_MANIFEST,
};

use crate::stored_unit::MANIFEST_FILE;
use crate::ExperimentError;

/// One checked file and what is wrong with it, if anything.
#[derive(Debug, Clone, PartialEq)]
pub struct FileCheck {
    /// The file.
    pub path: PathBuf,
    /// None when the file matches its manifest entry.
    pub problem: Option<String>,
}

/// Checks every stored file of the results folder `dir` against its manifest. The error is
/// for a folder that does not exist; everything wrong inside it is a [`FileCheck`].
pub fn verify_results_folder(dir: &Path) -> Result<Vec<FileCheck>, ExperimentError> {
    if !dir.is_dir() {
        return Err(ExperimentError::invalid(
            "experiment",
            format!("{} is not a results folder", dir.display()),
        ));
    }
    let mut checks = Vec::new();
    let runs = dir.join("runs");
    if runs.is_dir() {
        verify_records(&runs, &mut checks);
    }
    for store in checkpoint_stores(&dir.join("checkpoints")) {
        verify_checkpoints(&store, &mut checks);
    }
    Ok(checks)
}

fn verify_records(runs: &Path, checks: &mut Vec<FileCheck>) {
    let manifest_path = runs.join(MANIFEST_FILE);
    let manifest = match RecordsManifest::read(&manifest_path) {
        Ok(manifest) => manifest.unwrap_or_default(),
        Err(error) => {
            checks
                .push(FileCheck { path: manifest_path.clone(), problem: Some(error.to_string()) });
            RecordsManifest::default()
        }
    };
    for entry in &manifest.files {
        checks.push(check_file(runs, entry));
    }
    for path in files_ending(runs, ".jsonl") {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if manifest.get(&name).is_none() {
            let problem =
                format!("not listed in {}; a rerun recomputes it", manifest_path.display());
            checks.push(FileCheck { path, problem: Some(problem) });
        }
    }
}

fn verify_checkpoints(store: &Path, checks: &mut Vec<FileCheck>) {
    let manifest_path = store.join(CHECKPOINT_MANIFEST);
    match Manifest::read(&manifest_path) {
        Ok(Some(manifest)) => {
            for entry in &manifest.checkpoints {
                checks.push(check_file(store, &entry.stored));
            }
        }
        Ok(None) => {}
        Err(error) => {
            checks.push(FileCheck { path: manifest_path, problem: Some(error.to_string()) })
        }
    }
}

/// Checkpoint folders: `checkpoints/` itself when it holds a manifest (vit), or each of its
/// sub-folders that does (pretrain: one store per source).
fn checkpoint_stores(root: &Path) -> Vec<PathBuf> {
    if root.join(CHECKPOINT_MANIFEST).is_file() {
        return vec![root.to_path_buf()];
    }
    let mut stores: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join(CHECKPOINT_MANIFEST).is_file())
                .collect()
        })
        .unwrap_or_default();
    stores.sort();
    stores
}

fn check_file(dir: &Path, entry: &StoredFile) -> FileCheck {
    let path = dir.join(&entry.file);
    let problem = match std::fs::read(&path) {
        Ok(contents) => entry.check(&contents, None).err().map(|m| m.to_string()),
        Err(error) => Some(format!("cannot read it: {error}")),
    };
    FileCheck { path, problem }
}

fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_files_verify_and_edited_or_unlisted_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        std::fs::create_dir_all(&runs).unwrap();
        let mut manifest = RecordsManifest::default();
        for (name, text) in [("a.jsonl", "1\n"), ("b.jsonl", "2\n")] {
            std::fs::write(runs.join(name), text).unwrap();
            manifest.upsert(StoredFile::of(name, text.as_bytes(), "cfg"));
        }
        manifest.write(&runs.join(MANIFEST_FILE)).unwrap();
        let checks = verify_results_folder(dir.path()).unwrap();
        assert_eq!(checks.len(), 2);
        assert!(checks.iter().all(|c| c.problem.is_none()), "{checks:?}");

        std::fs::write(runs.join("b.jsonl"), "3\n").unwrap();
        std::fs::write(runs.join("c.jsonl"), "4\n").unwrap();
        let problems: Vec<(String, String)> = verify_results_folder(dir.path())
            .unwrap()
            .into_iter()
            .filter_map(|c| Some((c.path.display().to_string(), c.problem?)))
            .collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].0.ends_with("b.jsonl") && problems[0].1.contains("SHA-256"));
        assert!(problems[1].0.ends_with("c.jsonl") && problems[1].1.contains("not listed"));
        assert!(verify_results_folder(&dir.path().join("absent")).is_err());
    }
}
