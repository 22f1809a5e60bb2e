//! The crash-safe file store: atomic writes, checksums, and the checkpoint store.
//!
//! - [`write_atomic`]: write a file so that a crash leaves the old or the new content,
//!   never a partial file; [`remove_stale_temp_files`] cleans up after a crash.
//! - [`sha256_hex`], [`file_sha256`]: checksums.
//! - [`NamedTensor`], [`write_safetensors`], [`read_safetensors`]: f32 tensors in
//!   safetensors files that Python's `safetensors` package reads.
//! - [`CheckpointStore`]: a folder of checkpoints with a [`Manifest`] (step, source task,
//!   config hash, metrics, file, SHA-256 per checkpoint), verified loads, and
//!   [`RetentionPolicy`] decisions kept apart from the file I/O.
//! - [`RecordsManifest`]: the manifest of a folder of records files. Both manifests list
//!   their files as [`StoredFile`]s (name, size, SHA-256, config hash), and a file is reused
//!   only when [`StoredFile::check`] passes.
//!
//! ```
//! use std::collections::BTreeMap;
//! use goldilocks_store::{CheckpointStore, NamedTensor};
//!
//! let dir = std::env::temp_dir().join(format!("goldilocks-store-doc-{}", std::process::id()));
//! let mut store = CheckpointStore::open(&dir, "config-hash").unwrap();
//! let w = NamedTensor::new("w", vec![2, 2], vec![1.0, -2.0, 0.5, 4.0]).unwrap();
//! let metrics = BTreeMap::from([("loss".to_string(), 0.25)]);
//! store.save(64, &[w.clone()], metrics, "teacher").unwrap();
//!
//! // Reopening the folder finds the checkpoint; the load checks its SHA-256.
//! let reopened = CheckpointStore::open(&dir, "config-hash").unwrap();
//! assert_eq!(reopened.steps(), vec![64]);
//! let checkpoint = reopened.load(64).unwrap();
//! assert_eq!(checkpoint.tensor("w"), Some(&w));
//! assert_eq!(checkpoint.entry.metrics["loss"], 0.25);
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! Reading a checkpoint from Python:
//!
//! ```python
//! from safetensors.numpy import load_file
//! tensors = load_file("checkpoints/step-00000064.safetensors")  # {name: np.ndarray (f32)}
//! ```

#![warn(missing_docs)]

mod atomic;
mod checkpoint;
mod error;
mod hash;
mod json_file;
mod listing;
mod manifest;
mod records_manifest;
mod retention;
mod safetensors_file;
mod stored_file;
mod tensor;

pub use atomic::{remove_stale_temp_files, write_atomic};
pub use checkpoint::{Checkpoint, CheckpointStore, MANIFEST_FILE};
pub use error::StoreError;
pub use hash::{file_sha256, sha256_hex};
pub use manifest::{CheckpointEntry, Manifest, MANIFEST_FORMAT_VERSION};
pub use records_manifest::RecordsManifest;
pub use retention::{Goal, RetentionDecision, RetentionPolicy};
pub use safetensors_file::{
    decode_safetensors, encode_safetensors, read_safetensors, write_safetensors,
    SafetensorsContents,
};
pub use stored_file::{FileMismatch, StoredFile};
pub use tensor::NamedTensor;
