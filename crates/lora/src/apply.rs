//! LoRA on the linear layers of any burn model, chosen by name as PEFT's `target_modules`.
//!
//! burn modules are plain typed structs: a `Linear<B>` field cannot be swapped for another
//! type at run time, as PEFT swaps `nn.Linear` for `lora.Linear`. So a model that wants
//! adapters declares the layers that may carry one as [`LoraLinear<B>`] (without an adapter
//! it computes exactly what its `Linear` computes) and lists them with their module paths by
//! implementing [`LoraModel`], a few lines. Then:
//!
//! - [`apply_lora`] attaches adapters to the layers whose paths match `target_modules`;
//! - [`load_adapter`] does the same from a PEFT adapter folder and loads the trained factors;
//! - [`save_adapter`], [`trainable_parameters`] and [`merge_adapters`] /
//!   [`unmerge_adapters`] follow.
//!
//! [`save_adapter`] and [`trainable_parameters`] need only burn's `Module`: they find every
//! [`LoraAdapter`] in the module tree with a `ModuleVisitor`, using the field names as the
//! module path (a `Vec` of modules contributes its indices, as PyTorch's `ModuleList`).
//!
//! Limits: a layer that is a plain `Linear<B>` in the model cannot be targeted; per-layer
//! ranks (`rank_pattern`) are not supported; paths are whatever [`LoraModel`] reports, so they
//! must be written to match the PyTorch model's names for files to be exchanged.

use std::collections::BTreeMap;
use std::path::Path;

use burn::module::Module;
use burn::tensor::{backend::Backend, Tensor, TensorData};
use rand::Rng;

use crate::peft_files::{factor_key, HostTensor, LayerFactors, PeftAdapter, ADAPTER_WEIGHTS_FILE};
use crate::state_dict::{
    belongs_to_modules, load_pytorch_state_dict, pytorch_state_dict, visit_float_params, ModulePath,
};
use crate::{AdapterFileError, LoraAdapter, LoraConfig, LoraError, LoraLinear};

/// A model whose LoRA-capable layers can be listed with their module paths.
///
/// ```
/// use burn::prelude::*;
/// use goldilocks_lora::{LoraLinear, LoraModel};
///
/// #[derive(Module, Debug)]
/// struct Block<B: Backend> {
///     q_proj: LoraLinear<B>,
///     v_proj: LoraLinear<B>,
/// }
///
/// impl<B: Backend> LoraModel<B> for Block<B> {
///     fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
///         vec![("q_proj".into(), &mut self.q_proj), ("v_proj".into(), &mut self.v_proj)]
///     }
/// }
///
/// #[derive(Module, Debug)]
/// struct Encoder<B: Backend> {
///     layers: Vec<Block<B>>,
/// }
///
/// impl<B: Backend> LoraModel<B> for Encoder<B> {
///     fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
///         // Paths "layers.0.q_proj", ...; `Vec<M>` lists its items by index.
///         goldilocks_lora::nested("layers", self.layers.lora_linears())
///     }
/// }
/// ```
pub trait LoraModel<B: Backend> {
    /// Every layer that may carry an adapter, with its dotted module path (as in PyTorch's
    /// `named_modules`, e.g. `layers.0.attn.q_proj`).
    fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)>;
}

impl<B: Backend> LoraModel<B> for LoraLinear<B> {
    /// A lone layer has the empty path; it is targeted only by `"all-linear"` or a regex
    /// matching "".
    fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
        vec![(String::new(), self)]
    }
}

impl<B: Backend, M: LoraModel<B>> LoraModel<B> for Vec<M> {
    fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
        self.iter_mut()
            .enumerate()
            .flat_map(|(i, m)| nested(&i.to_string(), m.lora_linears()))
            .collect()
    }
}

/// Prefixes the paths of a submodule's layers with `prefix` and a dot.
pub fn nested<'a, B: Backend>(
    prefix: &str,
    layers: Vec<(String, &'a mut LoraLinear<B>)>,
) -> Vec<(String, &'a mut LoraLinear<B>)> {
    layers
        .into_iter()
        .map(|(path, layer)| {
            (if path.is_empty() { prefix.to_string() } else { format!("{prefix}.{path}") }, layer)
        })
        .collect()
}

