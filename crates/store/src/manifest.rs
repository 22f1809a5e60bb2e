//! The manifest of a checkpoint folder: one JSON file (`manifest.json`, written atomically)
//! recording the config hash and, per checkpoint, its step, source task and metrics, and its
//! file as a [`StoredFile`] (name, size, SHA-256, config hash).
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "config_hash": "3f2a...",
//!   "checkpoints": [
//!     { "step": 64, "source": "teacher", "config_hash": "3f2a...",
//!       "metrics": { "loss": 0.41, "overlap": 0.73 },
//!       "file": "step-00000064.safetensors", "bytes": 4232, "sha256": "9c1e..." }
//!   ]
//! }
//! ```
//!
//! Metrics that are not finite (a diverged loss) are written as the strings `"NaN"`,
//! `"inf"` and `"-inf"`, since JSON has no such numbers, and read back as such.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::json_file::{read_json, write_json};
use crate::{StoreError, StoredFile};

/// The manifest format this crate writes.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;

/// The manifest of a checkpoint folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest format; [`MANIFEST_FORMAT_VERSION`] when written by this crate.
    pub format_version: u32,
    /// The hash of the configuration all checkpoints in the folder come from.
    pub config_hash: String,
    /// The checkpoints, sorted by step, one per step.
    pub checkpoints: Vec<CheckpointEntry>,
}

/// One checkpoint as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointEntry {
    /// The training step (0 = before training).
    pub step: usize,
    /// The source task it was trained on (free-form, e.g. `rotated(rho=0.5)`).
    pub source: String,
    /// Metrics at this step (loss, overlap, norm, ...).
    #[serde(with = "metric_map")]
    pub metrics: BTreeMap<String, f64>,
    /// The file (relative to the store's folder), its size, SHA-256 and config hash.
    #[serde(flatten)]
    pub stored: StoredFile,
}

impl Manifest {
    /// An empty manifest for `config_hash`.
    pub fn new(config_hash: &str) -> Self {
        Self {
            format_version: MANIFEST_FORMAT_VERSION,
            config_hash: config_hash.to_owned(),
            checkpoints: Vec::new(),
        }
    }

    /// Reads a manifest; `Ok(None)` when the file does not exist.
    pub fn read(path: &Path) -> Result<Option<Self>, StoreError> {
        let Some(mut manifest) = read_json::<Self>(path)? else { return Ok(None) };
        manifest.checkpoints.sort_by_key(|e| e.step);
        Ok(Some(manifest))
    }

    /// Writes the manifest atomically, as pretty-printed JSON.
    pub fn write(&self, path: &Path) -> Result<(), StoreError> {
        write_json(path, self)
    }

    /// The entry for `step`, if any.
    pub fn get(&self, step: usize) -> Option<&CheckpointEntry> {
        self.checkpoints.binary_search_by_key(&step, |e| e.step).ok().map(|i| &self.checkpoints[i])
    }

    /// Adds an entry, replacing any for the same step, keeping the list sorted.
    pub fn upsert(&mut self, entry: CheckpointEntry) {
        match self.checkpoints.binary_search_by_key(&entry.step, |e| e.step) {
            Ok(i) => self.checkpoints[i] = entry,
            Err(i) => self.checkpoints.insert(i, entry),
        }
    }

    /// Removes and returns the entry for `step`, if any.
    pub fn remove(&mut self, step: usize) -> Option<CheckpointEntry> {
        let i = self.checkpoints.binary_search_by_key(&step, |e| e.step).ok()?;
        Some(self.checkpoints.remove(i))
    }
}

/// Serde for metric maps that keeps non-finite values (as strings).
mod metric_map {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Metric {
        Number(f64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(map: &BTreeMap<String, f64>, s: S) -> Result<S::Ok, S::Error> {
        let encoded: BTreeMap<&str, Metric> = map
            .iter()
            .map(|(k, &v)| {
                let m = if v.is_finite() {
                    Metric::Number(v)
                } else if v.is_nan() {
                    Metric::Text("NaN".into())
                } else if v > 0.0 {
                    Metric::Text("inf".into())
                } else {
                    Metric::Text("-inf".into())
                };
                (k.as_str(), m)
            })
            .collect();
        encoded.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
        let encoded = BTreeMap::<String, Metric>::deserialize(d)?;
        encoded
            .into_iter()
            .map(|(k, m)| {
                let v = match m {
                    Metric::Number(v) => v,
                    Metric::Text(t) => match t.as_str() {
                        "NaN" | "nan" => f64::NAN,
                        "inf" | "Infinity" => f64::INFINITY,
                        "-inf" | "-Infinity" => f64::NEG_INFINITY,
                        other => {
                            return Err(serde::de::Error::custom(format!(
                                "metric {k}: expected a number, NaN, inf or -inf, got {other:?}"
                            )))
                        }
                    },
                };
                Ok((k, v))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(step: usize, loss: f64) -> CheckpointEntry {
        CheckpointEntry {
            step,
            source: "teacher".into(),
            metrics: BTreeMap::from([("loss".into(), loss)]),
            stored: StoredFile {
                file: format!("step-{step:08}.safetensors"),
                bytes: 10,
                sha256: "00".into(),
                config_hash: "abc".into(),
            },
        }
    }

    #[test]
    fn upsert_keeps_sorted_and_unique() {
        let mut m = Manifest::new("abc");
        m.upsert(entry(10, 1.0));
        m.upsert(entry(2, 1.0));
        m.upsert(entry(10, 0.5));
        assert_eq!(m.checkpoints.iter().map(|e| e.step).collect::<Vec<_>>(), vec![2, 10]);
        assert_eq!(m.get(10).unwrap().metrics["loss"], 0.5);
        assert!(m.remove(2).is_some());
        assert!(m.remove(2).is_none());
        assert!(m.get(2).is_none());
    }

    #[test]
    fn round_trip_keeps_non_finite_metrics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        let mut m = Manifest::new("abc");
        m.upsert(entry(1, f64::NAN));
        m.upsert(entry(2, f64::INFINITY));
        m.upsert(entry(3, f64::NEG_INFINITY));
        m.upsert(entry(4, 0.25));
        m.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""loss": "NaN""#), "{text}");
        let back = Manifest::read(&path).unwrap().unwrap();
        assert!(back.get(1).unwrap().metrics["loss"].is_nan());
        assert_eq!(back.get(2).unwrap().metrics["loss"], f64::INFINITY);
        assert_eq!(back.get(3).unwrap().metrics["loss"], f64::NEG_INFINITY);
        assert_eq!(back.get(4).unwrap(), &entry(4, 0.25));
    }

    #[test]
    fn missing_is_none_and_garbage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        assert!(Manifest::read(&path).unwrap().is_none());
        std::fs::write(&path, b"{ not json").unwrap();
        let err = Manifest::read(&path).unwrap_err();
        assert!(err.to_string().contains("manifest.json"), "{err}");
    }
}
