//! A module's float parameters as named host tensors (for the checkpoint store) and back,
//! in PyTorch's names and layouts (see [`goldilocks_lora::pytorch_state_dict`]): e.g.
//! `blocks.0.attention.query.weight` `[out, in]`, so that a checkpoint is what
//! `torch.save(model.state_dict())` of the same model in PyTorch holds.

use std::collections::BTreeMap;

use burn::module::Module;
use burn::tensor::backend::Backend;
use goldilocks_lora::peft_files::HostTensor;
use goldilocks_lora::{load_pytorch_state_dict, pytorch_state_dict};
use goldilocks_store::{CheckpointStore, NamedTensor};

use crate::ExperimentError;

/// How checkpoints name and lay out their tensors; part of the store's config hash, so that
/// a store written in another layout is never read as this one.
pub const CHECKPOINT_LAYOUT: &str = "pytorch-state-dict";

/// Every float parameter of `module`, by PyTorch name, in PyTorch's layout.
pub fn module_tensors<B: Backend, M: Module<B>>(module: &M) -> Vec<NamedTensor> {
    pytorch_state_dict(module)
        .into_iter()
        .map(|(name, tensor)| NamedTensor { name, shape: tensor.shape, data: tensor.data })
        .collect()
}

/// `module` with every float parameter replaced by the tensor of its PyTorch name in
/// `tensors` (keeping each parameter's `require_grad`); every parameter must be present with
/// its shape, and every tensor must be used.
pub fn load_module_tensors<B: Backend, M: Module<B>>(
    module: M,
    tensors: Vec<NamedTensor>,
    origin: &str,
) -> Result<M, ExperimentError> {
    let bad = |message: String| ExperimentError::Checkpoint { origin: origin.into(), message };
    let state: BTreeMap<String, HostTensor> = tensors
        .into_iter()
        .map(|t| (t.name, HostTensor { shape: t.shape, data: t.data }))
        .collect();
    let loaded = load_pytorch_state_dict(module, &state).map_err(|e| bad(e.to_string()))?;
    if let Some(name) = loaded.missing.first() {
        return Err(bad(format!("has no tensor `{name}`")));
    }
    if let Some(name) = loaded.unused.first() {
        return Err(bad(format!("holds tensor `{name}`, which the model does not have")));
    }
    Ok(loaded.module)
}

/// `model` (a freshly built model of the checkpoint's architecture) with the weights of
/// checkpoint `step` of `store`, verified against its SHA-256.
pub fn load_checkpoint<B: Backend, M: Module<B>>(
    store: &CheckpointStore,
    step: usize,
    model: M,
) -> Result<M, ExperimentError> {
    let checkpoint = store.load(step)?;
    load_module_tensors(model, checkpoint.tensors, &checkpoint_origin(store, step))
}

/// How errors name checkpoint `step` of `store`: its file.
pub(crate) fn checkpoint_origin(store: &CheckpointStore, step: usize) -> String {
    store.path_of(step).map_or_else(|| format!("step {step}"), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use goldilocks_model::{VitConfig, VitShape};

    #[test]
    fn parameters_round_trip_by_name() {
        let device = Default::default();
        let config = VitShape { depth: 1, ..VitShape::default() }.with_classes(3);
        let a = config.init::<NdArray>(&device).unwrap();
        let tensors = module_tensors(&a);
        assert!(tensors
            .iter()
            .any(|t| t.name == "blocks.0.attention.query.weight" && t.shape == [64, 64]));
        let head = tensors.iter().find(|t| t.name == "head.weight").unwrap();
        assert_eq!(head.shape, [3, 64], "PyTorch's [out, in]");
        let b =
            load_module_tensors(config.init::<NdArray>(&device).unwrap(), tensors.clone(), "test")
                .unwrap();
        assert_eq!(module_tensors(&b), tensors);

        let error = load_module_tensors(
            VitConfig::tiny(3).init::<NdArray>(&device).unwrap(),
            tensors.clone(),
            "ckpt",
        )
        .unwrap_err();
        assert!(error.to_string().contains("blocks.1"), "{error}");
        let mut wrong = tensors.clone();
        wrong[0].shape = vec![1];
        assert!(
            load_module_tensors(config.init::<NdArray>(&device).unwrap(), wrong, "ckpt").is_err()
        );
    }
}
