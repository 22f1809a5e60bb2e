//! PEFT's `LoraConfig`, field for field: the options of adapters on named layers, as stored in
//! `adapter_config.json`.
//!
//! [`crate::LoraConfig`] is this crate's compact form for raw weights (rank, alpha, rsLoRA,
//! init); [`LoraAdapterConfig`] adds what a model needs (`target_modules`, `lora_dropout`,
//! `bias`) under PEFT's names and converts to and from it.
//!
//! ```
//! use goldilocks_lora::{InitLoraWeights, LoraAdapterConfig, TargetModules};
//!
//! let config = LoraAdapterConfig::new(4, 8.0, TargetModules::list(["lin0", "lin1"]))
//!     .with_init(InitLoraWeights::Gaussian)
//!     .with_dropout(0.1);
//! assert_eq!(config.scaling(), 2.0);
//! let json = config.to_json();
//! assert_eq!(LoraAdapterConfig::from_json(&json).unwrap(), config);
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{LoraConfig, LoraError, LoraInit};

/// PEFT's `init_lora_weights`: how A (this crate's V) and B (U) start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitLoraWeights {
    /// PEFT's default, JSON `true`: A Kaiming-uniform (bound 1/sqrt(in)), B = 0.
    Kaiming,
    /// JSON `false`: A and B both Kaiming-uniform, as PyTorch's `nn.Linear` default, so the
    /// adapter is not a no-op at the start (PEFT uses it for tests).
    Random,
    /// JSON `"gaussian"`: A ~ N(0, (1/r)^2), B = 0.
    Gaussian,
    /// JSON `"paper"` (this crate only): B = 1/in^2 everywhere, rows of A random unit vectors,
    /// as in arXiv:2602.02855. Written to adapter files as `true`, which PEFT understands.
    Paper,
    /// JSON `"gradient"` (this crate only): rows of A the top right singular vectors of the
    /// gradient of the full weight, B = 0 (see [`crate::gradient_aligned_factors`]). Written
    /// to adapter files as `true`, which PEFT understands.
    Gradient,
    /// Any other PEFT init ("pissa", "olora", "loftq", ...): accepted when loading trained
    /// weights, where the init no longer matters, but not implemented.
    Other(String),
}

impl InitLoraWeights {
    /// This init as the JSON value that PEFT accepts (`true` for inits PEFT does not know).
    pub fn to_peft_value(&self) -> serde_json::Value {
        match self {
            Self::Kaiming | Self::Paper | Self::Gradient => serde_json::Value::Bool(true),
            Self::Random => serde_json::Value::Bool(false),
            Self::Gaussian => "gaussian".into(),
            Self::Other(name) => name.as_str().into(),
        }
    }

    /// The matching [`LoraInit`], if there is one.
    pub fn lora_init(&self) -> Option<LoraInit> {
        match self {
            Self::Kaiming => Some(LoraInit::Kaiming),
            Self::Gaussian => Some(LoraInit::Gaussian),
            Self::Paper => Some(LoraInit::Paper),
            Self::Gradient => Some(LoraInit::Gradient),
            Self::Random | Self::Other(_) => None,
        }
    }
}

impl From<LoraInit> for InitLoraWeights {
    fn from(init: LoraInit) -> Self {
        match init {
            LoraInit::Kaiming => Self::Kaiming,
            LoraInit::Gaussian => Self::Gaussian,
            LoraInit::Paper => Self::Paper,
            LoraInit::Gradient => Self::Gradient,
        }
    }
}

impl Serialize for InitLoraWeights {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Kaiming => s.serialize_bool(true),
            Self::Random => s.serialize_bool(false),
            Self::Gaussian => s.serialize_str("gaussian"),
            Self::Paper => s.serialize_str("paper"),
            Self::Gradient => s.serialize_str("gradient"),
            Self::Other(name) => s.serialize_str(name),
        }
    }
}

