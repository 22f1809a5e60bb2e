//! The options of a LoRA adapter: [`LoraConfig`], PEFT's `LoraConfig` field for field, as
//! stored in `adapter_config.json`; [`LoraInit`], how the factors start; [`TargetModules`],
//! which layers get an adapter; and [`FactorSettings`], what raw factors (as the single-index
//! experiment trains them) take from a config.
//!
//! ```
//! use goldilocks_lora::{LoraConfig, LoraInit, TargetModules};
//!
//! let config = LoraConfig::new(4, 8.0, TargetModules::list(["lin0", "lin1"]))
//!     .with_init(LoraInit::Gaussian)
//!     .with_dropout(0.1);
//! assert_eq!(config.scaling(), 2.0);
//! let json = config.to_json();
//! assert_eq!(LoraConfig::from_json(&json).unwrap(), config);
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{LoraError, TargetModules};

/// How the factors start: U (PEFT's `lora_B`, `[out, r]`) and V (PEFT's `lora_A`, `[r, in]`).
///
/// Two spellings:
///
/// - serde (configs such as the experiments' TOML, `init = "..."`): `"paper"`, `"gaussian"`,
///   `"kaiming"`, `"gradient"`; [`LoraInit::Random`] and [`LoraInit::Other`] have none.
/// - PEFT's `init_lora_weights` in adapter_config.json ([`LoraInit::to_peft_value`],
///   [`LoraInit::from_peft_value`]): `true` is [`LoraInit::Kaiming`], `false`
///   [`LoraInit::Random`], `"gaussian"` [`LoraInit::Gaussian`]; `"paper"` and `"gradient"`
///   (any case) are read as this crate's inits and written as `true`, which PEFT
///   understands; any other name is kept as [`LoraInit::Other`].
///
/// The paper's and the gradient init mean the paper's parametrisation W0 + U V on raw
/// factors ([`FactorSettings`]): there the scaling is 1 whatever `lora_alpha`, and rows of V
/// are scaled back to unit norm after every SGD step. On a [`LoraLinear`](crate::LoraLinear)
/// every init has PEFT's scaling `lora_alpha / r` and no renormalisation
/// ([`LoraConfig::paper`] sets `lora_alpha = r`, hence scaling 1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoraInit {
    /// The paper's init (arXiv:2602.02855): every entry of U is 1/N^2 (N the input width) and
    /// each row of V is a random unit vector.
    Paper,
    /// PEFT's `init_lora_weights="gaussian"`: U = 0, V ~ N(0, (1/r)^2) entrywise.
    Gaussian,
    /// PEFT's default (`init_lora_weights=True`): U = 0, V Kaiming-uniform, bound 1/sqrt(N).
    Kaiming,
    /// Data-aware, in the spirit of LoRA-GA: the rows of V start along the top right singular
    /// vectors of the loss gradient with respect to the full weight at W0
    /// ([`gradient_aligned_factors`](crate::gradient_aligned_factors)). On raw factors U is
    /// the paper's (1/N^2) and so are the scaling and the row renormalisation, so it differs
    /// from `Paper` only in where V starts: [`initial_factors`](crate::initial_factors) draws
    /// the paper's init and the caller replaces V once the gradient is known. On a
    /// [`LoraLinear`](crate::LoraLinear)
    /// ([`attach_gradient_aligned`](crate::LoraLinear::attach_gradient_aligned)) U = 0, so the
    /// adapter starts as a no-op.
    Gradient,
    /// PEFT's `init_lora_weights=False`: U and V both Kaiming-uniform (bounds 1/sqrt(r) and
    /// 1/sqrt(N)), as PyTorch's `nn.Linear` default, so the adapter is not a no-op at the
    /// start (PEFT uses it for tests).
    #[serde(skip)]
    Random,
    /// Any other PEFT init ("pissa", "olora", "loftq", ...): accepted when loading trained
    /// weights, where the init no longer matters, but not implemented.
    #[serde(skip)]
    Other(String),
}

impl LoraInit {
    /// This init as the JSON value of `init_lora_weights` that PEFT accepts (`true` for the
    /// inits PEFT does not know).
    pub fn to_peft_value(&self) -> serde_json::Value {
        match self {
            Self::Kaiming | Self::Paper | Self::Gradient => serde_json::Value::Bool(true),
            Self::Random => serde_json::Value::Bool(false),
            Self::Gaussian => "gaussian".into(),
            Self::Other(name) => name.as_str().into(),
        }
    }

