//! [`LoraLinear`]: burn's `nn::Linear` with a frozen base and an optional LoRA adapter.
//!
//! Layout: burn stores a Linear weight as `[d_input, d_output]` and computes `x W + b`. The
//! adapter is stored the same way, so that `forward` is `x W + b + scaling * dropout(x) A B`:
//!
//! - `lora_a`: `[d_input, r]` (PEFT's `lora_A.weight` is its transpose, `[r, in]`);
//! - `lora_b`: `[r, d_output]` (PEFT's `lora_B.weight` is its transpose, `[out, r]`);
//! - [`LoraLinear::delta_weight`]: `scaling * A B`, `[d_input, d_output]`, like the base weight.
//!
//! In the host factors of [`crate::InitialFactors`], U is PEFT's B (`[out, r]`) and V is
//! PEFT's A (`[r, in]`), the PyTorch layout.
//!
//! Freezing: [`LoraLinear::new`] marks the base parameters as not requiring gradients
//! ([`Module::no_grad`]) and the LoRA factors as requiring them. burn records these flags on
//! autodiff backends only: build the model on an `Autodiff<_>` backend to train it, and the
//! gradients of the base weight and bias are then absent.
//!
//! ```
//! use burn::backend::NdArray;
//! use burn::nn::LinearConfig;
//! use burn::tensor::Tensor;
//! use goldilocks_lora::{LoraConfig, LoraLinear, TargetModules};
//! use rand::SeedableRng;
//!
//! let device = Default::default();
//! let mut layer = LoraLinear::<NdArray>::new(LinearConfig::new(16, 8).init(&device));
//! let config = LoraConfig::new(4, 8.0, TargetModules::list(["lin"]));
//! let mut rng = rand::rngs::StdRng::seed_from_u64(0);
//! layer.attach(&config, &mut rng).unwrap();
//! assert_eq!(layer.num_trainable_params(), 4 * (16 + 8));
//!
//! let x = Tensor::<NdArray, 2>::ones([3, 16], &device);
//! let y = layer.forward(x); // [3, 8]; equal to the base output while B = 0
//! assert_eq!(y.dims(), [3, 8]);
//! ```

use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::tensor::{backend::Backend, Tensor, TensorData};
use rand::Rng;

use crate::{
    gradient_aligned_factors, initial_factors, InitialFactors, LoraConfig, LoraError, LoraInit,
};

/// The trainable part of a [`LoraLinear`]: factors A and B in burn's layout, the scaling and
/// the dropout on the input of the LoRA path.
#[derive(Module, Debug)]
pub struct LoraAdapter<B: Backend> {
    /// PEFT's `lora_A`, stored `[d_input, r]`.
    pub lora_a: Param<Tensor<B, 2>>,
    /// PEFT's `lora_B`, stored `[r, d_output]`.
    pub lora_b: Param<Tensor<B, 2>>,
    /// Dropout on the input of the LoRA path; active only on autodiff backends, as burn's
    /// `Dropout`.
    pub dropout: Dropout,
    /// The factor multiplying A B: lora_alpha / r, or lora_alpha / sqrt(r) with rsLoRA.
    pub scaling: f64,
}

impl<B: Backend> LoraAdapter<B> {
    /// An adapter from host factors (U = PEFT's B `[out, r]`, V = PEFT's A `[r, in]`).
    pub fn from_factors(
        factors: &InitialFactors,
        scaling: f64,
        dropout: f64,
        device: &B::Device,
    ) -> Result<Self, LoraError> {
        let lora_b = host_matrix::<B>(&factors.u, device)?.transpose();
        let lora_a = host_matrix::<B>(&factors.v, device)?.transpose();
        Self::from_tensors(lora_a, lora_b, scaling, dropout)
    }

