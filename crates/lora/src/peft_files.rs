//! PEFT adapter files, without burn: `adapter_config.json` and `adapter_model.safetensors`.
//!
//! The weights file holds, for every adapted layer at module path `<path>`, the tensors
//! `base_model.model.<path>.lora_A.weight` `[r, in]` and `base_model.model.<path>.lora_B.weight`
//! `[out, r]` (PyTorch's layout), with metadata `{"format": "pt"}`, as PEFT writes them.
//! The parameters of the modules in `modules_to_save` (a new classifier head) are stored
//! beside them under their PyTorch names, `base_model.model.<path>.weight` and `.bias`, as
//! PEFT's `get_peft_model_state_dict` writes them.
//! Reading accepts F32, F64, F16 and BF16 tensors and converts them to f32.
//!
//! This module only reads and writes files; [`crate::save_adapter`] and
//! [`crate::load_adapter`] move the factors between these files and a burn model.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::state_dict::belongs_to_modules;
use crate::{AdapterFileError, LoraConfig};

/// The name of the config file in an adapter folder.
pub const ADAPTER_CONFIG_FILE: &str = "adapter_config.json";
/// The name of the weights file in an adapter folder.
pub const ADAPTER_WEIGHTS_FILE: &str = "adapter_model.safetensors";
/// The prefix PEFT puts before every module path.
pub const KEY_PREFIX: &str = "base_model.model.";

/// A dense f32 tensor on the host, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// The shape.
    pub shape: Vec<usize>,
    /// The entries, row-major; `shape.iter().product()` of them.
    pub data: Vec<f32>,
}

impl HostTensor {
    /// A tensor of the given shape; fails when the data does not fit.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Option<Self> {
        (shape.iter().product::<usize>() == data.len()).then_some(Self { shape, data })
    }

    /// The transpose of a 2-D tensor (`None` for other ranks).
    pub fn transposed(&self) -> Option<Self> {
        let [rows, cols] = self.shape[..] else { return None };
        let data = (0..cols)
            .flat_map(|c| (0..rows).map(move |r| (r, c)))
            .map(|(r, c)| self.data[r * cols + c])
            .collect();
        Some(Self { shape: vec![cols, rows], data })
    }
}

/// The two factors of one layer in PyTorch's layout.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerFactors {
    /// `lora_A.weight`, `[r, in]`.
    pub lora_a: HostTensor,
    /// `lora_B.weight`, `[out, r]`.
    pub lora_b: HostTensor,
}

/// An adapter as PEFT stores it: the config, the factors of every adapted layer by module
/// path, and the parameters of the saved modules by PyTorch name (both without the
/// `base_model.model.` prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct PeftAdapter {
    /// The content of adapter_config.json.
    pub config: LoraConfig,
    /// The factors by module path.
    pub layers: BTreeMap<String, LayerFactors>,
    /// The parameters of the modules in `config.modules_to_save`, in PyTorch's layout, by
    /// name (`head.weight`, `head.bias`).
    pub saved_modules: BTreeMap<String, HostTensor>,
}

/// The key of a factor in adapter_model.safetensors: `factor` is "lora_A" or "lora_B".
pub fn factor_key(module_path: &str, factor: &str) -> String {
    format!("{KEY_PREFIX}{module_path}.{factor}.weight")
}

