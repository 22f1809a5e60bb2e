//! LoRA options, named as in PEFT's `LoraConfig`.

use serde::{Deserialize, Serialize};

use crate::LoraError;

/// How the factors start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoraInit {
    /// The paper's init: every entry of U is 1/N^2, each row of V is a random unit vector, and
    /// rows of V are scaled back to unit norm after every SGD step. The scaling is 1.
    Paper,
    /// PEFT's `init_lora_weights="gaussian"`: U = 0, V ~ N(0, (1/r)^2) entrywise.
    Gaussian,
    /// PEFT's default (`init_lora_weights=True`): U = 0, V Kaiming-uniform, bound 1/sqrt(N).
    Kaiming,
    /// Data-aware, in the spirit of LoRA-GA: the rows of V start along the top right singular
    /// vectors of the loss gradient with respect to the full weight at W0 (estimated on one
    /// batch, see [`gradient_aligned_factors`](crate::gradient_aligned_factors)); U, the scaling
    /// and the row renormalisation are the paper's, so it differs from `Paper` only in where V
    /// starts. [`initial_factors`](crate::initial_factors) draws the paper's init for it; the
    /// caller replaces V once the gradient is known.
    Gradient,
}

/// Rank, alpha, rsLoRA and the init mode of an adapter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoraConfig {
    /// Rank r of the update.
    pub rank: usize,
    /// PEFT's `lora_alpha`: the update is scaled by alpha / r (alpha / sqrt(r) with rsLoRA).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// PEFT's `use_rslora`.
    #[serde(default)]
    pub use_rslora: bool,
    /// How the factors start.
    #[serde(default = "default_init")]
    pub init: LoraInit,
}

fn default_alpha() -> f64 {
    1.0
}

fn default_init() -> LoraInit {
    LoraInit::Paper
}

impl LoraConfig {
    /// The paper's adapter of rank `rank`.
    pub fn paper(rank: usize) -> Self {
        Self { rank, alpha: 1.0, use_rslora: false, init: LoraInit::Paper }
    }

    /// Checks the options against a layer with `in_features` inputs.
    pub fn validate(&self, in_features: usize) -> Result<(), LoraError> {
        if self.rank == 0 || self.rank > in_features {
            return Err(LoraError::Rank { rank: self.rank, in_features });
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(LoraError::Alpha(self.alpha));
        }
        Ok(())
    }

    /// The factor multiplying U V: 1 for the paper's and the gradient init, alpha / r or
    /// alpha / sqrt(r) otherwise.
    pub fn scaling(&self) -> f64 {
        match (self.init, self.use_rslora) {
            (LoraInit::Paper | LoraInit::Gradient, _) => 1.0,
            (_, false) => self.alpha / self.rank as f64,
            (_, true) => self.alpha / (self.rank as f64).sqrt(),
        }
    }

    /// Whether rows of V are scaled back to unit norm after every step.
    pub fn renormalizes_rows(&self) -> bool {
        matches!(self.init, LoraInit::Paper | LoraInit::Gradient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_follows_peft() {
        let peft = LoraConfig { rank: 4, alpha: 8.0, use_rslora: false, init: LoraInit::Gaussian };
        assert_eq!(peft.scaling(), 2.0);
        assert_eq!(LoraConfig { use_rslora: true, ..peft }.scaling(), 4.0);
        assert_eq!(LoraConfig::paper(3).scaling(), 1.0);
    }

    #[test]
    fn bad_options_are_named() {
        assert_eq!(
            LoraConfig::paper(0).validate(10),
            Err(LoraError::Rank { rank: 0, in_features: 10 })
        );
        assert_eq!(
            LoraConfig::paper(11).validate(10),
            Err(LoraError::Rank { rank: 11, in_features: 10 })
        );
        let bad_alpha = LoraConfig { alpha: -1.0, ..LoraConfig::paper(1) };
        assert_eq!(bad_alpha.validate(10), Err(LoraError::Alpha(-1.0)));
        assert!(LoraError::Rank { rank: 0, in_features: 10 }.to_string().contains("rank"));
    }
}
