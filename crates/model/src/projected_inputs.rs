//! A batch of Gaussian inputs held as its projections on each run's span.
//!
//! A step of a run sees its inputs x only through the projections on the span of its rows,
//! S = [teacher rows; frozen rows; rows of V] (d = 2K + r rows of length N), and through the
//! sums sum_b e_b x_b of the update of V. For standard normal x, split x = Q^T z + x_perp
//! with Q an orthonormal basis of the span: z ~ N(0, I_d) and x_perp, Gaussian on the
//! orthogonal complement, are independent, and the labels and the loss's gradient depend on
//! z alone. So a batch draws z for every sample (B x d numbers), and the sums' orthogonal
//! part, sum_b e_b x_perp_b, in one draw: with E E^T = L_e L_e^T it has the law of
//! L_e Y P_perp for Y of r x N standard normals. The step then has exactly the law of a step
//! on B x N drawn inputs, at a cost of B x d + r x N draws per group.
//!
//! The runs of a group share the draws z and Y (as they share the drawn inputs of a full
//! batch), each read in its own basis.
//!
//! The labels come from [`ProjectedInputs::teacher_projections`] through
//! [`SingleIndexEnsemble::labels_by_run`](crate::SingleIndexEnsemble::labels_by_run), the
//! pre-activations from the frozen and LoRA projections, and the update of V from
//! [`ProjectedInputs::input_sums`].

use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::gaussian::{standard_normal_rows, Stream};
use crate::LowerFactor;

/// One step's batch for every run of an ensemble, in the runs' spans.
///
/// G is the number of groups, R of runs per group, K the readout width, r the LoRA rank,
/// N the input dimension, B the batch and d = 2K + r the number of spanning rows.
#[derive(Debug, Clone)]
pub struct ProjectedInputs<B: Backend> {
    /// The spanning rows S of every run. Shape [G, R, d, N].
    spanning: Tensor<B, 4>,
    /// L with S = L Q. Shape [G, R, d, d].
    factor: Tensor<B, 4>,
    /// T with Q = T S orthonormal. Shape [G, R, d, d].
    orthonormalizer: Tensor<B, 4>,
    /// Coordinates z of every sample, read in every run's basis Q. Shape [G, B, d].
    coordinates: Tensor<B, 3>,
    /// Y, the draws behind the orthogonal part of the sums. Shape [G, r, N].
    remainder: Tensor<B, 3>,
    width: usize,
}

impl<B: Backend> ProjectedInputs<B> {
    /// The rows every step's span starts with, [teacher; frozen], the teacher repeated for
    /// every run of its group.
    ///
    /// # Shapes
    /// - teacher: [G, K, N]
    /// - frozen: [G, R, K, N]
    /// - output: [G, R, 2K, N]
    pub fn fixed_rows(teacher: &Tensor<B, 3>, frozen: &Tensor<B, 4>) -> Tensor<B, 4> {
        let [groups, runs, width, n] = frozen.dims();
        let teacher = teacher.clone().unsqueeze_dim::<4>(1).expand([groups, runs, width, n]);
        Tensor::cat(vec![teacher, frozen.clone()], 2)
    }

    /// Draws the batch of step `step` for group g from the addresses (`seeds[g]`,
    /// [`Stream::SpanInputs`], step) for the coordinates and (`seeds[g]`,
    /// [`Stream::SpanRemainder`], step) for the remainder, for the fixed rows of
    /// [`Self::fixed_rows`] and V.
    ///
    /// # Shapes
    /// - seeds: G entries
    /// - fixed_rows: [G, R, 2K, N]
    /// - v: [G, R, r, N]
    pub fn draw(
        seeds: &[u64],
        step: usize,
        batch: usize,
        fixed_rows: &Tensor<B, 4>,
        v: &Tensor<B, 4>,
    ) -> Self {
        let [groups, _, rank, n] = v.dims();
        let d = fixed_rows.dims()[2] + rank;
        let device = v.device();
        let mut coordinates = Vec::with_capacity(groups * batch * d);
        let mut remainder = Vec::with_capacity(groups * rank * n);
        for &seed in seeds {
            coordinates.extend(standard_normal_rows(
                seed,
                Stream::SpanInputs,
                step as u64,
                1,
                batch * d,
            ));
            remainder.extend(standard_normal_rows(
                seed,
                Stream::SpanRemainder,
                step as u64,
                rank,
                n,
            ));
        }
        let coordinates =
            Tensor::from_data(TensorData::new(coordinates, [groups, batch, d]), &device);
        let remainder = Tensor::from_data(TensorData::new(remainder, [groups, rank, n]), &device);
        Self::new(fixed_rows, v, coordinates, remainder)
    }

    /// The batch with coordinates z and remainder draws Y, for the fixed rows of
    /// [`Self::fixed_rows`] and V.
    ///
    /// # Shapes
    /// - fixed_rows: [G, R, 2K, N]
    /// - v: [G, R, r, N]
    /// - coordinates: [G, B, d]
    /// - remainder: [G, r, N]
    pub fn new(
        fixed_rows: &Tensor<B, 4>,
        v: &Tensor<B, 4>,
        coordinates: Tensor<B, 3>,
        remainder: Tensor<B, 3>,
    ) -> Self {
        let width = fixed_rows.dims()[2] / 2;
        let spanning = Tensor::cat(vec![fixed_rows.clone(), v.clone()], 2);
        let factor =
            LowerFactor::of_gram(&spanning.clone().matmul(spanning.clone().swap_dims(2, 3)));
        Self {
            spanning,
            factor: factor.factor,
            orthonormalizer: factor.orthonormalizer,
            coordinates,
            remainder,
            width,
        }
    }

