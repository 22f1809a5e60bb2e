//! A plain-text table of a store's checkpoints, for a command that lists them.
//!
//! ```
//! use std::collections::BTreeMap;
//! use goldilocks_store::{CheckpointStore, NamedTensor};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut store = CheckpointStore::open(dir.path(), "h").unwrap();
//! let w = NamedTensor::new("w", vec![1], vec![0.5]).unwrap();
//! store.save(4, &[w], BTreeMap::from([("loss".to_string(), 0.25)]), "teacher").unwrap();
//! let table = store.listing(true);
//! assert!(table.contains("step-00000004.safetensors"));
//! assert!(table.contains("loss=0.25"));
//! assert!(table.contains("ok"));
//! ```

use std::fmt::Write as _;

use crate::{CheckpointStore, StoreError};

impl CheckpointStore {
    /// A table with one line per checkpoint: step, source, file, size, the start of the
    /// SHA-256, metrics, and, when `verify` is set, the file's state (`ok`, `missing`,
    /// `truncated`, `corrupted`, or `unreadable`; this reads every file).
    pub fn listing(&self, verify: bool) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "# {} (config hash {}): {} checkpoints",
            self.dir().display(),
            self.config_hash(),
            self.list().len()
        );
        let status_header = if verify { "  status" } else { "" };
        let _ = writeln!(
            out,
            "{:>10}  {:<16}  {:<28}  {:>10}  {:<12}{}  metrics",
            "step", "source", "file", "bytes", "sha256", status_header
        );
        for entry in self.list() {
            let status = if verify {
                let state = match self.verify(entry.step) {
                    Ok(()) => "ok",
                    Err(StoreError::MissingFile { .. }) => "missing",
                    Err(StoreError::SizeMismatch { .. }) => "truncated",
                    Err(StoreError::ChecksumMismatch { .. }) => "corrupted",
                    Err(_) => "unreadable",
                };
                format!("  {state:<9}")
            } else {
                String::new()
            };
            let metrics: Vec<String> =
                entry.metrics.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(
                out,
                "{:>10}  {:<16}  {:<28}  {:>10}  {:<12}{}  {}",
                entry.step,
                entry.source,
                entry.stored.file,
                entry.stored.bytes,
                entry.stored.sha256.get(..12).unwrap_or(&entry.stored.sha256),
                status,
                metrics.join(" ")
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::{CheckpointStore, NamedTensor};

    #[test]
    fn marks_damaged_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = CheckpointStore::open(dir.path(), "h").unwrap();
        for step in [1, 2, 3] {
            let w = NamedTensor::new("w", vec![2], vec![1.0, step as f32]).unwrap();
            store.save(step, &[w], BTreeMap::new(), "src").unwrap();
        }
        std::fs::remove_file(store.path_of(1).unwrap()).unwrap();
        std::fs::write(store.path_of(2).unwrap(), b"short").unwrap();
        let table = store.listing(true);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        assert!(lines[2].contains("missing"), "{table}");
        assert!(lines[3].contains("truncated"), "{table}");
        assert!(lines[4].contains(" ok "), "{table}");
        assert!(!store.listing(false).contains("status"));
    }
}
