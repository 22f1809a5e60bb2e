//! The single-index student y_hat = (1/c) sum_k sigma(<S_k, x>), as an ensemble of runs.
//!
//! An ensemble holds G data groups (one per seed: the runs of a group see the same inputs)
//! and R runs per group, each with its own activation pair and effective weight S in
//! R^{K x N}. The gradient of the loss with respect to S is derived by hand from the exact
//! activation derivatives; the LoRA factors take it from there by the chain rule.

use burn::tensor::{backend::Backend, Tensor};

use crate::{ActivationPair, ModelError};

/// Loss and gradient of every run of an ensemble for one batch.
#[derive(Debug, Clone)]
pub struct StudentGradient<B: Backend> {
    /// Loss (1/2) mean_b (y_hat - y)^2 of each run. Shape [G, R].
    pub loss: Tensor<B, 2>,
    /// Gradient of the loss with respect to the effective weight. Shape [G, R, K, N].
    pub weight_gradient: Tensor<B, 4>,
}

/// Loss and gradient of every run of an ensemble with respect to its pre-activations.
#[derive(Debug, Clone)]
pub struct PreactivationGradient<B: Backend> {
    /// Loss (1/2) mean_b (y_hat - y)^2 of each run. Shape [G, R].
    pub loss: Tensor<B, 2>,
    /// dL/dh for every sample and unit. Shape [G, B, R * K].
    pub gradient: Tensor<B, 3>,
}

/// The teacher-student pairs of an ensemble's runs and the readout width K.
#[derive(Debug, Clone, PartialEq)]
pub struct SingleIndexEnsemble {
    pairs: Vec<ActivationPair>,
    width: usize,
}

/// A maximal block of consecutive runs that share an activation pair.
struct Segment {
    pair: ActivationPair,
    start: usize,
    len: usize,
}

impl SingleIndexEnsemble {
    /// An ensemble whose group runs use `pairs` (one per run of a group) with readout width `width`.
    pub fn new(pairs: Vec<ActivationPair>, width: usize) -> Result<Self, ModelError> {
        if pairs.is_empty() {
            return Err(ModelError::Shape("an ensemble needs at least one run".into()));
        }
        if width == 0 {
            return Err(ModelError::OutOfRange {
                name: "width",
                expected: "at least 1",
                value: 0.0,
            });
        }
        for pair in &pairs {
            pair.validate()?;
        }
        Ok(Self { pairs, width })
    }

    /// Runs per data group, R.
    pub fn runs_per_group(&self) -> usize {
        self.pairs.len()
    }

    /// Readout width K.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The activation pair of each run of a group.
    pub fn pairs(&self) -> &[ActivationPair] {
        &self.pairs
    }

    fn segments(&self) -> Vec<Segment> {
        let mut segments: Vec<Segment> = Vec::new();
        for (index, &pair) in self.pairs.iter().enumerate() {
            match segments.last_mut() {
                Some(last) if last.pair == pair => last.len += 1,
                _ => segments.push(Segment { pair, start: index, len: 1 }),
            }
        }
        segments
    }

    /// Noise-free labels y = (1/c) sum_k phi(<T_k, x>) for every run.
    ///
    /// # Shapes
    /// - inputs: [G, B, N]
    /// - teacher: [G, K, N]
    /// - output: [G, B, R]
    pub fn labels<B: Backend>(
        &self,
        inputs: &Tensor<B, 3>,
        teacher: &Tensor<B, 3>,
    ) -> Tensor<B, 3> {
        let projections = inputs.clone().matmul(teacher.clone().swap_dims(1, 2));
        let parts = self
            .segments()
            .into_iter()
            .map(|segment| {
                let phi = segment.pair.teacher;
                phi.apply(projections.clone())
                    .sum_dim(2)
                    .mul_scalar(1.0 / phi.readout_scale(self.width))
                    .repeat_dim(2, segment.len)
            })
            .collect();
        Tensor::cat(parts, 2)
    }