/// Calls `attach(path, layer)` on every layer whose path matches `config.target_modules` and
/// returns the matched paths; fails when none matches (as PEFT does) or when `attach` fails.
pub fn apply_lora_with<B, M, F>(
    model: &mut M,
    config: &LoraConfig,
    mut attach: F,
) -> Result<Vec<String>, LoraError>
where
    B: Backend,
    M: LoraModel<B>,
    F: FnMut(&str, &mut LoraLinear<B>) -> Result<(), LoraError>,
{
    config.validate()?;
    let matcher = config.target_modules.matcher()?;
    let mut matched = Vec::new();
    let mut available = Vec::new();
    for (path, layer) in model.lora_linears() {
        if matcher.matches(&path) {
            attach(&path, layer)?;
            matched.push(path.clone());
        }
        available.push(path);
    }
    if matched.is_empty() {
        return Err(LoraError::NoTargetMatched {
            targets: config.target_modules.to_string(),
            available,
        });
    }
    Ok(matched)
}

/// Attaches a fresh adapter with the config's data-free init to every targeted layer and
/// returns their paths. For the gradient-aligned init, use [`apply_lora_with`] and
/// [`LoraLinear::attach_gradient_aligned`].
pub fn apply_lora<B: Backend, M: LoraModel<B>, R: Rng>(
    model: &mut M,
    config: &LoraConfig,
    rng: &mut R,
) -> Result<Vec<String>, LoraError> {
    apply_lora_with(model, config, |_, layer| layer.attach(config, rng))
}

/// Merges every adapter into its base weight.
pub fn merge_adapters<B: Backend, M: LoraModel<B>>(model: &mut M) {
    model.lora_linears().into_iter().for_each(|(_, layer)| layer.merge());
}

/// Unmerges every merged adapter.
pub fn unmerge_adapters<B: Backend, M: LoraModel<B>>(model: &mut M) {
    model.lora_linears().into_iter().for_each(|(_, layer)| layer.unmerge());
}

/// Parameter counts, as PEFT's `print_trainable_parameters`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParameterCount {
    /// Parameters of LoRA adapters (the only trainable ones with bias "none").
    pub trainable: usize,
    /// All parameters, base included.
    pub total: usize,
}

impl std::fmt::Display for ParameterCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let percent = 100.0 * self.trainable as f64 / self.total.max(1) as f64;
        write!(
            f,
            "trainable params: {} || all params: {} || trainable%: {percent:.4}",
            self.trainable, self.total
        )
    }
}

/// Counts the parameters of the LoRA adapters anywhere in `model` and all its parameters.
pub fn trainable_parameters<B: Backend, M: Module<B>>(model: &M) -> ParameterCount {
    let trainable =
        adapter_factors(model).values().map(|f| f.lora_a.data.len() + f.lora_b.data.len()).sum();
    ParameterCount { trainable, total: model.num_params() }
}

/// The factors of every adapter in `model`, by module path, in PyTorch's layout.
pub fn adapter_factors<B: Backend, M: Module<B>>(model: &M) -> BTreeMap<String, LayerFactors> {
    // lora_a `[in, r]` and lora_b `[r, out]` by module path of their `LoraLinear`.
    let mut factors: BTreeMap<String, [Option<HostTensor>; 2]> = BTreeMap::new();
    visit_float_params(
        model,
        |path, rank| rank == 2 && lora_factor(path).is_some(),
        |path, tensor| {
            let (layer, index) = lora_factor(path).expect("selected");
            factors.entry(layer).or_default()[index] = Some(tensor);
        },
    );
    factors
        .into_iter()
        .filter_map(|(path, [a, b])| {
            let lora_a = a?.transposed().expect("lora_a is 2-D");
            let lora_b = b?.transposed().expect("lora_b is 2-D");
            Some((path, LayerFactors { lora_a, lora_b }))
        })
        .collect()
}

/// For a LoRA factor's parameter path: the path of its `LoraLinear` and 0 for `lora_a`, 1
/// for `lora_b`; `None` for any other parameter.
fn lora_factor(path: &ModulePath) -> Option<(String, usize)> {
    let (field, container) = path.last()?;
    if container != "Struct:LoraAdapter" {
        return None;
    }
    let index = match field.as_str() {
        "lora_a" => 0,
        "lora_b" => 1,
        _ => return None,
    };
    // The path of the LoraLinear: the names above "<adapter field>.<factor>".
    let depth = path.len().saturating_sub(2);
    Some((path[..depth].iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join("."), index))
}