    /// An adapter from tensors in burn's layout: `lora_a` `[d_input, r]`, `lora_b`
    /// `[r, d_output]`.
    pub fn from_tensors(
        lora_a: Tensor<B, 2>,
        lora_b: Tensor<B, 2>,
        scaling: f64,
        dropout: f64,
    ) -> Result<Self, LoraError> {
        let ([_, r_a], [r_b, _]) = (lora_a.dims(), lora_b.dims());
        if r_a != r_b {
            return Err(LoraError::Shape(format!(
                "lora_a {:?} and lora_b {:?} differ in rank",
                lora_a.dims(),
                lora_b.dims()
            )));
        }
        if !(0.0..1.0).contains(&dropout) {
            return Err(LoraError::Dropout(dropout));
        }
        Ok(Self {
            lora_a: Param::from_tensor(lora_a),
            lora_b: Param::from_tensor(lora_b),
            dropout: DropoutConfig::new(dropout).init(),
            scaling,
        })
    }

    /// The rank r.
    pub fn rank(&self) -> usize {
        self.lora_a.dims()[1]
    }

    /// `scaling * A B`, `[d_input, d_output]`.
    pub fn delta_weight(&self) -> Tensor<B, 2> {
        self.lora_a.val().matmul(self.lora_b.val()).mul_scalar(self.scaling)
    }

    /// The LoRA path `scaling * dropout(x) A B`.
    ///
    /// # Shapes
    ///
    /// - input: `[..., d_input]`
    /// - output: `[..., d_output]`
    pub fn forward<const D: usize>(&self, input: Tensor<B, D>) -> Tensor<B, D> {
        let hidden =
            burn::tensor::module::linear(self.dropout.forward(input), self.lora_a.val(), None);
        burn::tensor::module::linear(hidden, self.lora_b.val(), None).mul_scalar(self.scaling)
    }
}

/// burn's `Linear` with a frozen base and an optional LoRA adapter; without an adapter it
/// computes exactly what the base layer computes.
#[derive(Module, Debug)]
pub struct LoraLinear<B: Backend> {
    /// The frozen base layer: weight `[d_input, d_output]`, optional bias `[d_output]`.
    pub base: Linear<B>,
    /// The adapter, if one is attached.
    pub adapter: Option<LoraAdapter<B>>,
    /// Whether the adapter's delta is currently added into the base weight.
    pub merged: bool,
}

impl<B: Backend> From<Linear<B>> for LoraLinear<B> {
    fn from(base: Linear<B>) -> Self {
        Self::new(base)
    }
}

impl<B: Backend> LoraLinear<B> {
    /// Wraps `base`, freezing its parameters, with no adapter.
    pub fn new(base: Linear<B>) -> Self {
        Self { base: base.no_grad(), adapter: None, merged: false }
    }

    /// The input width.
    pub fn d_input(&self) -> usize {
        self.base.weight.dims()[0]
    }

    /// The output width.
    pub fn d_output(&self) -> usize {
        self.base.weight.dims()[1]
    }

    /// The number of trainable parameters: r (d_input + d_output), or 0 without an adapter.
    pub fn num_trainable_params(&self) -> usize {
        self.adapter.as_ref().map_or(0, |a| a.rank() * (self.d_input() + self.d_output()))
    }

    /// Attaches a fresh adapter with a data-free init (`init_lora_weights` true, false,
    /// "gaussian" or "paper", see [`LoraInit`]), replacing any previous one (unmerged first).
    /// The scaling is [`LoraConfig::scaling`] whatever the init.
    pub fn attach<R: Rng>(&mut self, config: &LoraConfig, rng: &mut R) -> Result<(), LoraError> {
        config.validate()?;
        if config.init_lora_weights == LoraInit::Gradient {
            return Err(LoraError::NeedsGradient("gradient".into()));
        }
        let factors =
            initial_factors(&config.factor_settings()?, self.d_output(), self.d_input(), rng);
        self.attach_factors(config, &factors)
    }