    /// Noise-free labels from each run's own teacher projections <T_k, x>, for inputs that
    /// differ between the runs of a group.
    ///
    /// # Shapes
    /// - projections: [G, R, K, B] (runs, then units, then samples)
    /// - output: [G, R, B]
    pub fn labels_by_run<B: Backend>(&self, projections: &Tensor<B, 4>) -> Tensor<B, 3> {
        let [groups, _, k, batch] = projections.dims();
        let parts = self
            .segments()
            .into_iter()
            .map(|segment| {
                let phi = segment.pair.teacher;
                phi.apply(projections.clone().narrow(1, segment.start, segment.len))
                    .sum_dim(2)
                    .reshape([groups, segment.len, batch])
                    .mul_scalar(1.0 / phi.readout_scale(k))
            })
            .collect();
        Tensor::cat(parts, 1)
    }

    /// Pre-activations h = <S_k, x> of every run and unit.
    ///
    /// # Shapes
    /// - inputs: [G, B, N]
    /// - weights: [G, R, K, N]
    /// - output: [G, B, R * K]
    pub fn preactivations<B: Backend>(
        &self,
        inputs: &Tensor<B, 3>,
        weights: &Tensor<B, 4>,
    ) -> Tensor<B, 3> {
        let [groups, runs, width, n] = weights.dims();
        let flat = weights.clone().reshape([groups, runs * width, n]);
        inputs.clone().matmul(flat.swap_dims(1, 2))
    }

    /// Predictions y_hat of every run.
    ///
    /// # Shapes
    /// - inputs: [G, B, N]
    /// - weights: [G, R, K, N]
    /// - output: [G, B, R]
    pub fn predictions<B: Backend>(
        &self,
        inputs: &Tensor<B, 3>,
        weights: &Tensor<B, 4>,
    ) -> Tensor<B, 3> {
        let h = self.preactivations(inputs, weights);
        let [groups, batch, _] = h.dims();
        let k = self.width;
        let parts = self
            .segments()
            .into_iter()
            .map(|segment| {
                let sigma = segment.pair.student;
                let slice = h.clone().narrow(2, segment.start * k, segment.len * k);
                sigma
                    .apply(slice)
                    .reshape([groups, batch, segment.len, k])
                    .sum_dim(3)
                    .reshape([groups, batch, segment.len])
                    .mul_scalar(1.0 / sigma.readout_scale(k))
            })
            .collect();
        Tensor::cat(parts, 2)
    }

    /// Loss (1/2) mean_b (y_hat - y)^2 of every run.
    ///
    /// # Shapes
    /// - inputs: [G, B, N], weights: [G, R, K, N], labels: [G, B, R]
    /// - output: [G, R]
    pub fn loss<B: Backend>(
        &self,
        inputs: &Tensor<B, 3>,
        weights: &Tensor<B, 4>,
        labels: &Tensor<B, 3>,
    ) -> Tensor<B, 2> {
        let residual = self.predictions(inputs, weights) - labels.clone();
        half_mean_square(residual, 1)
    }

    /// Loss and its exact gradient with respect to the effective weights.
    ///
    /// dL/dS_k = (1/B) sum_b (y_hat_b - y_b) (1/c) sigma'(<S_k, x_b>) x_b.
    ///
    /// # Shapes
    /// - inputs: [G, B, N], weights: [G, R, K, N], labels: [G, B, R]
    pub fn loss_and_gradient<B: Backend>(
        &self,
        inputs: &Tensor<B, 3>,
        weights: &Tensor<B, 4>,
        labels: &Tensor<B, 3>,
    ) -> StudentGradient<B> {
        let [groups, runs, k, n] = weights.dims();
        let h = self.preactivations(inputs, weights);
        let PreactivationGradient { loss, gradient } =
            self.loss_and_preactivation_gradient(&h, labels);
        let weight_gradient =
            gradient.swap_dims(1, 2).matmul(inputs.clone()).reshape([groups, runs, k, n]);
        StudentGradient { loss, weight_gradient }
    }