    /// <T_k, x> of every run, unit and sample.
    ///
    /// # Shapes
    /// - output: [G, R, K, B]
    pub fn teacher_projections(&self) -> Tensor<B, 4> {
        self.projections(0, self.width)
    }

    /// <W0_k, x> of every run, unit and sample.
    ///
    /// # Shapes
    /// - output: [G, R, K, B]
    pub fn frozen_projections(&self) -> Tensor<B, 4> {
        self.projections(self.width, self.width)
    }

    /// <V_j, x> of every run, row of V and sample.
    ///
    /// # Shapes
    /// - output: [G, R, r, B]
    pub fn lora_projections(&self) -> Tensor<B, 4> {
        let d = self.factor.dims()[2];
        self.projections(2 * self.width, d - 2 * self.width)
    }

    /// x_b . S_i = sum_j L_ij z_bj (S = L Q) for the spanning rows start..start + len of
    /// every run: [G, R, len, B]. One product per group: the runs' rows stacked against z.
    fn projections(&self, start: usize, len: usize) -> Tensor<B, 4> {
        let [groups, runs, d, _] = self.factor.dims();
        let batch = self.coordinates.dims()[1];
        let rows = self.factor.clone().narrow(2, start, len).reshape([groups, runs * len, d]);
        rows.matmul(self.coordinates.clone().swap_dims(1, 2)).reshape([groups, runs, len, batch])
    }

    /// sum_b e[., ., j, b] x_b for the sample weights e of every run's rows: the in-span
    /// part (e z) Q plus the orthogonal part L_e Y (I - Q^T Q), where L_e L_e^T = e e^T.
    ///
    /// # Shapes
    /// - weights: [G, R, r, B]
    /// - output: [G, R, r, N]
    pub fn input_sums(&self, weights: Tensor<B, 4>) -> Tensor<B, 4> {
        let [groups, runs, d, n] = self.spanning.dims();
        let [_, _, rank, batch] = weights.dims();
        let t = self.orthonormalizer.clone();
        let l_e =
            LowerFactor::of_gram(&weights.clone().matmul(weights.clone().swap_dims(2, 3))).factor;
        let weighted_coordinates =
            weights.reshape([groups, runs * rank, batch]).matmul(self.coordinates.clone());
        let in_span = weighted_coordinates.reshape([groups, runs, rank, d]).matmul(t.clone());
        let remainder_on_rows = self
            .spanning
            .clone()
            .reshape([groups, runs * d, n])
            .matmul(self.remainder.clone().swap_dims(1, 2));
        let remainder_on_rows = remainder_on_rows.reshape([groups, runs, d, rank]).swap_dims(2, 3);
        let remainder_in_span =
            l_e.clone().matmul(remainder_on_rows.matmul(t.clone().swap_dims(2, 3)).matmul(t));
        let on_spanning_rows = in_span - remainder_in_span;
        let orthogonal = l_e
            .reshape([groups, runs * rank, rank])
            .matmul(self.remainder.clone())
            .reshape([groups, runs, rank, n]);
        orthogonal + on_spanning_rows.matmul(self.spanning.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;

    type B = NdArray;

    fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> Tensor<B, D> {
        Tensor::from_data(TensorData::new(values, shape), &Default::default())
    }

    fn values<const D: usize>(tensor: Tensor<B, D>) -> Vec<f32> {
        tensor.into_data().to_vec::<f32>().unwrap()
    }

    /// With the inputs built explicitly as x = Q^T z + x_perp, the projections equal x S^T and
    /// the in-span part of the sums equals (e z) Q: the basis and its coordinates agree.
    #[test]
    fn projections_are_those_of_the_inputs_the_coordinates_describe() {
        let (n, batch) = (5, 3);
        let teacher = tensor::<3>(vec![1.0, 0.0, 0.0, 0.0, 0.0], [1, 1, n]);
        // The frozen row is 0.4 times the teacher: a dependent row.
        let frozen = tensor::<4>(vec![0.4, 0.0, 0.0, 0.0, 0.0], [1, 1, 1, n]);
        let v = tensor::<4>(vec![0.3, 0.5, -0.2, 0.1, 0.7], [1, 1, 1, n]);
        let z = tensor::<3>(vec![0.5, -1.0, 2.0, 1.5, 0.2, -0.3, -0.7, 0.9, 0.1], [1, batch, 3]);
        let zero_remainder = Tensor::<B, 3>::zeros([1, 1, n], &Default::default());
        let inputs = ProjectedInputs::new(
            &ProjectedInputs::fixed_rows(&teacher, &frozen),
            &v,
            z.clone(),
            zero_remainder,
        );
        let q = inputs.orthonormalizer.clone().matmul(inputs.spanning.clone()).reshape([1, 3, n]);
        let x = z.matmul(q);
        let spanning = inputs.spanning.clone().reshape([1, 3, n]);
        let expected = values(x.clone().matmul(spanning.swap_dims(1, 2)));
        let actual = values(
            Tensor::cat(
                vec![
                    inputs.teacher_projections(),
                    inputs.frozen_projections(),
                    inputs.lora_projections(),
                ],
                2,
            )
            .swap_dims(2, 3),
        );
        for (a, e) in actual.iter().zip(&expected) {
            assert!((a - e).abs() < 1e-5, "{actual:?} against {expected:?}");
        }
        let e = tensor::<4>(vec![0.3, -1.2, 0.8], [1, 1, 1, batch]);
        let sums = values(inputs.input_sums(e.clone()));
        let expected_sums = values(e.reshape([1, 1, batch]).matmul(x));
        for (a, b) in sums.iter().zip(&expected_sums) {
            assert!((a - b).abs() < 1e-5, "{sums:?} against {expected_sums:?}");
        }
    }
}
