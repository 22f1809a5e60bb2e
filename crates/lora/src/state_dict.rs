//! A burn module's parameters under PyTorch's names and layouts (its `state_dict`), and back.
//!
//! Names are the dotted field paths of the module tree (a `Vec` of modules contributes its
//! indices, as PyTorch's `ModuleList`). Three rules make them PyTorch's: the weight of a burn
//! `Linear` (`[in, out]`) is stored transposed, `[out, in]`, as `nn.Linear` holds it; a
//! `LayerNorm`'s `gamma` and `beta` are `weight` and `bias`, as in `nn.LayerNorm`; and a
//! [`LoraLinear`](crate::LoraLinear) is named as the plain layer it wraps (`<path>.weight`,
//! not `<path>.base.weight`), so that the base model's file is what PyTorch saves for the
//! model without PEFT. LoRA factors are not part of the state dict: they belong to the
//! adapter file ([`crate::save_adapter`]).
//!
//! burn-store's PyTorch adapter does the same renaming through burn-store's own snapshot
//! types; this module keeps to [`HostTensor`], the type of the adapter files, so that
//! adapters, saved modules and checkpoints go through one writer that is deterministic and
//! atomic.

use std::collections::{BTreeMap, BTreeSet};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::peft_files::HostTensor;
use crate::LoraError;

/// Every float parameter of `module` but the LoRA factors, by PyTorch name, in PyTorch's
/// layout.
pub fn pytorch_state_dict<B: Backend, M: Module<B>>(module: &M) -> BTreeMap<String, HostTensor> {
    let mut tensors = BTreeMap::new();
    visit_float_params(
        module,
        |path, rank| pytorch_name(path, rank).is_some(),
        |path, tensor| {
            let (name, transposed) = pytorch_name(path, tensor.shape.len()).expect("selected");
            let tensor = if transposed { tensor.transposed().expect("2-D") } else { tensor };
            tensors.insert(name, tensor);
        },
    );
    tensors
}

/// The (field name, container type) of every module from the root down to a parameter.
pub(crate) type ModulePath = [(String, String)];

/// Calls `each` with the path and the host copy of every float parameter of `module` whose
/// path and rank `select` accepts (the others are not copied).
pub(crate) fn visit_float_params<B: Backend, M: Module<B>>(
    module: &M,
    select: impl Fn(&ModulePath, usize) -> bool,
    each: impl FnMut(&ModulePath, HostTensor),
) {
    let mut visitor = FloatParams { path: Vec::new(), select, each };
    module.visit(&mut visitor);
}

/// A tensor's values on the host, as f32.
pub(crate) fn host_tensor<B: Backend, const D: usize>(value: Tensor<B, D>) -> HostTensor {
    let shape = value.dims().to_vec();
    let data = value.into_data().convert::<f32>().to_vec::<f32>().expect("float data");
    HostTensor { shape, data }
}

/// The outcome of [`load_pytorch_state_dict`].
#[derive(Debug)]
pub struct LoadedStateDict<M> {
    /// The module, with every parameter named in the state dict replaced.
    pub module: M,
    /// The module's parameters (PyTorch names) that the state dict does not hold; they keep
    /// their values.
    pub missing: Vec<String>,
    /// The state dict's tensors that name no parameter of the module.
    pub unused: Vec<String>,
}

/// `module` with every parameter that `tensors` names replaced by its tensor (converted from
/// PyTorch's layout; each parameter keeps its `require_grad`). Fails, naming the tensor, when
/// a shape does not fit; reports the parameters not in `tensors` and the tensors not used,
/// for the caller to judge.
pub fn load_pytorch_state_dict<B: Backend, M: Module<B>>(
    module: M,
    tensors: &BTreeMap<String, HostTensor>,
) -> Result<LoadedStateDict<M>, LoraError> {
    let mut mapper = Load {
        stack: Vec::new(),
        tensors,
        used: BTreeSet::new(),
        missing: Vec::new(),
        error: None,
    };
    let module = module.map(&mut mapper);
    if let Some(error) = mapper.error {
        return Err(error);
    }
    let unused = tensors.keys().filter(|name| !mapper.used.contains(*name)).cloned().collect();
    Ok(LoadedStateDict { module, missing: mapper.missing, unused })
}

/// Whether the parameter `name` belongs to one of `modules` (PEFT's `modules_to_save`): a
/// module matches when its path is the entry or ends with `.` and the entry, as PEFT
/// matches them.
pub fn belongs_to_modules(name: &str, modules: &[String]) -> bool {
    let segments: Vec<&str> = name.split('.').collect();
    (1..segments.len()).any(|end| {
        let path = segments[..end].join(".");
        modules.iter().any(|m| path == *m || path.ends_with(&format!(".{m}")))
    })
}

/// The PyTorch name of the parameter at the end of `stack` ((field, container type) pairs)
/// and whether it is transposed; `None` for a LoRA factor.
fn pytorch_name(stack: &ModulePath, rank: usize) -> Option<(String, bool)> {
    let mut names = Vec::new();
    for (index, (field, container)) in stack.iter().enumerate() {
        match container.as_str() {
            "Struct:LoraAdapter" => return None,
            "Struct:LoraLinear" if field == "base" && index + 2 == stack.len() => continue,
            "Struct:LayerNorm" if field == "gamma" => names.push("weight"),
            "Struct:LayerNorm" if field == "beta" => names.push("bias"),
            _ => names.push(field.as_str()),
        }
    }
    let transposed = rank == 2
        && stack
            .last()
            .is_some_and(|(field, container)| field == "weight" && container == "Struct:Linear");
    Some((names.join("."), transposed))
}