impl<'de> Deserialize<'de> for InitLoraWeights {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Name(String),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Bool(true) => Self::Kaiming,
            Raw::Bool(false) => Self::Random,
            Raw::Name(name) => match name.to_ascii_lowercase().as_str() {
                "gaussian" => Self::Gaussian,
                "paper" => Self::Paper,
                "gradient" => Self::Gradient,
                _ => Self::Other(name),
            },
        })
    }
}

/// PEFT's `target_modules`: which layers get an adapter, matched against module paths such as
/// `encoder.layers.0.attn.q_proj`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TargetModules {
    /// A list of names: a path matches when it equals a name or ends with `"." + name`.
    List(Vec<String>),
    /// A single string: a regular expression that must match the whole path; the special
    /// value `"all-linear"` matches every LoRA-capable layer (PEFT then also skips the output
    /// layer; this crate does not know which layer that is, so it does not).
    Pattern(String),
}

impl TargetModules {
    /// A list of names.
    pub fn list<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        Self::List(names.into_iter().map(Into::into).collect())
    }

    /// A matcher for module paths; fails on an invalid regular expression.
    pub fn matcher(&self) -> Result<TargetMatcher, LoraError> {
        Ok(match self {
            Self::List(names) => TargetMatcher::List(names.clone()),
            Self::Pattern(p) if p == "all-linear" => TargetMatcher::All,
            Self::Pattern(p) => {
                TargetMatcher::Regex(regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                    LoraError::TargetRegex { pattern: p.clone(), message: e.to_string() }
                })?)
            }
        })
    }
}

impl std::fmt::Display for TargetModules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::List(names) => write!(f, "{names:?}"),
            Self::Pattern(p) => write!(f, "{p:?}"),
        }
    }
}

/// A compiled [`TargetModules`].
#[derive(Debug, Clone)]
pub enum TargetMatcher {
    /// Exact names or dotted suffixes.
    List(Vec<String>),
    /// A whole-path regular expression.
    Regex(regex::Regex),
    /// Every layer.
    All,
}

impl TargetMatcher {
    /// Whether the module at `path` is targeted, by PEFT's rules.
    pub fn matches(&self, path: &str) -> bool {
        match self {
            Self::List(names) => {
                names.iter().any(|n| path == n || path.ends_with(&format!(".{n}")))
            }
            Self::Regex(re) => re.is_match(path),
            Self::All => true,
        }
    }
}

/// The options of a LoRA adapter on named layers, with PEFT's field names and meaning; the
/// content of `adapter_config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraAdapterConfig {
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
    /// How A and B start.
    #[serde(default = "default_init")]
    pub init_lora_weights: InitLoraWeights,
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
fn default_init() -> InitLoraWeights {
    InitLoraWeights::Kaiming
}
fn default_bias() -> String {
    "none".into()
}
fn default_true() -> bool {
    true
}

impl LoraAdapterConfig {
    /// PEFT's defaults (Kaiming init, no dropout, no rsLoRA) with rank `r`, `lora_alpha` and
    /// the targets.
    pub fn new(r: usize, lora_alpha: f64, target_modules: TargetModules) -> Self {
        Self {
            peft_type: default_peft_type(),
            r,
            lora_alpha,
            lora_dropout: 0.0,
            use_rslora: false,
            init_lora_weights: InitLoraWeights::Kaiming,
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
            other: BTreeMap::new(),
        }
    }

    /// The same options with another init.
    pub fn with_init(mut self, init: InitLoraWeights) -> Self {
        self.init_lora_weights = init;
        self
    }

    /// The same options with another dropout probability.
    pub fn with_dropout(mut self, lora_dropout: f64) -> Self {
        self.lora_dropout = lora_dropout;
        self
    }

    /// The same options with rsLoRA on or off.
    pub fn with_rslora(mut self, use_rslora: bool) -> Self {
        self.use_rslora = use_rslora;
        self
    }

