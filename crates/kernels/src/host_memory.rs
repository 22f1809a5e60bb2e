//! Access to the host memory of a CPU backend's tensors, for the fused kernels.

use burn::tensor::{backend::Backend, Tensor, TensorData};

/// A backend whose float tensors live in host memory as f32 values, row-major.
///
/// The default methods go through [`TensorData`], which copies where the backend cannot
/// hand its buffer over; a backend overrides them where it can lend its buffer.
pub trait HostMemory: Backend {
    /// Calls `read` with the values of `tensor`, row-major.
    fn read_host<const D: usize, R>(tensor: &Tensor<Self, D>, read: impl FnOnce(&[f32]) -> R) -> R {
        let values = tensor.clone().into_data().convert::<f32>();
        read(values.as_slice::<f32>().expect("converted to f32"))
    }

    /// The values of `tensor`, row-major, taking its buffer where it is not shared.
    fn into_host<const D: usize>(tensor: Tensor<Self, D>) -> Vec<f32> {
        tensor.into_data().convert::<f32>().into_vec::<f32>().expect("converted to f32")
    }

    /// A tensor of shape `shape` holding `values`, row-major.
    fn from_host<const D: usize>(
        values: Vec<f32>,
        shape: [usize; D],
        device: &Self::Device,
    ) -> Tensor<Self, D> {
        Tensor::from_data(TensorData::new(values, shape), device)
    }
}
