//! burn `Linear` layers to and from PyTorch's `nn.Linear` weights (`weight` `[out, in]`,
//! `bias` `[out]`), e.g. to rebuild in burn a base model saved with
//! `safetensors.torch.save_file(model.state_dict(), ...)`.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::peft_files::HostTensor;
use crate::state_dict::host_tensor;
use crate::LoraError;

/// A burn `Linear` (weight `[in, out]`) from PyTorch's weight `[out, in]` and optional bias
/// `[out]`.
pub fn linear_from_pytorch<B: Backend>(
    weight: &HostTensor,
    bias: Option<&HostTensor>,
    device: &B::Device,
) -> Result<Linear<B>, LoraError> {
    let [out, _] = weight.shape[..] else {
        return Err(LoraError::Shape(format!(
            "a Linear weight must be 2-D, got {:?}",
            weight.shape
        )));
    };
    let transposed = weight.transposed().expect("2-D");
    let weight = Tensor::from_data(
        TensorData::new(transposed.data, [transposed.shape[0], transposed.shape[1]]),
        device,
    );
    let bias = match bias {
        Some(b) if b.shape != [out] => {
            return Err(LoraError::Shape(format!("bias {:?} for {out} outputs", b.shape)))
        }
        Some(b) => Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(b.data.clone(), [out]),
            device,
        ))),
        None => None,
    };
    Ok(Linear { weight: Param::from_tensor(weight), bias })
}

/// PyTorch's weight `[out, in]` and optional bias `[out]` of a burn `Linear`.
pub fn linear_to_pytorch<B: Backend>(linear: &Linear<B>) -> (HostTensor, Option<HostTensor>) {
    let weight = host_tensor(linear.weight.val().transpose());
    let bias = linear.bias.as_ref().map(|b| host_tensor(b.val()));
    (weight, bias)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;

    #[test]
    fn pytorch_weights_round_trip_and_compute_x_w_transposed() {
        let weight = HostTensor::new(vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let bias = HostTensor::new(vec![2], vec![0.5, -0.5]).unwrap();
        let linear =
            linear_from_pytorch::<NdArray>(&weight, Some(&bias), &Default::default()).unwrap();
        let x = Tensor::<NdArray, 2>::from_data(
            TensorData::new(vec![1.0f32, 0.0, -1.0], [1, 3]),
            &Default::default(),
        );
        // PyTorch: y = x W^T + b = [1 - 3 + 0.5, 4 - 6 - 0.5].
        assert_eq!(linear.forward(x).into_data().to_vec::<f32>().unwrap(), [-1.5, -2.5]);
        assert_eq!(linear_to_pytorch(&linear), (weight.clone(), Some(bias)));
        assert!(
            linear_from_pytorch::<NdArray>(&weight, Some(&weight), &Default::default()).is_err()
        );
    }
}
