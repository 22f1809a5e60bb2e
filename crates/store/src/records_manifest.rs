//! The manifest of a folder of records files (`runs/manifest.json`, written atomically):
//! every stored unit of an experiment, listed as a [`StoredFile`] (name, size, SHA-256,
//! config hash), the same four fields the checkpoint manifest records per checkpoint.
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "files": [
//!     { "file": "relu-r1-random-start-3f2a9c1e.jsonl", "bytes": 48211,
//!       "sha256": "9c1e...", "config_hash": "3f2a..." }
//!   ]
//! }
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::json_file::{read_json, write_json};
use crate::{StoreError, StoredFile, MANIFEST_FORMAT_VERSION};

/// The manifest of a records folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordsManifest {
    /// The manifest format; [`MANIFEST_FORMAT_VERSION`] when written by this crate.
    pub format_version: u32,
    /// The files, sorted by name, one entry per name.
    pub files: Vec<StoredFile>,
}

impl Default for RecordsManifest {
    fn default() -> Self {
        Self { format_version: MANIFEST_FORMAT_VERSION, files: Vec::new() }
    }
}

impl RecordsManifest {
    /// Reads a manifest; `Ok(None)` when the file does not exist.
    pub fn read(path: &Path) -> Result<Option<Self>, StoreError> {
        let Some(mut manifest) = read_json::<Self>(path)? else { return Ok(None) };
        manifest.files.sort_by(|a, b| a.file.cmp(&b.file));
        manifest.files.dedup_by(|a, b| a.file == b.file);
        Ok(Some(manifest))
    }

    /// Writes the manifest atomically, as pretty-printed JSON.
    pub fn write(&self, path: &Path) -> Result<(), StoreError> {
        write_json(path, self)
    }

    /// The entry of `file`, if listed.
    pub fn get(&self, file: &str) -> Option<&StoredFile> {
        self.files.binary_search_by(|e| e.file.as_str().cmp(file)).ok().map(|i| &self.files[i])
    }

    /// Adds an entry, replacing any for the same file, keeping the list sorted.
    pub fn upsert(&mut self, entry: StoredFile) {
        match self.files.binary_search_by(|e| e.file.cmp(&entry.file)) {
            Ok(i) => self.files[i] = entry,
            Err(i) => self.files.insert(i, entry),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_sorted_and_replaces_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        assert_eq!(RecordsManifest::read(&path).unwrap(), None);
        let mut manifest = RecordsManifest::default();
        manifest.upsert(StoredFile::of("b.jsonl", b"2", "c"));
        manifest.upsert(StoredFile::of("a.jsonl", b"1", "c"));
        manifest.upsert(StoredFile::of("b.jsonl", b"22", "c"));
        manifest.write(&path).unwrap();
        let read = RecordsManifest::read(&path).unwrap().unwrap();
        assert_eq!(read, manifest);
        let names: Vec<&str> = read.files.iter().map(|e| e.file.as_str()).collect();
        assert_eq!(names, ["a.jsonl", "b.jsonl"]);
        assert_eq!(read.get("b.jsonl").unwrap().bytes, 2);
        assert!(read.get("c.jsonl").is_none());
    }

    #[test]
    fn a_garbled_manifest_is_a_typed_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        std::fs::write(&path, b"{\"format_version\": 1, \"files\": [{\"file\": 3}]}").unwrap();
        let error = RecordsManifest::read(&path).unwrap_err();
        assert!(error.to_string().contains("manifest.json"), "{error}");
    }
}