struct FloatParams<S, E> {
    path: Vec<(String, String)>,
    select: S,
    each: E,
}

impl<B, S, E> ModuleVisitor<B> for FloatParams<S, E>
where
    B: Backend,
    S: Fn(&ModulePath, usize) -> bool,
    E: FnMut(&ModulePath, HostTensor),
{
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push((name.to_string(), container_type.to_string()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if (self.select)(&self.path, D) {
            (self.each)(&self.path, host_tensor(param.val()));
        }
    }
}

struct Load<'a> {
    stack: Vec<(String, String)>,
    tensors: &'a BTreeMap<String, HostTensor>,
    used: BTreeSet<String>,
    missing: Vec<String>,
    error: Option<LoraError>,
}

impl<B: Backend> ModuleMapper<B> for Load<'_> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.stack.push((name.to_string(), container_type.to_string()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.stack.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let Some((name, transposed)) = pytorch_name(&self.stack, D) else { return param };
        let Some(stored) = self.tensors.get(&name) else {
            self.missing.push(name);
            return param;
        };
        let (id, old, mapper) = param.consume();
        let dims = old.dims().to_vec();
        let mut expected = dims.clone();
        if transposed {
            expected.swap(0, 1);
        }
        if stored.shape != expected {
            self.error.get_or_insert(LoraError::Shape(format!(
                "tensor {name} has shape {:?}, the model needs {expected:?}",
                stored.shape
            )));
            return Param::from_mapped_value(id, old, mapper);
        }
        let mut tensor = Tensor::<B, D>::from_data(
            TensorData::new(stored.data.clone(), expected),
            &old.device(),
        );
        if transposed {
            tensor = tensor.swap_dims(0, 1);
        }
        self.used.insert(name);
        Param::from_mapped_value(id, tensor.set_require_grad(old.is_require_grad()), mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{apply_lora, LoraConfig, LoraInit, LoraLinear, TargetModules};
    use burn::backend::NdArray;
    use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
    use rand::SeedableRng;

    type B = NdArray;

    #[derive(Module, Debug)]
    struct Net<B: Backend> {
        blocks: Vec<LoraLinear<B>>,
        norm: LayerNorm<B>,
        head: Linear<B>,
    }

    impl<B: Backend> crate::LoraModel<B> for Net<B> {
        fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
            crate::nested("blocks", self.blocks.lora_linears())
        }
    }

    fn net(seed: u64) -> Net<B> {
        let device = Default::default();
        B::seed(&device, seed);
        Net {
            blocks: vec![LinearConfig::new(5, 5).init(&device).into(); 2],
            norm: LayerNormConfig::new(5).init(&device),
            head: LinearConfig::new(5, 3).init(&device),
        }
    }

    #[test]
    fn names_and_layouts_are_pytorch_and_load_back() {
        let mut model = net(1);
        let config =
            LoraConfig::new(2, 2.0, TargetModules::list(["blocks.0"])).with_init(LoraInit::Random);
        apply_lora(&mut model, &config, &mut rand::rngs::StdRng::seed_from_u64(0)).unwrap();
        let state = pytorch_state_dict(&model);
        let names: Vec<&str> = state.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "blocks.0.bias",
                "blocks.0.weight",
                "blocks.1.bias",
                "blocks.1.weight",
                "head.bias",
                "head.weight",
                "norm.bias",
                "norm.weight"
            ]
        );
        assert_eq!(state["head.weight"].shape, [3, 5]);
        let (weight, _) = crate::linear_to_pytorch(&model.head);
        assert_eq!(state["head.weight"], weight);

        let loaded = load_pytorch_state_dict(net(2), &state).unwrap();
        assert!(loaded.missing.is_empty() && loaded.unused.is_empty());
        assert_eq!(pytorch_state_dict(&loaded.module), state);

        let mut partial = state.clone();
        partial.remove("norm.bias");
        partial.insert("extra.weight".into(), state["head.bias"].clone());
        let loaded = load_pytorch_state_dict(net(2), &partial).unwrap();
        assert_eq!(loaded.missing, ["norm.bias"]);
        assert_eq!(loaded.unused, ["extra.weight"]);

        let mut wrong = state;
        wrong.insert("head.weight".into(), HostTensor::new(vec![5, 3], vec![0.0; 15]).unwrap());
        let error = load_pytorch_state_dict(net(2), &wrong).unwrap_err();
        assert!(error.to_string().contains("head.weight has shape [5, 3]"), "{error}");
    }

    #[test]
    fn modules_match_as_in_peft() {
        let modules = vec!["head".to_string()];
        assert!(belongs_to_modules("head.weight", &modules));
        assert!(belongs_to_modules("model.head.bias", &modules));
        assert!(belongs_to_modules("head.dense.weight", &modules));
        assert!(!belongs_to_modules("heads.weight", &modules));
        assert!(!belongs_to_modules("head", &modules));
        assert!(!belongs_to_modules("blocks.0.weight", &modules));
    }
}