/// Saves the adapters of `model` alone, in PEFT's format, into `dir`, with the parameters of
/// the modules in `config.modules_to_save` (each must match a module with parameters).
///
/// `config` is written as adapter_config.json; its `r` must be the rank of every adapter.
pub fn save_adapter<B: Backend, M: Module<B>>(
    model: &M,
    config: &LoraConfig,
    dir: &Path,
) -> Result<(), AdapterFileError> {
    let layers = adapter_factors(model);
    let config_error = |source| AdapterFileError::Config { path: dir.to_path_buf(), source };
    config.validate().map_err(config_error)?;
    if layers.is_empty() {
        return Err(config_error(LoraError::Shape("the model has no adapters to save".into())));
    }
    if let Some((path, layer)) = layers.iter().find(|(_, l)| l.lora_a.shape[0] != config.r) {
        return Err(AdapterFileError::Shape {
            path: dir.join(ADAPTER_WEIGHTS_FILE),
            key: factor_key(path, "lora_A"),
            expected: vec![config.r, layer.lora_a.shape[1]],
            found: layer.lora_a.shape.clone(),
        });
    }
    let saved = config.saved_modules();
    let saved_modules: BTreeMap<String, HostTensor> = pytorch_state_dict(model)
        .into_iter()
        .filter(|(name, _)| belongs_to_modules(name, saved))
        .collect();
    let matches_nothing = |module: &&String| {
        !saved_modules.keys().any(|name| belongs_to_modules(name, std::slice::from_ref(*module)))
    };
    if let Some(module) = saved.iter().find(matches_nothing) {
        return Err(config_error(LoraError::NoSavedModule { module: module.clone() }));
    }
    PeftAdapter { config: config.clone(), layers, saved_modules }.save(dir)
}

/// Loads a PEFT adapter folder into `model`: attaches adapters to the layers that its
/// `target_modules` match, with its scaling and dropout, and sets their factors from the
/// weights file; then sets the parameters of the modules in `modules_to_save` (a trained
/// head). Every targeted layer must have its factors in the file, every parameter of a saved
/// module must be in the file, and every tensor in the file must belong to one of them.
/// Returns the config.
pub fn load_adapter<B: Backend, M: LoraModel<B> + Module<B>>(
    model: &mut M,
    dir: &Path,
) -> Result<LoraConfig, AdapterFileError> {
    let PeftAdapter { config, mut layers, saved_modules } = PeftAdapter::load(dir)?;
    let weights = dir.join(ADAPTER_WEIGHTS_FILE);
    let config_error = |source| AdapterFileError::Config {
        path: dir.join(crate::peft_files::ADAPTER_CONFIG_FILE),
        source,
    };
    config.validate().map_err(config_error)?;
    let matcher = config.target_modules.matcher().map_err(config_error)?;
    let mut matched = Vec::new();
    let mut available = Vec::new();
    for (path, layer) in model.lora_linears() {
        available.push(path.clone());
        if !matcher.matches(&path) {
            continue;
        }
        let factors = layers.remove(&path).ok_or_else(|| AdapterFileError::MissingKey {
            path: weights.clone(),
            key: factor_key(&path, "lora_A"),
        })?;
        let (n, k, r) = (layer.d_input(), layer.d_output(), config.r);
        for (key, tensor, expected) in
            [("lora_A", &factors.lora_a, [r, n]), ("lora_B", &factors.lora_b, [k, r])]
        {
            if tensor.shape != expected {
                return Err(AdapterFileError::Shape {
                    path: weights.clone(),
                    key: factor_key(&path, key),
                    expected: expected.to_vec(),
                    found: tensor.shape.clone(),
                });
            }
        }
        let device = layer.base.weight.device();
        let lora_a = to_tensor::<B>(&factors.lora_a.transposed().expect("2-D"), &device);
        let lora_b = to_tensor::<B>(&factors.lora_b.transposed().expect("2-D"), &device);
        let adapter =
            LoraAdapter::from_tensors(lora_a, lora_b, config.scaling(), config.lora_dropout)
                .map_err(config_error)?;
        layer.set_adapter(adapter).map_err(config_error)?;
        matched.push(path);
    }
    if let Some(path) = layers.keys().next() {
        return Err(AdapterFileError::UnexpectedKey {
            path: weights,
            key: factor_key(path, "lora_A"),
        });
    }
    if matched.is_empty() {
        return Err(config_error(LoraError::NoTargetMatched {
            targets: config.target_modules.to_string(),
            available,
        }));
    }
    if !saved_modules.is_empty() {
        load_saved_modules(model, &saved_modules, &config, &weights)?;
    }
    Ok(config)
}

/// Sets the parameters of the saved modules of `model` from `tensors` (PyTorch names).
fn load_saved_modules<B: Backend, M: Module<B>>(
    model: &mut M,
    tensors: &BTreeMap<String, HostTensor>,
    config: &LoraConfig,
    weights: &Path,
) -> Result<(), AdapterFileError> {
    let key = |name: &str| format!("{}{name}", crate::peft_files::KEY_PREFIX);
    let loaded = load_pytorch_state_dict(model.clone(), tensors)
        .map_err(|source| AdapterFileError::Config { path: weights.to_path_buf(), source })?;
    if let Some(name) = loaded.unused.first() {
        return Err(AdapterFileError::UnexpectedKey {
            path: weights.to_path_buf(),
            key: key(name),
        });
    }
    let saved = config.saved_modules();
    if let Some(name) = loaded.missing.iter().find(|name| belongs_to_modules(name, saved)) {
        return Err(AdapterFileError::MissingKey { path: weights.to_path_buf(), key: key(name) });
    }
    *model = loaded.module;
    Ok(())
}

