//! Any experiment config, told apart by its top-level `kind` key: `"escape"` (the default
//! when the key is absent) for an escape-time sweep, `"pretrain"` for real pre-training and
//! fine-tuning from its checkpoints, `"vit"` for the tiny ViT on Fashion-MNIST, `"scaling"`
//! for the growth of the escape time with the input dimension N.

use std::path::Path;

use serde::Deserialize;

use crate::pretrain::PretrainConfig;
use crate::scaling::ScalingConfig;
use crate::vit::VitExperimentConfig;
use crate::{ExperimentConfig, ExperimentError};

/// A parsed and validated config of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyConfig {
    /// `kind = "escape"` (or no `kind`).
    Escape(ExperimentConfig),
    /// `kind = "pretrain"`.
    Pretrain(PretrainConfig),
    /// `kind = "vit"`.
    Vit(VitExperimentConfig),
    /// `kind = "scaling"`.
    Scaling(ScalingConfig),
}

#[derive(Deserialize)]
struct KindOnly {
    #[serde(default)]
    kind: Option<String>,
}

impl AnyConfig {
    /// Parses and validates a config of any kind; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ExperimentError> {
        let kind = crate::escape::config::parse_toml::<KindOnly>(text, origin)?.kind;
        match kind.as_deref() {
            None | Some("escape") => {
                Ok(AnyConfig::Escape(ExperimentConfig::from_toml(text, origin)?))
            }
            Some("pretrain") => Ok(AnyConfig::Pretrain(PretrainConfig::from_toml(text, origin)?)),
            Some("vit") => {
                let config = VitExperimentConfig::from_toml(text, origin)?;
                config.validate()?;
                Ok(AnyConfig::Vit(config))
            }
            Some("scaling") => Ok(AnyConfig::Scaling(ScalingConfig::from_toml(text, origin)?)),
            Some(other) => Err(ExperimentError::invalid(
                "kind",
                format!("must be \"escape\", \"pretrain\", \"vit\" or \"scaling\", got {other:?}"),
            )),
        }
    }

    /// Reads, parses and validates a config file of any kind.
    pub fn load(path: &Path) -> Result<Self, ExperimentError> {
        Self::from_toml(
            &crate::escape::config::read_config_text(path)?,
            &path.display().to_string(),
        )
    }

    /// The experiment's name.
    pub fn name(&self) -> &str {
        match self {
            AnyConfig::Escape(config) => &config.name,
            AnyConfig::Pretrain(config) => &config.name,
            AnyConfig::Vit(config) => &config.name,
            AnyConfig::Scaling(config) => &config.name,
        }
    }
}
