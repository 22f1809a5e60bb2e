//! The checkpoint store: one folder of safetensors files plus a manifest, tied to one
//! configuration hash.
//!
//! Every write is atomic (the file first, then the manifest), and every read is checked
//! against the manifest's size and SHA-256, so a crash or a damaged disk shows up as a
//! typed error naming the file ([`StoreError::is_corruption`]) that the caller reports and
//! recomputes, never as silently wrong weights.
//!
//! ```
//! use std::collections::BTreeMap;
//! use goldilocks_store::{CheckpointStore, NamedTensor, RetentionPolicy};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut store = CheckpointStore::open(dir.path(), "config-hash-1").unwrap();
//! for step in [0, 1, 2, 4] {
//!     let w = NamedTensor::new("w", vec![2], vec![step as f32, 1.0]).unwrap();
//!     let metrics = BTreeMap::from([("loss".to_string(), 1.0 / (step as f64 + 1.0))]);
//!     store.save(step, &[w], metrics, "teacher").unwrap();
//! }
//! let checkpoint = store.load(4).unwrap();
//! assert_eq!(checkpoint.tensors[0].data, vec![4.0, 1.0]);
//! let deleted = store.apply_retention(&RetentionPolicy::KeepLast { n: 2 }).unwrap();
//! assert_eq!(deleted, vec![0, 1]);
//! assert_eq!(store.steps(), vec![2, 4]);
//! // Another configuration may not reuse this folder.
//! assert!(CheckpointStore::open(dir.path(), "config-hash-2").is_err());
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::safetensors_file::{decode_safetensors, encode_safetensors};
use crate::{
    write_atomic, CheckpointEntry, FileMismatch, Manifest, NamedTensor, RetentionPolicy,
    StoreError, StoredFile,
};

/// The manifest's file name inside a store's folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// A checkpoint read back from the store, verified against the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Its manifest entry (step, source, metrics, file, checksum).
    pub entry: CheckpointEntry,
    /// Its tensors, sorted by name.
    pub tensors: Vec<NamedTensor>,
}

impl Checkpoint {
    /// The tensor named `name`, if any.
    pub fn tensor(&self, name: &str) -> Option<&NamedTensor> {
        self.tensors.iter().find(|t| t.name == name)
    }
}

/// A folder of checkpoints with its manifest, for one configuration hash.
///
/// One process writes to a store at a time; readers may open it concurrently and always see
/// a consistent manifest.
#[derive(Debug, Clone)]
pub struct CheckpointStore {
    dir: PathBuf,
    manifest: Manifest,
}

impl CheckpointStore {
    /// Opens the store in `dir` for `config_hash`, creating the folder and an empty manifest
    /// if needed.
    ///
    /// # Errors
    /// [`StoreError::ConfigMismatch`] when the folder's manifest was written for another
    /// config hash; [`StoreError::Json`] when the manifest is unreadable; I/O errors.
    pub fn open(dir: impl AsRef<Path>, config_hash: &str) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        let path = dir.join(MANIFEST_FILE);
        let manifest = match Manifest::read(&path)? {
            Some(manifest) => {
                let foreign = std::iter::once(&manifest.config_hash)
                    .chain(manifest.checkpoints.iter().map(|e| &e.stored.config_hash))
                    .find(|hash| *hash != config_hash);
                if let Some(found) = foreign {
                    return Err(StoreError::ConfigMismatch {
                        manifest: path,
                        expected: config_hash.to_owned(),
                        found: found.clone(),
                    });
                }
                manifest
            }
            None => {
                let manifest = Manifest::new(config_hash);
                manifest.write(&path)?;
                manifest
            }
        };
        Ok(Self { dir, manifest })
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The config hash the store belongs to.
    pub fn config_hash(&self) -> &str {
        &self.manifest.config_hash
    }