impl PeftAdapter {
    /// Writes adapter_config.json and adapter_model.safetensors into `dir` (created if
    /// needed).
    pub fn save(&self, dir: &Path) -> Result<(), AdapterFileError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| AdapterFileError::Io { path: dir.to_path_buf(), source })?;
        let config_path = dir.join(ADAPTER_CONFIG_FILE);
        std::fs::write(&config_path, self.config.to_json() + "\n")
            .map_err(|source| AdapterFileError::Io { path: config_path, source })?;
        let mut tensors = BTreeMap::new();
        for (path, layer) in &self.layers {
            tensors.insert(factor_key(path, "lora_A"), layer.lora_a.clone());
            tensors.insert(factor_key(path, "lora_B"), layer.lora_b.clone());
        }
        for (name, tensor) in &self.saved_modules {
            tensors.insert(format!("{KEY_PREFIX}{name}"), tensor.clone());
        }
        let metadata = BTreeMap::from([("format".to_string(), "pt".to_string())]);
        write_safetensors(&dir.join(ADAPTER_WEIGHTS_FILE), &tensors, &metadata)
    }

    /// Reads an adapter folder written by PEFT or by [`PeftAdapter::save`], checking that
    /// `peft_type` is "LORA", that every key is a LoRA factor, that every layer has both
    /// factors, and that their shapes are `[r, in]` and `[out, r]`.
    pub fn load(dir: &Path) -> Result<Self, AdapterFileError> {
        let config_path = dir.join(ADAPTER_CONFIG_FILE);
        let text = read_file(&config_path)?;
        let json_error = |source| AdapterFileError::Json { path: config_path.clone(), source };
        let value: serde_json::Value = serde_json::from_slice(&text).map_err(json_error)?;
        match value.get("peft_type").and_then(|t| t.as_str()) {
            Some("LORA") => {}
            other => {
                return Err(AdapterFileError::UnsupportedPeftType {
                    path: config_path,
                    found: other.map_or_else(
                        || value.get("peft_type").map_or("(missing)".into(), |v| v.to_string()),
                        String::from,
                    ),
                })
            }
        }
        let config: LoraConfig = serde_json::from_value(value).map_err(json_error)?;
        let weights_path = dir.join(ADAPTER_WEIGHTS_FILE);
        let mut tensors = read_safetensors(&weights_path)?;
        let mut layers = BTreeMap::new();
        let mut saved_modules = BTreeMap::new();
        let saved_keys: Vec<String> =
            tensors.keys().filter(|key| module_path(key).is_none()).cloned().collect();
        for key in saved_keys {
            match key.strip_prefix(KEY_PREFIX) {
                Some(name) if belongs_to_modules(name, config.saved_modules()) => {
                    let tensor = tensors.remove(&key).expect("a listed key");
                    saved_modules.insert(name.to_string(), tensor);
                }
                _ => return Err(unexpected(&weights_path, &key)),
            }
        }
        let paths: Vec<String> = tensors.keys().filter_map(|key| module_path(key)).collect();
        for path in paths {
            if layers.contains_key(&path) {
                continue;
            }
            let mut take = |factor: &str| {
                let key = factor_key(&path, factor);
                tensors
                    .remove(&key)
                    .map(|t| (key.clone(), t))
                    .ok_or(AdapterFileError::MissingKey { path: weights_path.clone(), key })
            };
            let (a_key, lora_a) = take("lora_A")?;
            let (b_key, lora_b) = take("lora_B")?;
            let r = config.r;
            let shape_error =
                |key: &str, expected: Vec<usize>, found: &[usize]| AdapterFileError::Shape {
                    path: weights_path.clone(),
                    key: key.to_string(),
                    expected,
                    found: found.to_vec(),
                };
            match lora_a.shape[..] {
                [rows, _] if rows == r => {}
                [_, cols] => return Err(shape_error(&a_key, vec![r, cols], &lora_a.shape)),
                _ => return Err(shape_error(&a_key, vec![r, 0], &lora_a.shape)),
            }
            match lora_b.shape[..] {
                [_, cols] if cols == r => {}
                [rows, _] => return Err(shape_error(&b_key, vec![rows, r], &lora_b.shape)),
                _ => return Err(shape_error(&b_key, vec![0, r], &lora_b.shape)),
            }
            layers.insert(path, LayerFactors { lora_a, lora_b });
        }
        Ok(Self { config, layers, saved_modules })
    }
}

/// The module path of a factor key, or `None` for a key that is not
/// `base_model.model.<path>.lora_{A,B}.weight`.
fn module_path(key: &str) -> Option<String> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let path =
        rest.strip_suffix(".lora_A.weight").or_else(|| rest.strip_suffix(".lora_B.weight"))?;
    (!path.is_empty()).then(|| path.to_string())
}

