//! How a model is fine-tuned from a checkpoint: LoRA of a rank, or every weight. Shared by the
//! kinds that fine-tune from checkpoints (pretrain, vit).

use serde::Serialize;

/// How the weights are fine-tuned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FinetuneMethod {
    /// LoRA of this rank on the frozen checkpoint.
    Lora {
        /// The rank r.
        rank: usize,
    },
    /// Every weight trained.
    Full,
}

impl FinetuneMethod {
    /// `lora-r<rank>` or `full`.
    pub fn name(&self) -> String {
        match self {
            FinetuneMethod::Lora { rank } => format!("lora-r{rank}"),
            FinetuneMethod::Full => "full".into(),
        }
    }

    /// The methods of a config: LoRA at each of `ranks` in order, then full fine-tuning when
    /// `full`.
    pub fn list(ranks: &[usize], full: bool) -> Vec<FinetuneMethod> {
        let mut methods: Vec<FinetuneMethod> =
            ranks.iter().map(|&rank| FinetuneMethod::Lora { rank }).collect();
        if full {
            methods.push(FinetuneMethod::Full);
        }
        methods
    }

    /// LoRA of `rank`, or full fine-tuning for `None`: the inverse of [`FinetuneMethod::rank`].
    pub fn from_rank(rank: Option<usize>) -> Self {
        rank.map_or(FinetuneMethod::Full, |rank| FinetuneMethod::Lora { rank })
    }

    /// The LoRA rank, or `None` for full fine-tuning.
    pub fn rank(&self) -> Option<usize> {
        match *self {
            FinetuneMethod::Lora { rank } => Some(rank),
            FinetuneMethod::Full => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_list_ranks_then_full() {
        let methods = FinetuneMethod::list(&[1, 4], true);
        let names: Vec<String> = methods.iter().map(FinetuneMethod::name).collect();
        assert_eq!(names, ["lora-r1", "lora-r4", "full"]);
        assert_eq!(FinetuneMethod::list(&[2], false), [FinetuneMethod::Lora { rank: 2 }]);
        assert_eq!(methods[1].rank(), Some(4));
        assert_eq!(FinetuneMethod::Full.rank(), None);
    }

    /// The serialized form is part of the pre-training kind's record keys.
    #[test]
    fn serialized_form_is_stable() {
        let json = serde_json::to_string(&FinetuneMethod::list(&[3], true)).unwrap();
        assert_eq!(json, r#"[{"Lora":{"rank":3}},"Full"]"#);
    }
}
