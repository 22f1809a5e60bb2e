//! Errors of the experiment runner.

use std::path::PathBuf;

/// Everything that can stop an experiment, each naming the field or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The config is not valid TOML or does not match the expected fields.
    #[error("invalid config {origin}: {message}")]
    ParseConfig {
        /// Where the config came from.
        origin: String,
        /// The parser's message, naming the field and line.
        message: String,
    },
    /// A field has a value outside its valid range.
    #[error("invalid config: `{field}` {message}")]
    InvalidField {
        /// Dotted path of the field, e.g. `sweep.mu[2]`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Another process holds the results folder's lock (and this one was told not to wait).
    #[error(
        "{} is in use by another run (process {holder}); wait for it to finish, or run \
         without --no-wait to wait for it",
        dir.display()
    )]
    Busy {
        /// The results folder.
        dir: PathBuf,
        /// The process id in the lock file.
        holder: String,
    },
    /// A unit that would not fit the memory limit (for an escape ensemble: even one variant
    /// at a time).
    #[error(
        "{what} needs about {}, over the memory limit of {}; lower {fields}, or raise \
         --memory-limit",
        crate::memory_limit::human_bytes(*estimate),
        crate::memory_limit::human_bytes(*limit as f64)
    )]
    TooBig {
        /// Estimated peak bytes of the smallest chunk.
        estimate: f64,
        /// The limit in bytes.
        limit: u64,
        /// The smallest chunk, with the values of the fields that set its size.
        what: String,
        /// The fields a user can lower.
        fields: String,
    },
    /// A stop was requested (SIGINT or SIGTERM); finished units are kept.
    #[error("interrupted; rerun to resume (every finished unit is kept)")]
    Interrupted,
    /// A results file could not be written.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
    /// A `--shard` that is not `i/n` with i below n.
    #[error("invalid --shard {spec:?}: {message}")]
    BadShard {
        /// The shard as given.
        spec: String,
        /// What is wrong with it.
        message: String,
    },
    /// A merge found units missing or damaged in their shards' folders; nothing was written.
    #[error(
        "cannot merge {}: {} (nothing was written; rerun the shards named, then merge again)",
        dir.display(),
        problems.join("; ")
    )]
    Merge {
        /// The experiment folder.
        dir: std::path::PathBuf,
        /// One line per missing or damaged unit, naming the shard that owns it.
        problems: Vec<String>,
    },
    /// A shard's unit needs a unit of another shard that has not finished.
    #[error(
        "unit {unit} ({label}) needs unit {needed} ({needed_label}) of shard {shard}, which has \
         not finished: run that shard's pre-training stage first"
    )]
    DependencyUnfinished {
        /// The unit that cannot start.
        unit: usize,
        /// What it is.
        label: String,
        /// The unit it needs.
        needed: usize,
        /// What that is.
        needed_label: String,
        /// The shard that owns the needed unit.
        shard: crate::Shard,
    },
    /// A model part could not be built.
    #[error(transparent)]
    Model(#[from] goldilocks_model::ModelError),
    /// The LoRA factors could not be built.
    #[error(transparent)]
    Lora(#[from] goldilocks_lora::LoraError),
    /// The analysis failed.
    #[error(transparent)]
    Analysis(#[from] goldilocks_analysis::AnalysisError),
    /// An adapter folder could not be written or read.
    #[error(transparent)]
    AdapterFile(#[from] goldilocks_lora::AdapterFileError),
    /// The data set could not be read.
    #[error(transparent)]
    Data(#[from] goldilocks_data::DataError),
    /// The checkpoint store failed.
    #[error(transparent)]
    Store(#[from] goldilocks_store::StoreError),
    /// The saved weights of a fine-tuning run cannot be read.
    #[error("run weights {path}: {message}")]
    RunWeights {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A stored checkpoint does not fit the model.
    #[error("checkpoint {origin} {message}")]
    Checkpoint {
        /// The checkpoint.
        origin: String,
        /// What does not fit.
        message: String,
    },
}

impl ExperimentError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ExperimentError::InvalidField { field: field.into(), message: message.into() }
    }
}
