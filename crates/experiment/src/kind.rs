//! The experiment-kind plugin trait: what every kind of experiment (escape, pretrain,
//! scaling, vit) provides, and the config reading that every kind shares.
//!
//! A kind is its config type: it names the `kind` key that selects it, checks its fields,
//! and runs on any burn backend, writing its results under `<results_root>/<name>/`. Reading
//! (strict TOML, `kind` read once from the table) and writing (`kind` first, then the
//! resolved fields) are written once, here and in [`crate::config_file`].
//!
//! ```
//! use goldilocks_experiment::escape::EscapeConfig;
//! use goldilocks_experiment::ExperimentKind;
//!
//! let config = EscapeConfig::default_config();
//! assert_eq!(EscapeConfig::KIND, "escape");
//! let again = EscapeConfig::from_toml(&config.to_toml(), "resolved").unwrap();
//! assert_eq!(again, config);
//! ```

use goldilocks_kernels::EnsembleKernels;
use std::fmt::{Debug, Display};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config_file;
use crate::config_override::ConfigOverride;
use crate::{
    lock_results_folder, ExperimentError, ExperimentPlan, RunOptions, ShardOutcome, ShardRun,
};

/// One kind of experiment, implemented by its config type.
pub trait ExperimentKind: Serialize + DeserializeOwned + Clone + Debug + PartialEq {
    /// The value of the config's top-level `kind` key that selects this kind.
    const KIND: &'static str;

    /// What a finished experiment produced; its `Display` is a one-line account (what was
    /// computed, what was reused, where the report is).
    type Outcome: Display;

    /// The experiment's name; results go to `<results_root>/<name>/`.
    fn name(&self) -> &str;

    /// Checks every field, naming the first one at fault.
    fn validate(&self) -> Result<(), ExperimentError>;

    /// The units the experiment runs, in order, and the peak memory of the largest.
    fn plan(&self) -> ExperimentPlan;

    /// Validates the config, runs the experiment on backend `B` and writes its results under
    /// `<results_root>/<name>/`, reusing stored units that are complete; nothing is written
    /// when the config is invalid.
    fn run<B: EnsembleKernels>(
        &self,
        options: &RunOptions,
        device: &B::Device,
    ) -> Result<Self::Outcome, ExperimentError>;

    /// Runs the units of one shard (see [`crate::Shard`]) into the shard's own folder,
    /// `<results_root>/<name>/shards/<i>-of-<n>/`, reusing its stored units; writes no
    /// summary or report.
    fn run_shard<B: EnsembleKernels>(
        &self,
        options: &RunOptions,
        run: ShardRun,
        device: &B::Device,
    ) -> Result<ShardOutcome, ExperimentError>;

    /// Checks every unit in the folder of the shard (of `shards`) that owns it and copies
    /// its verified files to where a one-machine run keeps them; writes nothing when a unit
    /// is missing or damaged, and names each such unit with its shard.
    fn gather_shards(&self, experiment_dir: &Path, shards: usize) -> Result<(), ExperimentError>;

    /// Merges the folders of `shards` shards: [`ExperimentKind::gather_shards`], then the
    /// one-machine run over the gathered files, which writes exactly its outputs (summary,
    /// report, plots).
    fn merge<B: EnsembleKernels>(
        &self,
        options: &RunOptions,
        shards: usize,
        device: &B::Device,
    ) -> Result<Self::Outcome, ExperimentError> {
        self.validate()?;
        let dir = options.results_root.join(self.name());
        if !dir.is_dir() {
            return Err(ExperimentError::Merge {
                dir,
                problems: vec!["the experiment folder does not exist: run the shards first".into()],
            });
        }
        {
            let _lock = lock_results_folder(&dir, options.wait_for_folder)?;
            self.gather_shards(&dir, shards)?;
        }
        self.run::<B>(&RunOptions { fresh: false, ..options.clone() }, device)
    }

    /// Parses and validates a config of this kind; `origin` names it in errors.
    fn from_toml(text: &str, origin: &str) -> Result<Self, ExperimentError> {
        Self::from_toml_with(text, origin, &[])
    }

    /// Parses a config of this kind, applies `overrides` and validates the result.
    fn from_toml_with(
        text: &str,
        origin: &str,
        overrides: &[ConfigOverride],
    ) -> Result<Self, ExperimentError> {
        let split = config_file::split_kind(text, origin)?;
        if split.kind != Self::KIND {
            return Err(ExperimentError::invalid(
                "kind",
                format!("must be {:?} for this config, got {:?}", Self::KIND, split.kind),
            ));
        }
        config_file::typed_config(&split.body, origin, overrides)
    }

    /// Reads, parses and validates a config file of this kind.
    fn load(path: &Path) -> Result<Self, ExperimentError> {
        Self::from_toml(&config_file::read_config_text(path)?, &path.display().to_string())
    }

    /// The resolved config (defaults filled in) as TOML, `kind` first.
    fn to_toml(&self) -> String {
        config_file::to_toml(Self::KIND, self)
    }
}