fn unexpected(path: &Path, key: &str) -> AdapterFileError {
    AdapterFileError::UnexpectedKey { path: path.to_path_buf(), key: key.to_string() }
}

fn read_file(path: &Path) -> Result<Vec<u8>, AdapterFileError> {
    std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => AdapterFileError::MissingFile { path: path.to_path_buf() },
        _ => AdapterFileError::Io { path: path.to_path_buf(), source },
    })
}

/// Reads every tensor of a safetensors file as f32 (from F32, F64, F16 or BF16), by name.
pub fn read_safetensors(path: &Path) -> Result<BTreeMap<String, HostTensor>, AdapterFileError> {
    let bytes = read_file(path)?;
    let format_error = |e: safetensors::SafeTensorError| AdapterFileError::Safetensors {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = SafeTensors::deserialize(&bytes).map_err(format_error)?;
    let mut tensors = BTreeMap::new();
    for (name, view) in file.tensors() {
        let raw = view.data();
        let data: Vec<f32> = match view.dtype() {
            Dtype::F32 => {
                raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
            }
            Dtype::F64 => raw
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
                .collect(),
            Dtype::F16 => raw
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::BF16 => raw
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            other => {
                return Err(AdapterFileError::Dtype {
                    path: path.to_path_buf(),
                    key: name,
                    dtype: format!("{other:?}"),
                })
            }
        };
        tensors.insert(name, HostTensor { shape: view.shape().to_vec(), data });
    }
    Ok(tensors)
}

/// Writes f32 tensors and string metadata (no `__metadata__` entry when empty) as a
/// safetensors file, atomically: the bytes go to a temporary file in the same folder, which
/// is then renamed over `path`, so that a reader sees the old file or the new one, never a
/// partial one. Creates the parent folders.
pub fn write_safetensors(
    path: &Path,
    tensors: &BTreeMap<String, HostTensor>,
    metadata: &BTreeMap<String, String>,
) -> Result<(), AdapterFileError> {
    let format_error = |e: safetensors::SafeTensorError| AdapterFileError::Safetensors {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut raw = Vec::with_capacity(tensors.len());
    for (key, tensor) in tensors {
        if tensor.shape.iter().product::<usize>() != tensor.data.len() {
            return Err(AdapterFileError::Shape {
                path: path.to_path_buf(),
                key: key.clone(),
                expected: tensor.shape.clone(),
                found: vec![tensor.data.len()],
            });
        }
        let bytes: Vec<u8> = tensor.data.iter().flat_map(|x| x.to_le_bytes()).collect();
        raw.push((key.as_str(), tensor.shape.clone(), bytes));
    }
    let views = raw
        .iter()
        .map(|(key, shape, bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes).map(|view| (*key, view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(format_error)?;
    let info = (!metadata.is_empty())
        .then(|| metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    let bytes = safetensors::serialize(views, info).map_err(format_error)?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a temporary file next to `path`, flushes it to disk and renames it over
/// `path`; the temporary file is removed if anything fails.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AdapterFileError> {
    let io_error = |source| AdapterFileError::Io { path: path.to_path_buf(), source };
    let name = path.file_name().ok_or_else(|| {
        io_error(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"))
    })?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(io_error)?;
    let temp = dir.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
    let written = std::fs::File::create(&temp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io_error(source));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TargetModules;

    fn fixture() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/peft-fixture")
    }

    fn tensor(shape: &[usize]) -> HostTensor {
        let n = shape.iter().product::<usize>();
        HostTensor::new(shape.to_vec(), (0..n).map(|i| i as f32 * 0.5).collect()).unwrap()
    }

    #[test]
    fn reads_the_peft_written_adapter() {
        let adapter = PeftAdapter::load(&fixture()).unwrap();
        assert_eq!(adapter.layers.keys().collect::<Vec<_>>(), ["lin0", "lin1"]);
        assert_eq!(adapter.layers["lin0"].lora_a.shape, [4, 16]);
        assert_eq!(adapter.layers["lin0"].lora_b.shape, [8, 4]);
        assert_eq!(adapter.layers["lin1"].lora_a.shape, [4, 8]);
        assert_eq!(adapter.layers["lin1"].lora_b.shape, [4, 4]);
    }

    #[test]
    fn save_then_load_is_the_identity() {
        let dir = tempfile::tempdir().unwrap();
        let layers = BTreeMap::from([(
            "layers.0.proj".to_string(),
            LayerFactors { lora_a: tensor(&[2, 3]), lora_b: tensor(&[5, 2]) },
        )]);
        let config =
            LoraConfig::new(2, 4.0, TargetModules::list(["proj"])).with_modules_to_save(["head"]);
        let saved_modules = BTreeMap::from([
            ("head.weight".to_string(), tensor(&[4, 5])),
            ("head.bias".to_string(), tensor(&[4])),
        ]);
        let adapter = PeftAdapter { config, layers, saved_modules };
        adapter.save(dir.path()).unwrap();
        assert_eq!(PeftAdapter::load(dir.path()).unwrap(), adapter);
        let bytes = std::fs::read(dir.path().join(ADAPTER_WEIGHTS_FILE)).unwrap();
        let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
        assert_eq!(header.metadata().as_ref().unwrap()["format"], "pt");
        let mut keys: Vec<String> = header.tensors().into_keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "base_model.model.head.bias",
                "base_model.model.head.weight",
                "base_model.model.layers.0.proj.lora_A.weight",
                "base_model.model.layers.0.proj.lora_B.weight"
            ]
        );
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let missing = PeftAdapter::load(dir.path()).unwrap_err();
        assert!(
            matches!(&missing, AdapterFileError::MissingFile { path } if path.ends_with(ADAPTER_CONFIG_FILE))
        );

        let config = LoraConfig::new(2, 4.0, TargetModules::list(["proj"]));
        let write = |tensors: BTreeMap<String, HostTensor>| {
            std::fs::write(dir.path().join(ADAPTER_CONFIG_FILE), config.to_json()).unwrap();
            write_safetensors(&dir.path().join(ADAPTER_WEIGHTS_FILE), &tensors, &BTreeMap::new())
                .unwrap();
            PeftAdapter::load(dir.path()).unwrap_err()
        };
        let only_a = write(BTreeMap::from([(factor_key("proj", "lora_A"), tensor(&[2, 3]))]));
        assert!(
            matches!(&only_a, AdapterFileError::MissingKey { key, .. } if key == "base_model.model.proj.lora_B.weight"),
            "{only_a}"
        );
        let wrong_rank = write(BTreeMap::from([
            (factor_key("proj", "lora_A"), tensor(&[3, 3])),
            (factor_key("proj", "lora_B"), tensor(&[5, 2])),
        ]));
        assert!(
            matches!(&wrong_rank, AdapterFileError::Shape { expected, found, .. } if expected == &[2, 3] && found == &[3, 3]),
            "{wrong_rank}"
        );
        let stray =
            write(BTreeMap::from([("base_model.model.proj.weight".to_string(), tensor(&[2]))]));
        assert!(
            stray.to_string().contains("unexpected tensor base_model.model.proj.weight"),
            "{stray}"
        );

        std::fs::write(dir.path().join(ADAPTER_CONFIG_FILE), r#"{"peft_type": "IA3", "r": 2}"#)
            .unwrap();
        let ia3 = PeftAdapter::load(dir.path()).unwrap_err();
        assert!(
            matches!(&ia3, AdapterFileError::UnsupportedPeftType { found, .. } if found == "IA3")
        );
        assert!(ia3.to_string().contains(ADAPTER_CONFIG_FILE));
    }

    #[test]
    fn transposes_matrices() {
        let t = tensor(&[2, 3]);
        let back = t.transposed().unwrap();
        assert_eq!(back.shape, [3, 2]);
        assert_eq!(back.data, [0.0, 1.5, 0.5, 2.0, 1.0, 2.5]);
        assert_eq!(back.transposed().unwrap(), t);
    }
}
