//! Any experiment config, told apart by its top-level `kind` key (see [`crate::config_file`]):
//! the one place that lists the kinds. A new kind is one more line in the
//! `experiment_kinds!` call below.

use goldilocks_kernels::EnsembleKernels;
use std::path::Path;

use crate::config_file::{read_config_text, split_kind, typed_config};
use crate::config_override::ConfigOverride;
use crate::escape::EscapeConfig;
use crate::pretrain::PretrainConfig;
use crate::scaling::ScalingConfig;
use crate::vit::VitExperimentConfig;
use crate::{ExperimentError, ExperimentKind, ExperimentPlan, RunOptions, ShardRun};

macro_rules! experiment_kinds {
    ($($(#[$doc:meta])* $variant:ident($config:ty),)+) => {
        /// A parsed and validated config of any kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum AnyConfig {
            $($(#[$doc])* $variant($config),)+
        }

        impl AnyConfig {
            /// The `kind` values, in the order the kinds are listed.
            pub const KINDS: &'static [&'static str] = &[$(<$config as ExperimentKind>::KIND,)+];

            /// Parses and validates a config of any kind; `origin` names it in errors.
            pub fn from_toml(text: &str, origin: &str) -> Result<Self, ExperimentError> {
                Self::from_toml_with(text, origin, &[])
            }

            /// Parses a config of any kind, applies `overrides` (`--set`) and validates the
            /// result.
            pub fn from_toml_with(
                text: &str,
                origin: &str,
                overrides: &[ConfigOverride],
            ) -> Result<Self, ExperimentError> {
                let split = split_kind(text, origin)?;
                $(if split.kind == <$config as ExperimentKind>::KIND {
                    return Ok(AnyConfig::$variant(typed_config(&split.body, origin, overrides)?));
                })+
                Err(ExperimentError::invalid(
                    "kind",
                    format!("must be one of {:?}, got {:?}", Self::KINDS, split.kind),
                ))
            }

            /// The value of the config's `kind` key.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(AnyConfig::$variant(_) => <$config as ExperimentKind>::KIND,)+
                }
            }

            /// The resolved config (defaults filled in) as TOML, `kind` first.
            pub fn to_toml(&self) -> String {
                match self {
                    $(AnyConfig::$variant(config) => config.to_toml(),)+
                }
            }

            /// The experiment's name.
            pub fn name(&self) -> &str {
                match self {
                    $(AnyConfig::$variant(config) => config.name(),)+
                }
            }

            /// The units the experiment runs and the peak memory of the largest.
            pub fn plan(&self) -> ExperimentPlan {
                match self {
                    $(AnyConfig::$variant(config) => config.plan(),)+
                }
            }

            /// Runs the experiment on backend `B`; returns its outcome's one-line account.
            pub fn run<B: EnsembleKernels>(
                &self,
                options: &RunOptions,
                device: &B::Device,
            ) -> Result<String, ExperimentError> {
                match self {
                    $(AnyConfig::$variant(config) => {
                        Ok(config.run::<B>(options, device)?.to_string())
                    })+
                }
            }

            /// Runs one shard's units; returns its one-line account.
            pub fn run_shard<B: EnsembleKernels>(
                &self,
                options: &RunOptions,
                run: ShardRun,
                device: &B::Device,
            ) -> Result<String, ExperimentError> {
                match self {
                    $(AnyConfig::$variant(config) => {
                        Ok(config.run_shard::<B>(options, run, device)?.to_string())
                    })+
                }
            }

            /// Merges the folders of `shards` shards into the one-machine run's outputs;
            /// returns its one-line account.
            pub fn merge<B: EnsembleKernels>(
                &self,
                options: &RunOptions,
                shards: usize,
                device: &B::Device,
            ) -> Result<String, ExperimentError> {
                match self {
                    $(AnyConfig::$variant(config) => {
                        Ok(config.merge::<B>(options, shards, device)?.to_string())
                    })+
                }
            }
        }
    };
}

experiment_kinds! {
    /// `kind = "escape"` (or no `kind`).
    Escape(EscapeConfig),
    /// `kind = "pretrain"`.
    Pretrain(PretrainConfig),
    /// `kind = "scaling"`.
    Scaling(ScalingConfig),
    /// `kind = "vit"`.
    Vit(VitExperimentConfig),
}

impl AnyConfig {
    /// Reads, parses and validates a config file of any kind.
    pub fn load(path: &Path) -> Result<Self, ExperimentError> {
        Self::load_with(path, &[])
    }

    /// Reads and parses a config file of any kind, applies `overrides` and validates it.
    pub fn load_with(path: &Path, overrides: &[ConfigOverride]) -> Result<Self, ExperimentError> {
        Self::from_toml_with(&read_config_text(path)?, &path.display().to_string(), overrides)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_kind_lists_the_known_ones() {
        let error = AnyConfig::from_toml("kind = \"sweep\"\nname = \"x\"\n", "t").unwrap_err();
        let message = error.to_string();
        for kind in AnyConfig::KINDS {
            assert!(message.contains(kind), "{message}");
        }
        assert!(message.contains("sweep"), "{message}");
    }

    #[test]
    fn the_default_config_is_an_escape_config() {
        let config = AnyConfig::from_toml(crate::escape::DEFAULT_CONFIG, "default").unwrap();
        assert_eq!(config.kind(), "escape");
        assert_eq!(config.name(), "default");
    }
}
