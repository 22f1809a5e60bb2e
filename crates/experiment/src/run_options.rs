//! Where an experiment's results go and how stored units are treated.

use std::path::PathBuf;

use crate::memory_limit::default_memory_limit;

/// Where results go and how to treat stored records.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Results root; the experiment writes to `<root>/<name>/`.
    pub results_root: PathBuf,
    /// Recompute every unit even when its records are stored.
    pub fresh: bool,
    /// Show progress on stderr.
    pub show_progress: bool,
    /// The command line that reproduces the run, for the report.
    pub command: String,
    /// When another process is writing the same results folder: wait for it (true) or fail
    /// at once with [`crate::ExperimentError::Busy`].
    pub wait_for_folder: bool,
    /// Bytes an ensemble may use; larger ensembles run in chunks of variants, and a config
    /// whose smallest chunk does not fit is refused before anything is allocated.
    pub memory_limit: u64,
}

impl RunOptions {
    /// Defaults: reuse stored records, show progress.
    pub fn new(results_root: impl Into<PathBuf>) -> Self {
        Self {
            results_root: results_root.into(),
            fresh: false,
            show_progress: true,
            command: "cargo xtask experiment".into(),
            wait_for_folder: true,
            memory_limit: default_memory_limit(),
        }
    }
}
