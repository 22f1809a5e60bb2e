//! Resume or compute: a unit of work (an ensemble, a fine-tuning method from every
//! checkpoint, a checkpoint's runs) stores its records in one JSON-lines file, listed with
//! its size, SHA-256 and config hash in the folder's [`RecordsManifest`]
//! (`runs/manifest.json`). A rerun reuses the file only when it matches its manifest entry
//! and the unit's config hash, parses, and is complete; anything else is named in a warning
//! and recomputed, showing progress, and stored atomically. Every kind goes through
//! [`reuse_or_compute`].

use std::path::{Path, PathBuf};

use goldilocks_store::{RecordsManifest, StoredFile};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::interrupt::check_interrupt;
use crate::progress::EnsembleBar;
use crate::results_folder::write;
use crate::ExperimentError;

/// One unit of a plan and the file that holds its records.
#[derive(Debug, Clone)]
pub(crate) struct StoredUnit {
    /// Position in the plan (0-based) and the plan's length, for progress lines.
    pub index: usize,
    /// Number of units in the plan.
    pub count: usize,
    /// What the unit is, in progress lines.
    pub label: String,
    /// The records file.
    pub path: PathBuf,
    /// Hash of everything that determines the unit's records.
    pub config_hash: String,
    /// Records the unit holds when complete.
    pub records: usize,
    /// The step budget shown by the progress bar.
    pub budget: usize,
}

/// How stored units are treated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reuse {
    /// Reuse complete stored records (false: recompute every unit).
    pub stored: bool,
    /// Show progress on stderr.
    pub show_progress: bool,
}

/// A unit's records, and whether they were reused.
pub(crate) struct UnitRecords<T> {
    /// The records, in the order they were computed.
    pub records: Vec<T>,
    /// Whether they came from the stored file.
    pub reused: bool,
}

/// The unit's stored records when `reuse.stored`, the file is complete and every record
/// `belongs` (which otherwise says why not); otherwise `compute` runs with a progress bar (it
/// returns the records and a one-line account for the bar), and its records are stored
/// atomically.
pub(crate) fn reuse_or_compute<T, F>(
    unit: &StoredUnit,
    reuse: Reuse,
    belongs: impl Fn(&T) -> Result<(), String>,
    compute: F,
) -> Result<UnitRecords<T>, ExperimentError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(&mut EnsembleBar) -> Result<(Vec<T>, String), ExperimentError>,
{
    if reuse.stored {
        if let Some(records) = load_stored(unit, belongs) {
            if reuse.show_progress {
                eprintln!(
                    "[{}/{}] {}: reusing {} stored runs",
                    unit.index + 1,
                    unit.count,
                    unit.label,
                    records.len()
                );
            }
            return Ok(UnitRecords { records, reused: true });
        }
    }
    check_interrupt()?;
    let mut bar = EnsembleBar::new(
        reuse.show_progress,
        unit.index,
        unit.count,
        &unit.label,
        unit.records,
        unit.budget,
    );
    let (records, account) = compute(&mut bar)?;
    bar.finish(&account);
    store_records(unit, &records)?;
    Ok(UnitRecords { records, reused: false })
}

/// The manifest beside a records file.
pub fn manifest_path(records_file: &Path) -> PathBuf {
    records_file.with_file_name(MANIFEST_FILE)
}

/// The file name of the records manifest in a folder of records files.
pub const MANIFEST_FILE: &str = "manifest.json";

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Lists the unit's freshly written file in the manifest (replacing any older entry).
fn list_in_manifest(unit: &StoredUnit, contents: &[u8]) -> Result<(), ExperimentError> {
    let path = manifest_path(&unit.path);
    // An unreadable manifest only costs recomputation of the units it listed.
    let mut manifest = RecordsManifest::read(&path).ok().flatten().unwrap_or_default();
    manifest.upsert(StoredFile::of(&file_name(&unit.path), contents, &unit.config_hash));
    manifest.write(&path)?;
    Ok(())
}

/// The stored file's contents when it matches its manifest entry and the unit's config hash;
/// otherwise why not (None: there is no stored file).
fn verified_contents(unit: &StoredUnit) -> Result<Vec<u8>, Option<String>> {
    if !unit.path.exists() {
        return Err(None);
    }
    let shown = unit.path.display();
    let manifest_path = manifest_path(&unit.path);
    let manifest = match RecordsManifest::read(&manifest_path) {
        Ok(Some(manifest)) => manifest,
        Ok(None) => {
            return Err(Some(format!("{shown} is not listed: no {MANIFEST_FILE} beside it")))
        }
        Err(error) => return Err(Some(format!("{shown} cannot be verified: {error}"))),
    };
    let Some(entry) = manifest.get(&file_name(&unit.path)) else {
        return Err(Some(format!("{shown} is not listed in {}", manifest_path.display())));
    };
    let contents =
        std::fs::read(&unit.path).map_err(|error| Some(format!("cannot read {shown}: {error}")))?;
    entry.check(&contents, Some(&unit.config_hash)).map_err(|mismatch| {
        Some(format!("{shown} does not match its manifest entry: {mismatch}"))
    })?;
    Ok(contents)
}