    /// The init of a JSON value of `init_lora_weights`; fails for values that are neither a
    /// boolean nor a string.
    pub fn from_peft_value(value: &serde_json::Value) -> Result<Self, LoraError> {
        Ok(match value {
            serde_json::Value::Bool(true) => Self::Kaiming,
            serde_json::Value::Bool(false) => Self::Random,
            serde_json::Value::String(name) => match name.to_ascii_lowercase().as_str() {
                "gaussian" => Self::Gaussian,
                "paper" => Self::Paper,
                "gradient" => Self::Gradient,
                _ => Self::Other(name.clone()),
            },
            other => {
                return Err(LoraError::Unsupported {
                    option: "init_lora_weights".into(),
                    value: other.to_string(),
                })
            }
        })
    }
}

/// `init_lora_weights` as PEFT's JSON values.
mod peft_init {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::LoraInit;

    pub fn serialize<S: Serializer>(init: &LoraInit, s: S) -> Result<S::Ok, S::Error> {
        init.to_peft_value().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<LoraInit, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        LoraInit::from_peft_value(&value).map_err(serde::de::Error::custom)
    }
}

/// The options of a LoRA adapter, with PEFT's field names and meaning; the content of
/// `adapter_config.json`. The same options drive raw factors through
/// [`LoraConfig::factor_settings`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    /// Always "LORA".
    #[serde(default = "default_peft_type")]
    pub peft_type: String,
    /// Rank r of every adapter.
    pub r: usize,
    /// The update B A is scaled by lora_alpha / r (lora_alpha / sqrt(r) with rsLoRA).
    #[serde(default = "default_alpha")]
    pub lora_alpha: f64,
    /// Dropout probability on the input of the LoRA path (training only).
    #[serde(default)]
    pub lora_dropout: f64,
    /// rsLoRA: scale by lora_alpha / sqrt(r).
    #[serde(default)]
    pub use_rslora: bool,
    /// How A and B start, as PEFT's JSON value (see [`LoraInit`]).
    #[serde(default = "default_init", with = "peft_init")]
    pub init_lora_weights: LoraInit,
    /// Which layers get an adapter.
    pub target_modules: TargetModules,
    /// Which biases are trained: only "none" is supported.
    #[serde(default = "default_bias")]
    pub bias: String,
    /// Whether the base weight is stored [in, out] in PyTorch: only `false` is supported.
    #[serde(default)]
    pub fan_in_fan_out: bool,
    /// DoRA: not supported.
    #[serde(default)]
    pub use_dora: bool,
    /// A trainable bias on lora_B: not supported.
    #[serde(default)]
    pub lora_bias: bool,
    /// Per-layer ranks: not supported (must be empty).
    #[serde(default)]
    pub rank_pattern: BTreeMap<String, serde_json::Value>,
    /// Per-layer alphas: not supported (must be empty).
    #[serde(default)]
    pub alpha_pattern: BTreeMap<String, serde_json::Value>,
    /// The base model's name, if any.
    #[serde(default)]
    pub base_model_name_or_path: Option<String>,
    /// PEFT's task type, if any.
    #[serde(default)]
    pub task_type: Option<String>,
    /// Whether the adapter was saved for inference.
    #[serde(default = "default_true")]
    pub inference_mode: bool,
    /// Modules trained in full beside the adapters and saved with them (a new classifier
    /// head), by name; a module matches when its path is the name or ends with `.` and the
    /// name, as in PEFT. Their parameters go into the weights file under their PyTorch names.
    #[serde(default)]
    pub modules_to_save: Option<Vec<String>>,
    /// Every other field of PEFT's config, kept as read so that a loaded file is written back
    /// unchanged.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

fn default_peft_type() -> String {
    "LORA".into()
}
fn default_alpha() -> f64 {
    8.0
}
fn default_init() -> LoraInit {
    LoraInit::Kaiming
}
fn default_bias() -> String {
    "none".into()
}
fn default_true() -> bool {
    true
}

impl Default for LoraConfig {
    /// PEFT's defaults: r = 8, lora_alpha = 8, Kaiming init, no dropout, no rsLoRA, and no
    /// target modules (as for raw weights, which have no module paths).
    fn default() -> Self {
        Self::new(8, default_alpha(), TargetModules::List(Vec::new()))
    }
}

