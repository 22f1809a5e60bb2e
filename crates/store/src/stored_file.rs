//! [`StoredFile`]: a file as a manifest lists it — its name, size, SHA-256 and the hash of
//! the config that made it. The checkpoint manifest and the records manifest list their
//! files with these four fields, and a reader reuses a file only when
//! [`StoredFile::check`] passes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::sha256_hex;

/// One stored file as a manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// The file name, relative to the manifest's folder.
    pub file: String,
    /// The file's size in bytes.
    pub bytes: u64,
    /// The file's SHA-256, lowercase hex.
    pub sha256: String,
    /// The hash of the configuration that made it.
    pub config_hash: String,
}

/// How a file differs from its manifest entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileMismatch {
    /// The size differs (a cut-off or extended file).
    Size {
        /// Size in the manifest.
        expected: u64,
        /// Size found.
        actual: u64,
    },
    /// Same size, other content.
    Checksum {
        /// SHA-256 in the manifest.
        expected: String,
        /// SHA-256 found.
        actual: String,
    },
    /// The file was made by another configuration.
    Config {
        /// Config hash in the manifest.
        recorded: String,
        /// Config hash of the run that wants to reuse it.
        wanted: String,
    },
}

impl fmt::Display for FileMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Size { expected, actual } => {
                write!(f, "{actual} bytes, the manifest records {expected}")
            }
            Self::Checksum { expected, actual } => write!(
                f,
                "SHA-256 {}..., the manifest records {}...",
                short(actual),
                short(expected)
            ),
            Self::Config { recorded, wanted } => write!(
                f,
                "made by config {}..., this run's is {}...",
                short(recorded),
                short(wanted)
            ),
        }
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

impl StoredFile {
    /// The entry of `file` holding `contents`, made by config `config_hash`.
    pub fn of(file: &str, contents: &[u8], config_hash: &str) -> Self {
        Self {
            file: file.to_owned(),
            bytes: contents.len() as u64,
            sha256: sha256_hex(contents),
            config_hash: config_hash.to_owned(),
        }
    }

    /// Checks `contents` (the file as read) against the entry's size and SHA-256, and the
    /// entry's config hash against `config_hash` (None: any config).
    pub fn check(&self, contents: &[u8], config_hash: Option<&str>) -> Result<(), FileMismatch> {
        if contents.len() as u64 != self.bytes {
            return Err(FileMismatch::Size { expected: self.bytes, actual: contents.len() as u64 });
        }
        let actual = sha256_hex(contents);
        if actual != self.sha256 {
            return Err(FileMismatch::Checksum { expected: self.sha256.clone(), actual });
        }
        match config_hash {
            Some(wanted) if wanted != self.config_hash => Err(FileMismatch::Config {
                recorded: self.config_hash.clone(),
                wanted: wanted.to_owned(),
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_passes_its_own_entry_and_fails_on_any_change() {
        let entry = StoredFile::of("runs/a.jsonl", b"{\"x\":1}\n", "cfg");
        assert_eq!(entry.check(b"{\"x\":1}\n", Some("cfg")), Ok(()));
        assert_eq!(entry.check(b"{\"x\":1}\n", None), Ok(()));
        assert!(matches!(entry.check(b"{\"x\":2}\n", None), Err(FileMismatch::Checksum { .. })));
        assert!(matches!(entry.check(b"{\"x\":1}", None), Err(FileMismatch::Size { .. })));
        let other = entry.check(b"{\"x\":1}\n", Some("other")).unwrap_err();
        assert!(other.to_string().contains("another") || other.to_string().contains("config"));
    }
}