fn to_tensor<B: Backend>(host: &HostTensor, device: &B::Device) -> Tensor<B, 2> {
    Tensor::from_data(TensorData::new(host.data.clone(), [host.shape[0], host.shape[1]]), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LoraInit, TargetModules};
    use burn::backend::NdArray;
    use burn::nn::LinearConfig;
    use rand::SeedableRng;

    type B = NdArray;

    #[derive(Module, Debug)]
    struct Block<B: Backend> {
        q_proj: LoraLinear<B>,
        out: LoraLinear<B>,
    }

    impl<B: Backend> LoraModel<B> for Block<B> {
        fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
            vec![("q_proj".into(), &mut self.q_proj), ("out".into(), &mut self.out)]
        }
    }

    #[derive(Module, Debug)]
    struct Net<B: Backend> {
        layers: Vec<Block<B>>,
    }

    impl<B: Backend> LoraModel<B> for Net<B> {
        fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
            nested("layers", self.layers.lora_linears())
        }
    }

    fn net() -> Net<B> {
        let device = Default::default();
        let block = || Block {
            q_proj: LinearConfig::new(6, 6).init(&device).into(),
            out: LinearConfig::new(6, 2).init(&device).into(),
        };
        Net { layers: vec![block(), block()] }
    }

    #[test]
    fn targets_select_layers_by_path() {
        let mut model = net();
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let config = LoraConfig::new(2, 4.0, TargetModules::list(["q_proj"]));
        let matched = apply_lora(&mut model, &config, &mut rng).unwrap();
        assert_eq!(matched, ["layers.0.q_proj", "layers.1.q_proj"]);
        assert!(model.layers[0].out.adapter.is_none());
        let count = trainable_parameters(&model);
        assert_eq!(count.trainable, 2 * 2 * (6 + 6));
        assert_eq!(count.total, 2 * (6 * 6 + 6 + 6 * 2 + 2) + count.trainable);
        assert!(count.to_string().starts_with("trainable params: 48 || all params: 160"));
        let factors = adapter_factors(&model);
        assert_eq!(factors.keys().collect::<Vec<_>>(), ["layers.0.q_proj", "layers.1.q_proj"]);
        assert_eq!(factors["layers.0.q_proj"].lora_a.shape, [2, 6]);
        assert_eq!(factors["layers.0.q_proj"].lora_b.shape, [6, 2]);

        let regex = LoraConfig::new(1, 1.0, TargetModules::Pattern(r"layers\.1\..*".into()));
        assert_eq!(
            apply_lora(&mut model, &regex, &mut rng).unwrap(),
            ["layers.1.q_proj", "layers.1.out"]
        );
    }

    #[test]
    fn unmatched_targets_are_an_error() {
        let mut model = net();
        let config = LoraConfig::new(2, 4.0, TargetModules::list(["k_proj"]));
        let error =
            apply_lora(&mut model, &config, &mut rand::rngs::StdRng::seed_from_u64(0)).unwrap_err();
        assert!(
            matches!(&error, LoraError::NoTargetMatched { available, .. } if available.len() == 4)
        );
    }

    #[test]
    fn merging_the_model_keeps_its_output() {
        let mut model = net();
        let config = LoraConfig::new(2, 4.0, TargetModules::Pattern("all-linear".into()))
            .with_init(LoraInit::Random);
        apply_lora(&mut model, &config, &mut rand::rngs::StdRng::seed_from_u64(3)).unwrap();
        let x = Tensor::<B, 2>::from_data(
            TensorData::new((0..12).map(|i| (i as f32).cos()).collect::<Vec<_>>(), [2, 6]),
            &Default::default(),
        );
        let forward = |m: &Net<B>| {
            m.layers
                .iter()
                .fold(x.clone(), |h, b| b.out.forward(b.q_proj.forward(h)).repeat_dim(1, 3))
        };
        let before = forward(&model);
        merge_adapters(&mut model);
        assert!(model.layers.iter().all(|b| b.q_proj.merged && b.out.merged));
        assert!((forward(&model) - before.clone()).abs().max().into_scalar() < 1e-5);
        unmerge_adapters(&mut model);
        assert!((forward(&model) - before).abs().max().into_scalar() < 1e-5);
    }
}