    /// The manifest's path.
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join(MANIFEST_FILE)
    }

    /// The manifest as last written.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The file name used for `step`: `step-00000042.safetensors` (at least 8 digits).
    pub fn file_name(step: usize) -> String {
        format!("step-{step:08}.safetensors")
    }

    /// The checkpoints, sorted by step.
    pub fn list(&self) -> &[CheckpointEntry] {
        &self.manifest.checkpoints
    }

    /// The steps that have a checkpoint, ascending.
    pub fn steps(&self) -> Vec<usize> {
        self.manifest.checkpoints.iter().map(|e| e.step).collect()
    }

    /// The manifest entry for `step`, if any (the file is not checked; see [`verify`](Self::verify)).
    pub fn get(&self, step: usize) -> Option<&CheckpointEntry> {
        self.manifest.get(step)
    }

    /// The path of the file recorded for `step`, if any.
    pub fn path_of(&self, step: usize) -> Option<PathBuf> {
        self.get(step).map(|e| self.dir.join(&e.stored.file))
    }

    /// Saves a checkpoint for `step`, replacing any earlier one for that step: writes the
    /// safetensors file atomically, then the manifest. Returns the new manifest entry.
    ///
    /// The file's `__metadata__` holds `step`, `source` and `config_hash`, for readers in
    /// other languages. Metrics may be non-finite.
    pub fn save(
        &mut self,
        step: usize,
        tensors: &[NamedTensor],
        metrics: BTreeMap<String, f64>,
        source: &str,
    ) -> Result<CheckpointEntry, StoreError> {
        let config_hash = self.manifest.config_hash.clone();
        let metadata = BTreeMap::from([
            ("step".to_string(), step.to_string()),
            ("source".to_string(), source.to_owned()),
            ("config_hash".to_string(), config_hash.clone()),
        ]);
        let bytes = encode_safetensors(tensors, &metadata)?;
        let file = Self::file_name(step);
        write_atomic(&self.dir.join(&file), &bytes)?;
        let entry = CheckpointEntry {
            step,
            source: source.to_owned(),
            metrics,
            stored: StoredFile::of(&file, &bytes, &config_hash),
        };
        let mut manifest = self.manifest.clone();
        manifest.upsert(entry.clone());
        manifest.write(&self.manifest_path())?;
        self.manifest = manifest;
        Ok(entry)
    }

    /// Loads the checkpoint for `step`, verifying its size and SHA-256 against the manifest.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the manifest has no such step; a corruption error
    /// ([`StoreError::is_corruption`]: missing, truncated, altered or unreadable file),
    /// naming the file, when the caller should recompute it; I/O errors.
    pub fn load(&self, step: usize) -> Result<Checkpoint, StoreError> {
        let (entry, path, bytes) = self.read_verified(step)?;
        let contents = decode_safetensors(&bytes, &path)?;
        Ok(Checkpoint { entry: entry.clone(), tensors: contents.tensors })
    }

    /// Checks that the file for `step` exists and matches the manifest's size and SHA-256.
    pub fn verify(&self, step: usize) -> Result<(), StoreError> {
        self.read_verified(step).map(|_| ())
    }

    /// Verifies every checkpoint, returning the steps whose files fail, with the reason.
    /// An empty list means every file is intact.
    pub fn verify_all(&self) -> Vec<(usize, StoreError)> {
        self.steps()
            .into_iter()
            .filter_map(|step| self.verify(step).err().map(|e| (step, e)))
            .collect()
    }

    /// Removes the checkpoint for `step` (manifest entry first, then the file). Returns
    /// whether there was one.
    pub fn remove(&mut self, step: usize) -> Result<bool, StoreError> {
        Ok(!self.remove_steps(&[step])?.is_empty())
    }

    /// Applies a retention policy: validates it, decides with
    /// [`RetentionPolicy::decide`], then removes the checkpoints it drops (manifest first, so
    /// a crash leaves at worst an unlisted file). Returns the deleted steps, ascending.
    pub fn apply_retention(&mut self, policy: &RetentionPolicy) -> Result<Vec<usize>, StoreError> {
        policy.validate()?;
        let decision = policy.decide(self.list());
        self.remove_steps(&decision.delete)
    }

    /// Removes the listed steps that exist; returns them.
    fn remove_steps(&mut self, steps: &[usize]) -> Result<Vec<usize>, StoreError> {
        let mut manifest = self.manifest.clone();
        let removed: Vec<CheckpointEntry> =
            steps.iter().filter_map(|&s| manifest.remove(s)).collect();
        if removed.is_empty() {
            return Ok(Vec::new());
        }
        manifest.write(&self.manifest_path())?;
        self.manifest = manifest;
        for entry in &removed {
            let path = self.dir.join(&entry.stored.file);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io("remove", &path)(e)),
            }
        }
        Ok(removed.into_iter().map(|e| e.step).collect())
    }

    /// Reads the file for `step` and checks it against the manifest.
    fn read_verified(
        &self,
        step: usize,
    ) -> Result<(&CheckpointEntry, PathBuf, Vec<u8>), StoreError> {
        let entry =
            self.get(step).ok_or_else(|| StoreError::NotFound { step, dir: self.dir.clone() })?;
        let path = self.dir.join(&entry.stored.file);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::MissingFile { step, path })
            }
            Err(e) => return Err(StoreError::io("read", &path)(e)),
        };
        match entry.stored.check(&bytes, None) {
            Ok(()) => Ok((entry, path, bytes)),
            Err(FileMismatch::Size { expected, actual }) => {
                Err(StoreError::SizeMismatch { step, path, expected, actual })
            }
            Err(FileMismatch::Checksum { expected, actual }) => {
                Err(StoreError::ChecksumMismatch { step, path, expected, actual })
            }
            Err(FileMismatch::Config { .. }) => unreachable!("no config hash was asked for"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::Goal;

    fn weights(step: usize) -> Vec<NamedTensor> {
        let s = step as f32;
        vec![
            NamedTensor::new("student.w", vec![2, 3], vec![s, 1.0, -2.0, 0.5, 1e-7, 3.25]).unwrap(),
            NamedTensor::new("student.a", vec![3], vec![0.1 * s, 0.2, 0.3]).unwrap(),
        ]
    }

    fn metrics(loss: f64) -> BTreeMap<String, f64> {
        BTreeMap::from([("loss".to_string(), loss), ("overlap".to_string(), 1.0 - loss)])
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn round_trip_through_a_reopened_store() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = CheckpointStore::open(dir.path(), "h1").unwrap();
        let entry = store.save(8, &weights(8), metrics(0.25), "rotated(rho=0.5)").unwrap();
        assert_eq!(entry.stored.file, "step-00000008.safetensors");
        assert_eq!(
            entry.stored.sha256,
            crate::file_sha256(&dir.path().join(&entry.stored.file)).unwrap()
        );
        store.save(0, &weights(0), metrics(1.0), "rotated(rho=0.5)").unwrap();

        let reopened = CheckpointStore::open(dir.path(), "h1").unwrap();
        assert_eq!(reopened.steps(), vec![0, 8]);
        let checkpoint = reopened.load(8).unwrap();
        assert_eq!(checkpoint.entry, entry);
        assert_eq!(checkpoint.entry.source, "rotated(rho=0.5)");
        assert_eq!(checkpoint.entry.metrics, metrics(0.25));
        let mut expected = weights(8);
        expected.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(checkpoint.tensors, expected);
        assert_eq!(checkpoint.tensor("student.w").unwrap().shape, vec![2, 3]);
        assert!(reopened.verify_all().is_empty());
        assert_eq!(
            files_in(dir.path()),
            vec!["manifest.json", "step-00000000.safetensors", "step-00000008.safetensors"],
            "no temporary files left behind"
        );
    }

    #[test]
    fn saving_a_step_again_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = CheckpointStore::open(dir.path(), "h").unwrap();
        store.save(3, &weights(3), metrics(0.5), "a").unwrap();
        store.save(3, &weights(4), metrics(0.1), "b").unwrap();
        assert_eq!(store.list().len(), 1);
        let checkpoint = store.load(3).unwrap();
        assert_eq!(checkpoint.entry.source, "b");
        assert_eq!(checkpoint.tensor("student.w").unwrap().data[0], 4.0);
    }

    #[test]
    fn another_config_hash_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = CheckpointStore::open(dir.path(), "h1").unwrap();
        store.save(1, &weights(1), metrics(0.5), "a").unwrap();
        let err = CheckpointStore::open(dir.path(), "h2").unwrap_err();
        assert!(matches!(err, StoreError::ConfigMismatch { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("manifest.json") && message.contains("h1") && message.contains("h2"),
            "{message}"
        );
        // The refused open changed nothing.
        assert_eq!(CheckpointStore::open(dir.path(), "h1").unwrap().steps(), vec![1]);
    }

    #[test]
    fn a_flipped_byte_is_detected_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = CheckpointStore::open(dir.path(), "h").unwrap();
        store.save(5, &weights(5), metrics(0.5), "a").unwrap();
        let path = store.path_of(5).unwrap();
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        fs::write(&path, &bytes).unwrap();

        let err = store.load(5).unwrap_err();
        assert!(matches!(err, StoreError::ChecksumMismatch { step: 5, .. }), "{err}");
        assert!(err.is_corruption());
        assert!(err.to_string().contains("step-00000005.safetensors"), "{err}");
        let problems = store.verify_all();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, 5);

        // Recomputing overwrites the damaged file.
        store.save(5, &weights(5), metrics(0.5), "a").unwrap();
        assert!(store.load(5).is_ok());
    }

    #[test]
    fn a_truncated_file_is_detected_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = CheckpointStore::open(dir.path(), "h").unwrap();
        store.save(7, &weights(7), metrics(0.5), "a").unwrap();
        let path = store.path_of(7).unwrap();
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let err = store.load(7).unwrap_err();
        assert!(matches!(err, StoreError::SizeMismatch { step: 7, .. }), "{err}");
        assert!(err.is_corruption());
        assert!(err.to_string().contains("step-00000007.safetensors"), "{err}");
    }

    #[test]
    fn a_missing_file_is_detected_and_unknown_steps_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = CheckpointStore::open(dir.path(), "h").unwrap();
        store.save(2, &weights(2), metrics(0.5), "a").unwrap();
        fs::remove_file(store.path_of(2).unwrap()).unwrap();
        let err = store.load(2).unwrap_err();
        assert!(
            matches!(err, StoreError::MissingFile { step: 2, .. }) && err.is_corruption(),
            "{err}"
        );
        let err = store.load(3).unwrap_err();
        assert!(
            matches!(err, StoreError::NotFound { step: 3, .. }) && !err.is_corruption(),
            "{err}"
        );
    }

    #[test]
    fn a_failed_save_keeps_the_old_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = CheckpointStore::open(dir.path(), "h").unwrap();
        store.save(1, &weights(1), metrics(0.5), "a").unwrap();
        let bad = vec![NamedTensor { name: "w".into(), shape: vec![4], data: vec![1.0] }];
        assert!(store.save(1, &bad, metrics(0.1), "b").is_err());
        assert_eq!(store.load(1).unwrap().entry.source, "a");
        // A manifest that cannot be written (its path is taken by a folder) fails the save
        // without changing the store in memory.
        let manifest = store.manifest_path();
        fs::remove_file(&manifest).unwrap();
        fs::create_dir(&manifest).unwrap();
        fs::write(manifest.join("blocker"), b"x").unwrap();
        assert!(store.save(2, &weights(2), metrics(0.1), "b").is_err());
        assert_eq!(store.steps(), vec![1]);
        assert!(files_in(dir.path()).iter().all(|n| !n.contains(".tmp-")));
    }

    #[test]
    fn retention_deletes_files_and_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = CheckpointStore::open(dir.path(), "h").unwrap();
        for (step, loss) in [(0, 1.0), (1, 0.2), (2, 0.6), (4, 0.1), (8, 0.4)] {
            store.save(step, &weights(step), metrics(loss), "a").unwrap();
        }
        let policy = RetentionPolicy::Union {
            of: vec![
                RetentionPolicy::KeepLast { n: 1 },
                RetentionPolicy::KeepBest { n: 2, metric: "loss".into(), goal: Goal::Min },
            ],
        };
        assert_eq!(store.apply_retention(&policy).unwrap(), vec![0, 2]);
        assert_eq!(store.steps(), vec![1, 4, 8]);
        assert_eq!(
            files_in(dir.path()),
            vec![
                "manifest.json",
                "step-00000001.safetensors",
                "step-00000004.safetensors",
                "step-00000008.safetensors"
            ]
        );
        assert_eq!(CheckpointStore::open(dir.path(), "h").unwrap().steps(), vec![1, 4, 8]);
        assert!(store.apply_retention(&RetentionPolicy::KeepAll).unwrap().is_empty());
        assert!(store.apply_retention(&RetentionPolicy::KeepLast { n: 0 }).is_err());
        assert!(store.remove(4).unwrap());
        assert!(!store.remove(4).unwrap());
        assert_eq!(store.steps(), vec![1, 8]);
    }

    #[test]
    fn metadata_is_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = CheckpointStore::open(dir.path(), "h").unwrap();
        store.save(16, &weights(16), metrics(0.5), "squared").unwrap();
        let contents = crate::read_safetensors(&store.path_of(16).unwrap()).unwrap();
        assert_eq!(contents.metadata["step"], "16");
        assert_eq!(contents.metadata["source"], "squared");
        assert_eq!(contents.metadata["config_hash"], "h");
    }
}