impl LoraConfig {
    /// PEFT's defaults (Kaiming init, no dropout, no rsLoRA) with rank `r`, `lora_alpha` and
    /// the targets.
    pub fn new(r: usize, lora_alpha: f64, target_modules: TargetModules) -> Self {
        Self {
            peft_type: default_peft_type(),
            r,
            lora_alpha,
            lora_dropout: 0.0,
            use_rslora: false,
            init_lora_weights: LoraInit::Kaiming,
            target_modules,
            bias: default_bias(),
            fan_in_fan_out: false,
            use_dora: false,
            lora_bias: false,
            rank_pattern: BTreeMap::new(),
            alpha_pattern: BTreeMap::new(),
            base_model_name_or_path: None,
            task_type: None,
            inference_mode: true,
            modules_to_save: None,
            other: BTreeMap::new(),
        }
    }

    /// The paper's adapter of rank `rank` on raw weights: the paper's init, no targets, and
    /// `lora_alpha = r`, so that PEFT's scaling is the paper's 1 as well.
    pub fn paper(rank: usize) -> Self {
        Self { r: rank, lora_alpha: rank as f64, ..Self::default() }.with_init(LoraInit::Paper)
    }

    /// The same options with another init.
    pub fn with_init(mut self, init: LoraInit) -> Self {
        self.init_lora_weights = init;
        self
    }

    /// The same options with another dropout probability.
    pub fn with_dropout(mut self, lora_dropout: f64) -> Self {
        self.lora_dropout = lora_dropout;
        self
    }

    /// The same options with `modules` trained in full and saved with the adapters.
    pub fn with_modules_to_save<S: Into<String>>(
        mut self,
        modules: impl IntoIterator<Item = S>,
    ) -> Self {
        self.modules_to_save = Some(modules.into_iter().map(Into::into).collect());
        self
    }

    /// The names of the modules saved with the adapters (none when `modules_to_save` is
    /// null).
    pub fn saved_modules(&self) -> &[String] {
        self.modules_to_save.as_deref().unwrap_or_default()
    }

    /// The same options with rsLoRA on or off.
    pub fn with_rslora(mut self, use_rslora: bool) -> Self {
        self.use_rslora = use_rslora;
        self
    }

    /// The factor multiplying B A on a [`LoraLinear`](crate::LoraLinear) and in PEFT:
    /// lora_alpha / r, or lora_alpha / sqrt(r) with rsLoRA. Raw factors use
    /// [`FactorSettings::scaling`].
    pub fn scaling(&self) -> f64 {
        if self.use_rslora {
            self.lora_alpha / (self.r as f64).sqrt()
        } else {
            self.lora_alpha / self.r as f64
        }
    }

    /// Checks the options this crate implements: peft_type "LORA", r >= 1, a positive alpha,
    /// dropout in [0, 1), bias "none", no DoRA, no lora_bias, no fan_in_fan_out, no per-layer
    /// patterns, and a valid target regex.
    pub fn validate(&self) -> Result<(), LoraError> {
        let unsupported = |option: &str, value: String| {
            Err(LoraError::Unsupported { option: option.into(), value })
        };
        if self.peft_type != "LORA" {
            return unsupported("peft_type", self.peft_type.clone());
        }
        if self.r == 0 {
            return Err(LoraError::Rank { rank: 0, in_features: 0 });
        }
        if !(self.lora_alpha.is_finite() && self.lora_alpha > 0.0) {
            return Err(LoraError::Alpha(self.lora_alpha));
        }
        if !(0.0..1.0).contains(&self.lora_dropout) {
            return Err(LoraError::Dropout(self.lora_dropout));
        }
        if self.bias != "none" {
            return unsupported("bias", self.bias.clone());
        }
        if self.use_dora {
            return unsupported("use_dora", "true".into());
        }
        if self.lora_bias {
            return unsupported("lora_bias", "true".into());
        }
        if self.fan_in_fan_out {
            return unsupported("fan_in_fan_out", "true".into());
        }
        if !self.rank_pattern.is_empty() {
            return unsupported("rank_pattern", format!("{:?}", self.rank_pattern));
        }
        if !self.alpha_pattern.is_empty() {
            return unsupported("alpha_pattern", format!("{:?}", self.alpha_pattern));
        }
        self.target_modules.matcher().map(|_| ())
    }