/// Stored records when the file verifies, parses, is complete and all records `belong`; a
/// damaged, altered or foreign file is named in a warning and recomputed.
pub(crate) fn load_stored<T: DeserializeOwned>(
    unit: &StoredUnit,
    belongs: impl Fn(&T) -> Result<(), String>,
) -> Option<Vec<T>> {
    match verified_records(unit, belongs) {
        Ok(records) => Some(records),
        Err(None) => None,
        Err(Some(problem)) => {
            eprintln!("warning: {problem}; recomputing");
            None
        }
    }
}

/// The unit's records when its file verifies against its manifest, parses, is complete and
/// every record `belongs`; otherwise why not (None: there is no stored file).
pub(crate) fn verified_records<T: DeserializeOwned>(
    unit: &StoredUnit,
    belongs: impl Fn(&T) -> Result<(), String>,
) -> Result<Vec<T>, Option<String>> {
    let path = unit.path.display();
    let contents = verified_contents(unit)?;
    match parse_json_lines::<T>(&String::from_utf8_lossy(&contents), &unit.path) {
        Ok(records) if records.len() != unit.records => {
            Err(Some(format!("{path} holds {} runs, expected {}", records.len(), unit.records)))
        }
        Ok(records) => match records.iter().map(belongs).find_map(Result::err) {
            Some(why) => Err(Some(format!("{path} holds a run that {why}"))),
            None => Ok(records),
        },
        Err(error) => Err(Some(format!("stored records are unreadable ({error})"))),
    }
}

/// Stores the unit's records atomically and lists them in the manifest beside them.
pub(crate) fn store_records<T: Serialize>(
    unit: &StoredUnit,
    records: &[T],
) -> Result<(), ExperimentError> {
    let text = to_json_lines(records);
    write(&unit.path, text.as_bytes())?;
    list_in_manifest(unit, text.as_bytes())
}

/// Serializes records as JSON lines.
pub fn to_json_lines<T: Serialize>(records: &[T]) -> String {
    let mut text = String::new();
    for record in records {
        text.push_str(&serde_json::to_string(record).expect("records serialize"));
        text.push('\n');
    }
    text
}

/// Reads a JSON-lines records file; the error names the file and line.
pub fn read_json_lines<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_json_lines(&text, path)
}

/// Parses JSON lines read from `path`; the error names the file and line.
fn parse_json_lines<T: DeserializeOwned>(text: &str, path: &Path) -> Result<Vec<T>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .map_err(|e| format!("{} line {}: {e}", path.display(), i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(dir: &Path, config_hash: &str) -> StoredUnit {
        StoredUnit {
            index: 0,
            count: 1,
            label: "unit".into(),
            path: dir.join("runs").join("unit.jsonl"),
            config_hash: config_hash.into(),
            records: 3,
            budget: 10,
        }
    }

    const QUIET: Reuse = Reuse { stored: true, show_progress: false };

    /// Runs the unit; `computed` counts the computations.
    fn run(unit: &StoredUnit, computed: &mut usize) -> Vec<u32> {
        reuse_or_compute(
            unit,
            QUIET,
            |_: &u32| Ok(()),
            |_| {
                *computed += 1;
                Ok((vec![1, 2, 3], String::new()))
            },
        )
        .unwrap()
        .records
    }

    #[test]
    fn a_verified_file_is_reused_and_an_edited_one_recomputed() {
        let dir = tempfile::tempdir().unwrap();
        let unit = unit(dir.path(), "cfg");
        let mut computed = 0;
        assert_eq!(run(&unit, &mut computed), [1, 2, 3]);
        let manifest = RecordsManifest::read(&manifest_path(&unit.path)).unwrap().unwrap();
        assert_eq!(manifest.get("unit.jsonl").unwrap().config_hash, "cfg");
        run(&unit, &mut computed);
        assert_eq!(computed, 1, "the stored file verifies and is reused");

        // Still parses, still three records, other content.
        std::fs::write(&unit.path, "1\n2\n4\n").unwrap();
        assert!(
            matches!(verified_contents(&unit), Err(Some(m)) if m.contains("unit.jsonl") && m.contains("SHA-256"))
        );
        assert_eq!(run(&unit, &mut computed), [1, 2, 3]);
        assert_eq!(computed, 2);
        assert_eq!(std::fs::read_to_string(&unit.path).unwrap(), "1\n2\n3\n");
    }

    #[test]
    fn another_config_hash_or_a_missing_manifest_entry_recomputes() {
        let dir = tempfile::tempdir().unwrap();
        let mut computed = 0;
        run(&unit(dir.path(), "cfg"), &mut computed);
        let other = unit(dir.path(), "other");
        assert!(matches!(verified_contents(&other), Err(Some(m)) if m.contains("config")));
        run(&other, &mut computed);
        assert_eq!(computed, 2);

        std::fs::remove_file(manifest_path(&other.path)).unwrap();
        assert!(matches!(verified_contents(&other), Err(Some(m)) if m.contains("not listed")));
        std::fs::write(manifest_path(&other.path), b"garbage").unwrap();
        assert!(matches!(verified_contents(&other), Err(Some(m)) if m.contains("manifest.json")));
        run(&other, &mut computed);
        assert_eq!(computed, 3, "an unreadable manifest is replaced");
        assert!(verified_contents(&other).is_ok());
    }
}