    /// Attaches the gradient-aligned adapter ([`gradient_aligned_factors`]) from the gradient
    /// of the loss with respect to the base weight, in burn's layout `[d_input, d_output]`
    /// (for example `base.weight.grad(&grads)`). Needs r <= d_input.
    pub fn attach_gradient_aligned<R: Rng>(
        &mut self,
        config: &LoraConfig,
        weight_gradient: Tensor<B, 2>,
        rng: &mut R,
    ) -> Result<(), LoraError> {
        config.validate()?;
        let [n, k] = weight_gradient.dims();
        if [n, k] != [self.d_input(), self.d_output()] {
            return Err(LoraError::Shape(format!(
                "gradient {:?} for a weight {:?}",
                [n, k],
                self.base.weight.dims()
            )));
        }
        let values = weight_gradient
            .into_data()
            .convert::<f64>()
            .to_vec::<f64>()
            .map_err(|e| LoraError::Shape(format!("{e:?}")))?;
        // Transpose burn's [in, out] into the [out, in] gradient of PyTorch's layout.
        let rows: Vec<Vec<f64>> =
            (0..k).map(|o| (0..n).map(|i| values[i * k + o]).collect()).collect();
        let factors = gradient_aligned_factors(&rows, config.r, rng)?;
        self.attach_factors(config, &factors)
    }

    /// Attaches an adapter with the given host factors (U = B `[out, r]`, V = A `[r, in]`) and
    /// the scaling and dropout of `config`.
    pub fn attach_factors(
        &mut self,
        config: &LoraConfig,
        factors: &InitialFactors,
    ) -> Result<(), LoraError> {
        let (n, k, r) = (self.d_input(), self.d_output(), config.r);
        let fits = factors.u.len() == k
            && factors.u.iter().all(|row| row.len() == r)
            && factors.v.len() == r
            && factors.v.iter().all(|row| row.len() == n);
        if !fits {
            return Err(LoraError::Shape(format!("factors must be U [{k}, {r}] and V [{r}, {n}]")));
        }
        let device = self.base.weight.device();
        let adapter =
            LoraAdapter::from_factors(factors, config.scaling(), config.lora_dropout, &device)?;
        self.set_adapter(adapter)
    }

    /// Attaches `adapter` (any previous one is unmerged and dropped).
    pub fn set_adapter(&mut self, adapter: LoraAdapter<B>) -> Result<(), LoraError> {
        let [a_in, _] = adapter.lora_a.dims();
        let [_, b_out] = adapter.lora_b.dims();
        if [a_in, b_out] != [self.d_input(), self.d_output()] {
            return Err(LoraError::Shape(format!(
                "adapter for [{a_in}, {b_out}] on a layer [{}, {}]",
                self.d_input(),
                self.d_output()
            )));
        }
        self.unmerge();
        self.adapter = Some(adapter);
        Ok(())
    }

    /// Removes the adapter (unmerged first) and returns it.
    pub fn detach(&mut self) -> Option<LoraAdapter<B>> {
        self.unmerge();
        self.adapter.take()
    }

    /// `scaling * A B` in the base weight's layout `[d_input, d_output]`, if an adapter is
    /// attached.
    pub fn delta_weight(&self) -> Option<Tensor<B, 2>> {
        self.adapter.as_ref().map(LoraAdapter::delta_weight)
    }

    /// Adds the delta into the base weight, so that `forward` costs one matmul; a no-op
    /// when merged already or without an adapter. The base stays frozen.
    pub fn merge(&mut self) {
        if self.merged {
            return;
        }
        if let Some(delta) = self.delta_weight() {
            self.base.weight = self.base.weight.clone().map(|w| (w + delta.detach()).detach());
            self.merged = true;
        }
    }

    /// Subtracts the delta from the base weight again (up to float rounding); a no-op when
    /// not merged.
    pub fn unmerge(&mut self) {
        if !self.merged {
            return;
        }
        if let Some(delta) = self.delta_weight() {
            self.base.weight = self.base.weight.clone().map(|w| (w - delta.detach()).detach());
        }
        self.merged = false;
    }