    /// Checks that the rank r is between 1 and `in_features`, the input width of the layer
    /// (or raw weight) that the adapter goes on.
    pub fn validate_rank(&self, in_features: usize) -> Result<(), LoraError> {
        if self.r == 0 || self.r > in_features {
            return Err(LoraError::Rank { rank: self.r, in_features });
        }
        Ok(())
    }

    /// [`LoraConfig::validate_rank`], then [`LoraConfig::validate`].
    pub fn validate_for(&self, in_features: usize) -> Result<(), LoraError> {
        self.validate_rank(in_features)?;
        self.validate()
    }

    /// What raw factors take from these options; fails for [`LoraInit::Other`], which has no
    /// factors to draw.
    pub fn factor_settings(&self) -> Result<FactorSettings, LoraError> {
        let init = &self.init_lora_weights;
        if let LoraInit::Other(_) = init {
            return Err(LoraError::Unsupported {
                option: "init_lora_weights".into(),
                value: init.to_peft_value().to_string(),
            });
        }
        let paper = matches!(init, LoraInit::Paper | LoraInit::Gradient);
        Ok(FactorSettings {
            rank: self.r,
            init: init.clone(),
            scaling: if paper { 1.0 } else { self.scaling() },
            renormalize_rows: paper,
        })
    }

    /// The config as adapter_config.json text, with `init_lora_weights` as PEFT accepts it.
    pub fn to_json(&self) -> String {
        let value = serde_json::to_value(self).expect("the config is plain data");
        serde_json::to_string_pretty(&value).expect("a JSON value prints")
    }

    /// Parses adapter_config.json text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// What raw factors ([`initial_factors`](crate::initial_factors),
/// [`LoraFactors`](crate::LoraFactors)) take from a [`LoraConfig`]: the rank, the init, the
/// scaling and whether rows of V are renormalised. Made by [`LoraConfig::factor_settings`].
#[derive(Debug, Clone, PartialEq)]
pub struct FactorSettings {
    rank: usize,
    init: LoraInit,
    scaling: f64,
    renormalize_rows: bool,
}

impl FactorSettings {
    /// The rank r.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The init; never [`LoraInit::Other`].
    pub fn init(&self) -> &LoraInit {
        &self.init
    }

    /// The factor multiplying U V: 1 for the paper's and the gradient init (whatever
    /// `lora_alpha`), [`LoraConfig::scaling`] otherwise.
    pub fn scaling(&self) -> f64 {
        self.scaling
    }

