//! The fixture's model in burn: output = lin1(relu(lin0(x))), lin0 = Linear(16, 8, no bias),
//! lin1 = Linear(8, 4).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::backend::NdArray;
use burn::prelude::*;
use goldilocks_lora::peft_files::{read_safetensors, HostTensor};
use goldilocks_lora::{linear_from_pytorch, linear_to_pytorch, LoraLinear, LoraModel};

pub type B = NdArray;

#[derive(Module, Debug)]
pub struct Net<B: Backend> {
    pub lin0: LoraLinear<B>,
    pub lin1: LoraLinear<B>,
}

impl<B: Backend> LoraModel<B> for Net<B> {
    fn lora_linears(&mut self) -> Vec<(String, &mut LoraLinear<B>)> {
        vec![("lin0".into(), &mut self.lin0), ("lin1".into(), &mut self.lin1)]
    }
}

impl<B: Backend> Net<B> {
    /// # Shapes
    ///
    /// - input: `[batch, 16]`
    /// - output: `[batch, 4]`
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.lin1.forward(burn::tensor::activation::relu(self.lin0.forward(x)))
    }

    /// The base model from PyTorch's state dict (`lin0.weight`, `lin1.weight`, `lin1.bias`).
    pub fn from_state_dict(tensors: &BTreeMap<String, HostTensor>, device: &B::Device) -> Self {
        let lin0 = linear_from_pytorch(&tensors["lin0.weight"], None, device).unwrap();
        let lin1 =
            linear_from_pytorch(&tensors["lin1.weight"], Some(&tensors["lin1.bias"]), device)
                .unwrap();
        Self { lin0: lin0.into(), lin1: lin1.into() }
    }

    /// The base weights as PyTorch's state dict.
    pub fn state_dict(&self) -> BTreeMap<String, HostTensor> {
        let (w0, _) = linear_to_pytorch(&self.lin0.base);
        let (w1, b1) = linear_to_pytorch(&self.lin1.base);
        BTreeMap::from([
            ("lin0.weight".into(), w0),
            ("lin1.weight".into(), w1),
            ("lin1.bias".into(), b1.unwrap()),
        ])
    }
}

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/peft-fixture")
}

pub fn tensor(host: &HostTensor) -> Tensor<B, 2> {
    Tensor::from_data(
        TensorData::new(host.data.clone(), [host.shape[0], host.shape[1]]),
        &Default::default(),
    )
}

pub fn host(t: Tensor<B, 2>) -> HostTensor {
    let shape = t.dims().to_vec();
    HostTensor::new(shape, t.into_data().to_vec::<f32>().unwrap()).unwrap()
}

pub fn max_abs_diff(a: Tensor<B, 2>, b: Tensor<B, 2>) -> f32 {
    (a - b).abs().max().into_scalar()
}

/// The fixture's base model, without adapters.
pub fn fixture_net() -> Net<B> {
    let base = read_safetensors(&fixture_dir().join("base_model.safetensors")).unwrap();
    Net::from_state_dict(&base, &Default::default())
}
