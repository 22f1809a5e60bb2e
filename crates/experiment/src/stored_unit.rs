//! Resume or compute: a unit of work (an ensemble, a fine-tuning method from every
//! checkpoint, a checkpoint's runs) stores its records in one JSON-lines file; a rerun reuses
//! the file when it is complete and belongs to the config, and otherwise computes the unit,
//! showing progress, and stores it atomically. Every kind goes through [`reuse_or_compute`].

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

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
/// `belongs`; otherwise `compute` runs with a progress bar (it returns the records and a
/// one-line account for the bar), and its records are stored atomically.
pub(crate) fn reuse_or_compute<T, F>(
    unit: &StoredUnit,
    reuse: Reuse,
    belongs: impl Fn(&T) -> bool,
    compute: F,
) -> Result<UnitRecords<T>, ExperimentError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(&mut EnsembleBar) -> Result<(Vec<T>, String), ExperimentError>,
{
    if reuse.stored {
        if let Some(records) = load_stored(&unit.path, unit.records, belongs) {
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
    write(&unit.path, to_json_lines(&records).as_bytes())?;
    Ok(UnitRecords { records, reused: false })
}

/// Stored records when they are complete, readable and all `belong`; a damaged or foreign
/// file is named in a warning and recomputed.
fn load_stored<T: DeserializeOwned>(
    path: &Path,
    expected: usize,
    belongs: impl Fn(&T) -> bool,
) -> Option<Vec<T>> {
    if !path.exists() {
        return None;
    }
    match read_json_lines::<T>(path) {
        Ok(records) if records.len() != expected => {
            eprintln!(
                "warning: {} holds {} runs, expected {expected}; recomputing",
                path.display(),
                records.len()
            );
            None
        }
        Ok(records) if !records.iter().all(belongs) => {
            eprintln!("warning: {} holds runs of another config; recomputing", path.display());
            None
        }
        Ok(records) => Some(records),
        Err(error) => {
            eprintln!("warning: stored records are unreadable ({error}); recomputing");
            None
        }
    }
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
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .map_err(|e| format!("{} line {}: {e}", path.display(), i + 1))
        })
        .collect()
}