    /// Whether rows of V are scaled back to unit norm after every step: for the paper's and
    /// the gradient init.
    pub fn renormalizes_rows(&self) -> bool {
        self.renormalize_rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_follows_peft() {
        let peft = LoraConfig {
            r: 4,
            lora_alpha: 8.0,
            use_rslora: false,
            init_lora_weights: LoraInit::Gaussian,
            ..LoraConfig::default()
        };
        assert_eq!(peft.scaling(), 2.0);
        assert_eq!(LoraConfig { use_rslora: true, ..peft }.scaling(), 4.0);
        assert_eq!(LoraConfig::paper(3).scaling(), 1.0);
    }

    #[test]
    fn bad_options_are_named() {
        assert_eq!(
            LoraConfig::paper(0).validate_for(10),
            Err(LoraError::Rank { rank: 0, in_features: 10 })
        );
        assert_eq!(
            LoraConfig::paper(11).validate_for(10),
            Err(LoraError::Rank { rank: 11, in_features: 10 })
        );
        let bad_alpha = LoraConfig { lora_alpha: -1.0, ..LoraConfig::paper(1) };
        assert_eq!(bad_alpha.validate_for(10), Err(LoraError::Alpha(-1.0)));
        assert!(LoraError::Rank { rank: 0, in_features: 10 }.to_string().contains("rank"));
    }

    #[test]
    fn reads_the_peft_written_config() {
        let text = include_str!("../tests/data/peft-fixture/adapter_config.json");
        let config = LoraConfig::from_json(text).unwrap();
        assert_eq!(config.r, 4);
        assert_eq!(config.lora_alpha, 8.0);
        assert_eq!(config.init_lora_weights, LoraInit::Gaussian);
        assert_eq!(config.target_modules, TargetModules::list(["lin0", "lin1"]));
        assert_eq!(config.scaling(), 2.0);
        assert!(config.validate().is_ok());
        // Unknown PEFT fields survive a round trip.
        assert_eq!(config.other["peft_version"], "0.21.0");
        let again = LoraConfig::from_json(&config.to_json()).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn init_names_follow_peft() {
        for (json, init) in [
            ("true", LoraInit::Kaiming),
            ("false", LoraInit::Random),
            ("\"gaussian\"", LoraInit::Gaussian),
            ("\"pissa\"", LoraInit::Other("pissa".into())),
        ] {
            assert_eq!(
                LoraInit::from_peft_value(&serde_json::from_str(json).unwrap()).unwrap(),
                init
            );
            assert_eq!(init.to_peft_value().to_string(), json);
        }
        // This crate's own inits are written as PEFT's default.
        assert_eq!(LoraInit::Paper.to_peft_value(), serde_json::Value::Bool(true));
    }

    #[test]
    fn serde_spells_the_config_names() {
        for (name, init) in [
            ("paper", LoraInit::Paper),
            ("gaussian", LoraInit::Gaussian),
            ("kaiming", LoraInit::Kaiming),
            ("gradient", LoraInit::Gradient),
        ] {
            let json = format!("\"{name}\"");
            assert_eq!(serde_json::to_string(&init).unwrap(), json);
            assert_eq!(serde_json::from_str::<LoraInit>(&json).unwrap(), init);
        }
        for json in ["\"lora-ga\"", "\"random\"", "\"Paper\"", "true"] {
            assert!(serde_json::from_str::<LoraInit>(json).is_err(), "{json}");
        }
        assert!(serde_json::to_string(&LoraInit::Random).is_err());
    }

    #[test]
    fn targets_match_like_peft() {
        let list = TargetModules::list(["q_proj", "lin1"]).matcher().unwrap();
        assert!(list.matches("q_proj"));
        assert!(list.matches("layers.0.attn.q_proj"));
        assert!(!list.matches("layers.0.attn.xq_proj"));
        assert!(!list.matches("lin10"));
        let regex = TargetModules::Pattern(r"layers\.\d+\.lin".into()).matcher().unwrap();
        assert!(regex.matches("layers.3.lin"));
        assert!(!regex.matches("x.layers.3.lin"));
        assert!(TargetModules::Pattern("all-linear".into()).matcher().unwrap().matches("anything"));
        assert!(matches!(
            TargetModules::Pattern("(".into()).matcher(),
            Err(LoraError::TargetRegex { .. })
        ));
    }

    #[test]
    fn factor_settings_follow_the_config() {
        let adapter = LoraConfig::new(4, 8.0, TargetModules::list(["w"]))
            .with_init(LoraInit::Gaussian)
            .with_rslora(true);
        let compact = adapter.factor_settings().unwrap();
        assert_eq!(adapter.scaling(), compact.scaling());
        assert_eq!(
            compact,
            FactorSettings {
                rank: 4,
                init: LoraInit::Gaussian,
                scaling: 4.0,
                renormalize_rows: false
            }
        );
        // The paper's scaling 1 is lora_alpha = r in PEFT's terms.
        let paper = LoraConfig::paper(3);
        assert_eq!(paper.scaling(), 1.0);
        assert_eq!(
            paper.factor_settings().unwrap(),
            FactorSettings { rank: 3, init: LoraInit::Paper, scaling: 1.0, renormalize_rows: true }
        );
        // Raw factors of the paper's init have scaling 1 whatever lora_alpha.
        let paper_alpha = LoraConfig { lora_alpha: 1.0, ..paper };
        assert_eq!(paper_alpha.factor_settings().unwrap().scaling(), 1.0);
        let other = adapter.with_init(LoraInit::Other("pissa".into()));
        assert!(matches!(other.factor_settings(), Err(LoraError::Unsupported { .. })));
    }

    #[test]
    fn unsupported_options_are_named() {
        let base = LoraConfig::new(2, 4.0, TargetModules::list(["w"]));
        let mut dora = base.clone();
        dora.use_dora = true;
        assert_eq!(
            dora.validate(),
            Err(LoraError::Unsupported { option: "use_dora".into(), value: "true".into() })
        );
        let mut bias = base.clone();
        bias.bias = "all".into();
        assert!(bias.validate().unwrap_err().to_string().contains("bias"));
        assert_eq!(base.clone().with_dropout(1.0).validate(), Err(LoraError::Dropout(1.0)));
    }
}
