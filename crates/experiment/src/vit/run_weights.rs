//! The trained weights of a fine-tuning run, saved when `record.save_adapters` is on: a LoRA
//! run as a PEFT adapter folder (adapters on every attention and MLP linear, the new head as
//! `modules_to_save`), a full run as `model.safetensors` holding the whole model in PyTorch's
//! names and layout. Each folder is written beside its final place and renamed into it, so
//! that an interrupted save leaves no half-written folder, and its digest goes into the run's
//! record, so that a stored run is reused only with the weights it recorded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::backend::AutodiffBackend;
use goldilocks_lora::{load_adapter, save_adapter};
use goldilocks_model::Vit;
use goldilocks_store::{decode_safetensors, file_sha256, write_safetensors};

use crate::sweep::{load_module_tensors, module_tensors, RunSpec};
use crate::vit::run::open_checkpoints;
use crate::vit::{load_checkpoint, VitExperimentConfig};
use crate::{ExperimentError, FinetuneMethod};

/// The file of a full fine-tuning run's weights.
pub const FULL_MODEL_FILE: &str = "model.safetensors";

/// The folder of the saved weights of run `spec` in the experiment's results folder:
/// `adapters/step-<step>/<method>-seed<seed>/`.
pub fn run_weights_dir(experiment_dir: &Path, spec: &RunSpec) -> PathBuf {
    experiment_dir.join("adapters").join(format!("step-{:08}", spec.pretrain_step)).join(format!(
        "{}-seed{}",
        spec.method.name(),
        spec.seed
    ))
}

/// Saves the weights of `model`, trained by run `spec`, into `dir` (replacing what is there)
/// and returns the folder's digest ([`folder_digest`]).
pub fn save_run_weights<B: AutodiffBackend>(
    config: &VitExperimentConfig,
    model: &Vit<B>,
    spec: &RunSpec,
    dir: &Path,
) -> Result<String, ExperimentError> {
    let io_error = |path: &Path, error: std::io::Error| ExperimentError::Write {
        path: path.to_path_buf(),
        message: error.to_string(),
    };
    let temp = temp_dir_of(dir);
    if temp.exists() {
        std::fs::remove_dir_all(&temp).map_err(|e| io_error(&temp, e))?;
    }
    match spec.method {
        FinetuneMethod::Lora { rank } => {
            save_adapter(model, &config.finetune.lora_config(rank), &temp)?;
        }
        FinetuneMethod::Full => {
            std::fs::create_dir_all(&temp).map_err(|e| io_error(&temp, e))?;
            let path = temp.join(FULL_MODEL_FILE);
            write_safetensors(&path, &module_tensors(model), &BTreeMap::new())?;
        }
    }
    let digest = folder_digest(&temp)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| io_error(dir, e))?;
    }
    std::fs::rename(&temp, dir).map_err(|e| io_error(dir, e))?;
    Ok(digest)
}

/// The model that run `spec` of the experiment in `experiment_dir` trained, rebuilt from its
/// checkpoint and its saved weights ([`run_weights_dir`]): for LoRA the checkpoint with the
/// adapters and head of the PEFT folder, for full fine-tuning the whole model from
/// `model.safetensors`.
pub fn load_run_weights<B: AutodiffBackend>(
    config: &VitExperimentConfig,
    experiment_dir: &Path,
    spec: &RunSpec,
    device: &B::Device,
) -> Result<Vit<B>, ExperimentError> {
    let store = open_checkpoints(config, experiment_dir)?;
    let dir = run_weights_dir(experiment_dir, spec);
    let classes = config.target.classes.len();
    let pretrained = load_checkpoint::<B>(config, &store, spec.pretrain_step, device)?;
    match spec.method {
        FinetuneMethod::Lora { .. } => {
            let mut model = pretrained.freeze().with_new_head(classes, device);
            load_adapter(&mut model, &dir)?;
            Ok(model)
        }
        FinetuneMethod::Full => {
            let path = dir.join(FULL_MODEL_FILE);
            let bytes = std::fs::read(&path).map_err(|e| ExperimentError::RunWeights {
                path: path.clone(),
                message: format!("cannot be read: {e}"),
            })?;
            let contents = decode_safetensors(&bytes, &path)?;
            let model = pretrained.with_new_head(classes, device);
            load_module_tensors(model, contents.tensors, &path.display().to_string())
        }
    }
}

/// SHA-256 (hex) of a folder's files: of the lines `<name> <SHA-256 of its bytes>`, by name.
/// A folder that is missing or cannot be read is an error.
pub fn folder_digest(dir: &Path) -> Result<String, ExperimentError> {
    let read_error = |error: std::io::Error| ExperimentError::RunWeights {
        path: dir.to_path_buf(),
        message: format!("cannot be listed: {error}"),
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    let mut listing = String::new();
    for name in names {
        let digest = file_sha256(&dir.join(&name))?;
        listing.push_str(&format!("{name} {digest}\n"));
    }
    Ok(goldilocks_store::sha256_hex(listing.as_bytes()))
}

/// Whether `dir` holds the weights whose digest is `digest`.
pub fn run_weights_match(dir: &Path, digest: &str) -> bool {
    folder_digest(dir).is_ok_and(|found| found == digest)
}

fn temp_dir_of(dir: &Path) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dir.with_file_name(format!(".{name}.partial"))
}