    /// Loss and its exact gradient with respect to the pre-activations,
    /// dL/dh_{b,k} = (1/B) (y_hat_b - y_b) (1/c) sigma'(h_{b,k}).
    ///
    /// # Shapes
    /// - preactivations: [G, B, R * K] (see [`Self::preactivations`]), labels: [G, B, R]
    pub fn loss_and_preactivation_gradient<B: Backend>(
        &self,
        preactivations: &Tensor<B, 3>,
        labels: &Tensor<B, 3>,
    ) -> PreactivationGradient<B> {
        let [groups, batch, _] = preactivations.dims();
        let (runs, k) = (self.pairs.len(), self.width);
        let h = preactivations.clone().reshape([groups, batch, runs, k]);
        let (loss, gradient) =
            self.loss_and_gradient_along(h, labels, Axes { run: 2, unit: 3, sample: 1 });
        PreactivationGradient { loss, gradient: gradient.reshape([groups, batch, runs * k]) }
    }

    /// [`Self::loss_and_preactivation_gradient`] with the runs first and the samples last,
    /// the layout in which per-run factors broadcast cheaply.
    ///
    /// # Shapes
    /// - preactivations: [G, R, K, B], labels: [G, R, B]
    /// - loss: [G, R]; gradient: [G, R, K, B]
    pub fn loss_and_preactivation_gradient_by_run<B: Backend>(
        &self,
        preactivations: &Tensor<B, 4>,
        labels: &Tensor<B, 3>,
    ) -> (Tensor<B, 2>, Tensor<B, 4>) {
        self.loss_and_gradient_along(
            preactivations.clone(),
            labels,
            Axes { run: 1, unit: 2, sample: 3 },
        )
    }

    /// The loss ([G, R]) and dL/dh (shaped as `h`) for pre-activations `h` whose axes 1 to 3
    /// are the runs, units and samples in the order `axes` gives; `labels` is `h` without its
    /// unit axis.
    fn loss_and_gradient_along<B: Backend>(
        &self,
        h: Tensor<B, 4>,
        labels: &Tensor<B, 3>,
        axes: Axes,
    ) -> (Tensor<B, 2>, Tensor<B, 4>) {
        let shape = h.dims();
        let k = self.width;
        let mut values = Vec::new();
        let mut slopes = Vec::new();
        for segment in self.segments() {
            let sigma = segment.pair.student;
            let scale = 1.0 / sigma.readout_scale(k);
            let slice = h.clone().narrow(axes.run, segment.start, segment.len);
            values.push(
                sigma
                    .apply(slice.clone())
                    .sum_dim(axes.unit)
                    .mul_scalar(scale)
                    .squeeze_dim::<3>(axes.unit),
            );
            slopes.push(sigma.apply_derivative(slice).mul_scalar(scale));
        }
        let residual = Tensor::cat(values, axes.without_unit(axes.run)) - labels.clone();
        let slope = Tensor::cat(slopes, axes.run);
        let batch = shape[axes.sample];
        let gradient = (residual.clone().unsqueeze_dim::<4>(axes.unit).expand(shape) * slope)
            .mul_scalar(1.0 / batch as f64);
        (half_mean_square(residual, axes.without_unit(axes.sample)), gradient)
    }
}

/// Positions of the run, unit and sample axes of a 4-D pre-activation tensor [G, ., ., .].
#[derive(Debug, Clone, Copy)]
struct Axes {
    run: usize,
    unit: usize,
    sample: usize,
}

impl Axes {
    /// Where `axis` lies once the unit axis is summed away.
    fn without_unit(self, axis: usize) -> usize {
        if axis > self.unit {
            axis - 1
        } else {
            axis
        }
    }
}

