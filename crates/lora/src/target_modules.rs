//! PEFT's `target_modules`: which layers of a model get an adapter, by module path.

use serde::{Deserialize, Serialize};

use crate::LoraError;

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
