//! A module's float parameters as named host tensors (for the checkpoint store) and back.
//! Names are the dotted module paths, e.g. `blocks.0.attention.query.base.weight`.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use goldilocks_store::NamedTensor;

use crate::ExperimentError;

/// Every float parameter of `module`, by path.
pub fn module_tensors<B: Backend, M: Module<B>>(module: &M) -> Vec<NamedTensor> {
    let mut visitor = Collect { path: Vec::new(), tensors: Vec::new() };
    module.visit(&mut visitor);
    visitor.tensors
}

/// `module` with every float parameter replaced by the tensor of the same name in
/// `tensors` (keeping each parameter's `require_grad`); every parameter must be present with
/// its shape, and every tensor must be used.
pub fn load_module_tensors<B: Backend, M: Module<B>>(
    module: M,
    tensors: &[NamedTensor],
    origin: &str,
) -> Result<M, ExperimentError> {
    let mut mapper = Load { path: Vec::new(), tensors, used: 0, error: None };
    let module = module.map(&mut mapper);
    let bad = |message: String| ExperimentError::Checkpoint { origin: origin.into(), message };
    if let Some(message) = mapper.error {
        return Err(bad(message));
    }
    if mapper.used != tensors.len() {
        return Err(bad(format!(
            "holds {} tensors, the model has {} parameters",
            tensors.len(),
            mapper.used
        )));
    }
    Ok(module)
}

struct Collect {
    path: Vec<String>,
    tensors: Vec<NamedTensor>,
}

impl<B: Backend> ModuleVisitor<B> for Collect {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let value = param.val();
        let shape = value.dims().to_vec();
        let data = value
            .into_data()
            .convert::<f32>()
            .to_vec::<f32>()
            .expect("a float tensor converts to f32");
        let name = self.path.join(".");
        self.tensors.push(NamedTensor { name, shape, data });
    }
}

struct Load<'a> {
    path: Vec<String>,
    tensors: &'a [NamedTensor],
    used: usize,
    error: Option<String>,
}

impl<B: Backend> ModuleMapper<B> for Load<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, old, mapper) = param.consume();
        let name = self.path.join(".");
        let dims = old.dims().to_vec();
        let Some(stored) = self.tensors.iter().find(|t| t.name == name) else {
            self.error.get_or_insert(format!("has no tensor `{name}`"));
            return Param::from_mapped_value(id, old, mapper);
        };
        if stored.shape != dims {
            self.error.get_or_insert(format!(
                "tensor `{name}` has shape {:?}, the model needs {dims:?}",
                stored.shape
            ));
            return Param::from_mapped_value(id, old, mapper);
        }
        self.used += 1;
        let tensor =
            Tensor::<B, D>::from_data(TensorData::new(stored.data.clone(), dims), &old.device())
                .set_require_grad(old.is_require_grad());
        Param::from_mapped_value(id, tensor, mapper)
    }
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
            .any(|t| t.name == "blocks.0.attention.query.base.weight" && t.shape == [64, 64]));
        let b = load_module_tensors(config.init::<NdArray>(&device).unwrap(), &tensors, "test")
            .unwrap();
        assert_eq!(module_tensors(&b), tensors);

        let error = load_module_tensors(
            VitConfig::tiny(3).init::<NdArray>(&device).unwrap(),
            &tensors,
            "ckpt",
        )
        .unwrap_err();
        assert!(error.to_string().contains("blocks.1"), "{error}");
        let mut wrong = tensors.clone();
        wrong[0].shape = vec![1];
        assert!(
            load_module_tensors(config.init::<NdArray>(&device).unwrap(), &wrong, "ckpt").is_err()
        );
    }
}