    /// The adapter of a [`LoraConfig`] on the given targets. The paper's init has scaling 1,
    /// so its `lora_alpha` becomes r (sqrt(r) with rsLoRA), which PEFT reads as scaling 1 too.
    pub fn from_lora_config(config: &LoraConfig, target_modules: TargetModules) -> Self {
        let r = config.rank;
        let lora_alpha = match (config.init, config.use_rslora) {
            (LoraInit::Paper | LoraInit::Gradient, false) => r as f64,
            (LoraInit::Paper | LoraInit::Gradient, true) => (r as f64).sqrt(),
            _ => config.alpha,
        };
        Self::new(r, lora_alpha, target_modules)
            .with_init(config.init.into())
            .with_rslora(config.use_rslora)
    }

    /// The compact [`LoraConfig`] of these options (target modules and dropout dropped); fails
    /// for inits that [`LoraInit`] does not have.
    pub fn to_lora_config(&self) -> Result<LoraConfig, LoraError> {
        let init = self.init_lora_weights.lora_init().ok_or_else(|| LoraError::Unsupported {
            option: "init_lora_weights".into(),
            value: self.init_lora_weights.to_peft_value().to_string(),
        })?;
        let alpha = if matches!(init, LoraInit::Paper | LoraInit::Gradient) {
            1.0
        } else {
            self.lora_alpha
        };
        Ok(LoraConfig { rank: self.r, alpha, use_rslora: self.use_rslora, init })
    }

    /// The factor multiplying B A: lora_alpha / r, or lora_alpha / sqrt(r) with rsLoRA.
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

    /// The config as adapter_config.json text, with `init_lora_weights` as PEFT accepts it.
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).expect("the config is plain data");
        value["init_lora_weights"] = self.init_lora_weights.to_peft_value();
        serde_json::to_string_pretty(&value).expect("a JSON value prints")
    }

    /// Parses adapter_config.json text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_peft_written_config() {
        let text = include_str!("../tests/data/peft-fixture/adapter_config.json");
        let config = LoraAdapterConfig::from_json(text).unwrap();
        assert_eq!(config.r, 4);
        assert_eq!(config.lora_alpha, 8.0);
        assert_eq!(config.init_lora_weights, InitLoraWeights::Gaussian);
        assert_eq!(config.target_modules, TargetModules::list(["lin0", "lin1"]));
        assert_eq!(config.scaling(), 2.0);
        assert!(config.validate().is_ok());
        // Unknown PEFT fields survive a round trip.
        assert_eq!(config.other["peft_version"], "0.21.0");
        let again = LoraAdapterConfig::from_json(&config.to_json()).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn init_names_follow_peft() {
        for (json, init) in [
            ("true", InitLoraWeights::Kaiming),
            ("false", InitLoraWeights::Random),
            ("\"gaussian\"", InitLoraWeights::Gaussian),
            ("\"pissa\"", InitLoraWeights::Other("pissa".into())),
        ] {
            assert_eq!(serde_json::from_str::<InitLoraWeights>(json).unwrap(), init);
            assert_eq!(init.to_peft_value().to_string(), json);
        }
        // This crate's own inits are written as PEFT's default.
        assert_eq!(InitLoraWeights::Paper.to_peft_value(), serde_json::Value::Bool(true));
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
    fn converts_to_and_from_lora_config() {
        let compact =
            LoraConfig { rank: 4, alpha: 8.0, use_rslora: true, init: LoraInit::Gaussian };
        let adapter = LoraAdapterConfig::from_lora_config(&compact, TargetModules::list(["w"]));
        assert_eq!(adapter.scaling(), compact.scaling());
        assert_eq!(adapter.to_lora_config().unwrap(), compact);
        // The paper's scaling 1 survives as lora_alpha = r.
        let paper =
            LoraAdapterConfig::from_lora_config(&LoraConfig::paper(3), TargetModules::list(["w"]));
        assert_eq!(paper.scaling(), 1.0);
        assert_eq!(paper.to_lora_config().unwrap(), LoraConfig::paper(3));
        let other = adapter.with_init(InitLoraWeights::Other("pissa".into()));
        assert!(matches!(other.to_lora_config(), Err(LoraError::Unsupported { .. })));
    }

    #[test]
    fn unsupported_options_are_named() {
        let base = LoraAdapterConfig::new(2, 4.0, TargetModules::list(["w"]));
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