    /// The layer's output: `x W + b + scaling * dropout(x) A B`, or `x W + b` when merged or
    /// without an adapter.
    ///
    /// # Shapes
    ///
    /// - input: `[..., d_input]`
    /// - output: `[..., d_output]`
    pub fn forward<const D: usize>(&self, input: Tensor<B, D>) -> Tensor<B, D> {
        match (&self.adapter, self.merged) {
            (Some(adapter), false) => self.base.forward(input.clone()) + adapter.forward(input),
            _ => self.base.forward(input),
        }
    }
}

/// A row-major host matrix as a `[rows, cols]` tensor of the backend's default float type.
fn host_matrix<B: Backend>(
    rows: &[Vec<f64>],
    device: &B::Device,
) -> Result<Tensor<B, 2>, LoraError> {
    let cols = rows.first().map_or(0, Vec::len);
    if rows.iter().any(|row| row.len() != cols) {
        return Err(LoraError::Shape("rows of different lengths".into()));
    }
    let data: Vec<f32> = rows.iter().flatten().map(|&x| x as f32).collect();
    Ok(Tensor::from_data(TensorData::new(data, [rows.len(), cols]), device))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TargetModules;
    use burn::backend::{Autodiff, NdArray};
    use burn::nn::LinearConfig;
    use rand::SeedableRng;

    type B = NdArray;

    fn max_abs_diff<const D: usize>(a: Tensor<B, D>, b: Tensor<B, D>) -> f32 {
        (a - b).abs().max().into_scalar()
    }

    fn layer(rng_seed: u64, init: LoraInit) -> LoraLinear<B> {
        let device = Default::default();
        B::seed(&device, rng_seed);
        let mut layer = LoraLinear::new(LinearConfig::new(6, 5).init(&device));
        let config = LoraConfig::new(3, 6.0, TargetModules::list(["x"])).with_init(init);
        layer.attach(&config, &mut rand::rngs::StdRng::seed_from_u64(rng_seed)).unwrap();
        layer
    }

    fn input() -> Tensor<B, 3> {
        let data: Vec<f32> = (0..24).map(|i| (i as f32 * 0.41).sin()).collect();
        Tensor::from_data(TensorData::new(data, [2, 2, 6]), &Default::default())
    }

    #[test]
    fn peft_inits_start_as_the_base_layer() {
        for init in [LoraInit::Kaiming, LoraInit::Gaussian] {
            let layer = layer(1, init);
            assert_eq!(max_abs_diff(layer.forward(input()), layer.base.forward(input())), 0.0);
        }
        // `false` draws B too, so the adapter changes the output.
        let random = layer(1, LoraInit::Random);
        assert!(max_abs_diff(random.forward(input()), random.base.forward(input())) > 1e-3);
    }

    #[test]
    fn merged_and_unmerged_outputs_agree_and_unmerge_restores_the_base() {
        let mut layer = layer(2, LoraInit::Random);
        let base = layer.base.weight.val();
        let unmerged = layer.forward(input());
        layer.merge();
        assert!(layer.merged);
        assert!(max_abs_diff(layer.base.weight.val(), base.clone()) > 1e-3);
        assert!(max_abs_diff(layer.forward(input()), unmerged.clone()) < 1e-5);
        layer.merge(); // idempotent
        assert!(max_abs_diff(layer.forward(input()), unmerged) < 1e-5);
        layer.unmerge();
        assert!(max_abs_diff(layer.base.weight.val(), base) < 1e-6);
    }

    #[test]
    fn forward_is_base_plus_scaled_delta() {
        let layer = layer(3, LoraInit::Random);
        let x: Tensor<B, 2> = input().reshape([4, 6]);
        let expected =
            layer.base.forward(x.clone()) + x.clone().matmul(layer.delta_weight().unwrap());
        assert!(max_abs_diff(layer.forward(x), expected) < 1e-5);
        assert_eq!(layer.adapter.as_ref().unwrap().scaling, 2.0);
    }

    #[test]
    fn the_base_is_frozen_and_the_factors_train() {
        type AD = Autodiff<NdArray>;
        let device = Default::default();
        let mut layer = LoraLinear::<AD>::new(LinearConfig::new(4, 3).init(&device));
        let config =
            LoraConfig::new(2, 2.0, TargetModules::list(["x"])).with_init(LoraInit::Random);
        layer.attach(&config, &mut rand::rngs::StdRng::seed_from_u64(4)).unwrap();
        let x = Tensor::<AD, 2>::ones([5, 4], &device);
        let grads = layer.forward(x).sum().backward();
        assert!(layer.base.weight.grad(&grads).is_none());
        assert!(layer.base.bias.as_ref().unwrap().grad(&grads).is_none());
        let adapter = layer.adapter.as_ref().unwrap();
        assert!(adapter.lora_a.grad(&grads).is_some());
        assert!(adapter.lora_b.grad(&grads).is_some());
        assert_eq!(layer.num_trainable_params(), 2 * (4 + 3));
    }

    #[test]
    fn gradient_aligned_rows_follow_the_weight_gradient() {
        type AD = Autodiff<NdArray>;
        let device = Default::default();
        let mut layer =
            LoraLinear::<AD>::new(LinearConfig::new(5, 1).with_bias(false).init(&device));
        // Gradient of the loss with respect to the weight, with the weight made trainable.
        let weight = layer.base.weight.val().require_grad();
        let x = Tensor::<AD, 2>::from_data(
            TensorData::new(vec![1.0f32, -2.0, 0.5, 0.0, 3.0], [1, 5]),
            &device,
        );
        let grads = x.matmul(weight.clone()).sum().backward();
        let gradient: Tensor<NdArray, 2> = weight.grad(&grads).unwrap();
        let config =
            LoraConfig::new(2, 2.0, TargetModules::list(["x"])).with_init(LoraInit::Gradient);
        layer
            .attach_gradient_aligned(
                &config,
                Tensor::from_inner(gradient),
                &mut rand::rngs::StdRng::seed_from_u64(5),
            )
            .unwrap();
        // d(sum x W)/dW = x^T, so the first row of A (column of lora_a) is -x / |x|.
        let a: Vec<f32> =
            layer.adapter.as_ref().unwrap().lora_a.val().into_data().to_vec().unwrap();
        let norm = (1.0f32 + 4.0 + 0.25 + 9.0).sqrt();
        for (i, xi) in [1.0f32, -2.0, 0.5, 0.0, 3.0].iter().enumerate() {
            assert!((a[i * 2] + xi / norm).abs() < 1e-6);
        }
        assert!(matches!(
            layer.attach(&config, &mut rand::rngs::StdRng::seed_from_u64(5)),
            Err(LoraError::NeedsGradient(_))
        ));
    }

    #[test]
    fn mismatched_adapters_are_rejected() {
        let mut layer = layer(6, LoraInit::Kaiming);
        let device = Default::default();
        let adapter = LoraAdapter::from_tensors(
            Tensor::<B, 2>::zeros([7, 2], &device),
            Tensor::zeros([2, 5], &device),
            1.0,
            0.0,
        )
        .unwrap();
        assert!(matches!(layer.set_adapter(adapter), Err(LoraError::Shape(_))));
        assert!(LoraAdapter::from_tensors(
            Tensor::<B, 2>::zeros([6, 2], &device),
            Tensor::zeros([3, 5], &device),
            1.0,
            0.0
        )
        .is_err());
        assert!(layer.detach().is_some());
        assert_eq!(layer.num_trainable_params(), 0);
    }
}