/// (1/2) mean of the squares over the sample axis (1 or 2) of a [G, ., .] tensor whose other
/// middle axis holds the runs. -> [G, R].
fn half_mean_square<B: Backend>(residual: Tensor<B, 3>, sample_axis: usize) -> Tensor<B, 2> {
    let dims = residual.dims();
    (residual.clone() * residual)
        .mean_dim(sample_axis)
        .mul_scalar(0.5)
        .reshape([dims[0], dims[3 - sample_axis]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gaussian::{standard_normal_rows, Stream};
    use crate::Activation;
    use burn::backend::NdArray;
    use burn::tensor::{DType, TensorCreationOptions, TensorData};

    type B = NdArray<f64>;

    /// f64 tensors: the device's default dtype is shared by every NdArray element type.
    fn tensor<const D: usize>(values: Vec<f64>, shape: [usize; D]) -> Tensor<B, D> {
        let options = TensorCreationOptions::new(Default::default()).with_dtype(DType::F64);
        Tensor::from_data(TensorData::new(values, shape), options)
    }

    fn normals(seed: u64, count: usize) -> Vec<f64> {
        standard_normal_rows(seed, Stream::Test, 0, 1, count).into_iter().map(f64::from).collect()
    }

    /// The hand-derived gradient matches central finite differences of the loss, for every
    /// student activation, width 1 and 2, in an ensemble of mixed activations.
    #[test]
    fn gradient_matches_finite_differences() {
        let (groups, batch, n) = (2, 7, 5);
        let students = [
            Activation::Linear,
            Activation::Square,
            Activation::Erf,
            Activation::Sigmoid,
            Activation::Relu,
            Activation::Tanh,
            Activation::Hermite(3),
            Activation::HermiteSum(2, 4),
        ];
        for k in [1usize, 2] {
            let pairs: Vec<_> = students.iter().map(|&a| ActivationPair::matching(a)).collect();
            let runs = pairs.len();
            let ensemble = SingleIndexEnsemble::new(pairs, k).unwrap();
            let inputs = tensor(normals(1, groups * batch * n), [groups, batch, n]);
            let weight_values: Vec<f64> =
                normals(2, groups * runs * k * n).iter().map(|x| 0.5 * x).collect();
            let labels = tensor(normals(3, groups * batch * runs), [groups, batch, runs]);
            let weights = tensor(weight_values.clone(), [groups, runs, k, n]);
            let analytic = ensemble.loss_and_gradient(&inputs, &weights, &labels);
            let gradient = analytic.weight_gradient.into_data().to_vec::<f64>().unwrap();
            let loss_direct =
                ensemble.loss(&inputs, &weights, &labels).into_data().to_vec::<f64>().unwrap();
            let loss_reported = analytic.loss.into_data().to_vec::<f64>().unwrap();
            for (a, b) in loss_direct.iter().zip(&loss_reported) {
                assert!((a - b).abs() < 1e-12);
            }
            let eps = 1e-6;
            for index in 0..weight_values.len() {
                let run = (index / (k * n)) % runs;
                let group = index / (runs * k * n);
                let mut plus = weight_values.clone();
                plus[index] += eps;
                let mut minus = weight_values.clone();
                minus[index] -= eps;
                let loss_plus =
                    ensemble.loss(&inputs, &tensor(plus, [groups, runs, k, n]), &labels);
                let loss_minus =
                    ensemble.loss(&inputs, &tensor(minus, [groups, runs, k, n]), &labels);
                let lp = loss_plus.into_data().to_vec::<f64>().unwrap()[group * runs + run];
                let lm = loss_minus.into_data().to_vec::<f64>().unwrap()[group * runs + run];
                let numeric = (lp - lm) / (2.0 * eps);
                assert!(
                    (numeric - gradient[index]).abs() < 1e-6 * (1.0 + numeric.abs()),
                    "{} k={k}: numeric {numeric} vs analytic {}",
                    students[run],
                    gradient[index]
                );
            }
        }
    }

    #[test]
    fn labels_use_the_teacher_activation_and_readout() {
        let pairs = vec![
            ActivationPair { teacher: Activation::Sign, student: Activation::Tanh },
            ActivationPair::matching(Activation::Relu),
        ];
        let ensemble = SingleIndexEnsemble::new(pairs, 2).unwrap();
        let inputs = tensor(vec![1.0, -2.0, 0.5], [1, 1, 3]);
        let teacher = tensor(vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0], [1, 2, 3]);
        let labels = ensemble.labels(&inputs, &teacher).into_data().to_vec::<f64>().unwrap();
        // sign: (1 + -1) / sqrt(2); relu: (1 + 0) / 2.
        assert!((labels[0] - 0.0).abs() < 1e-12);
        assert!((labels[1] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn teacher_only_activation_is_rejected_for_the_student() {
        let error = SingleIndexEnsemble::new(vec![ActivationPair::matching(Activation::Sign)], 1)
            .unwrap_err();
        assert_eq!(error, ModelError::TeacherOnly("sign".into()));
    }
}
