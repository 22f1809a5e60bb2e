//! What an ensemble's LoRA factors have learned about the teacher, as tensors.
//!
//! The order parameter of the search phase is m_V = max_{j, k} |<V_j, T_k>| / |V_j|, the
//! largest overlap of a row of V with a teacher row: about 1/sqrt(N) at a random start and
//! close to 1 once the adapter has found the teacher. The other functions give what a record
//! grid stores beside it. Every function keeps the group axis G and the run axis R of
//! [`LoraFactors`]; the teacher has one set of K rows per group.

use burn::tensor::{backend::Backend, Tensor};
use goldilocks_lora::LoraFactors;

/// |<V_j, T_k>| / |V_j| for every row j of V and row k of the teacher T.
///
/// # Shapes
/// - lora: V of shape [G, R, r, N]
/// - teacher: [G, K, N]
/// - output: [G, R, r, K]
pub fn row_overlaps<B: Backend>(lora: &LoraFactors<B>, teacher: &Tensor<B, 3>) -> Tensor<B, 4> {
    let [groups, runs, rank, n] = lora.v.dims();
    let k = teacher.dims()[1];
    let products =
        lora.v.clone().reshape([groups, runs * rank, n]).matmul(teacher.clone().swap_dims(1, 2));
    (products.reshape([groups, runs, rank, k]) / lora.row_norms()).abs()
}

/// max_k |<V_j, T_k>| / |V_j|, the overlap of each row of V with the teacher row it is
/// closest to.
///
/// # Shapes
/// - lora: V of shape [G, R, r, N]
/// - teacher: [G, K, N]
/// - output: [G, R, r]
pub fn row_order_parameters<B: Backend>(
    lora: &LoraFactors<B>,
    teacher: &Tensor<B, 3>,
) -> Tensor<B, 3> {
    let [groups, runs, rank, _] = lora.v.dims();
    row_overlaps(lora, teacher).max_dim(3).reshape([groups, runs, rank])
}

/// The order parameter m_V = max over rows j and teacher rows k of |<V_j, T_k>| / |V_j|.
///
/// # Shapes
/// - lora: V of shape [G, R, r, N]
/// - teacher: [G, K, N]
/// - output: [G, R]
pub fn order_parameter<B: Backend>(lora: &LoraFactors<B>, teacher: &Tensor<B, 3>) -> Tensor<B, 2> {
    let [groups, runs, _, _] = lora.v.dims();
    row_overlaps(lora, teacher).max_dim(3).max_dim(2).reshape([groups, runs])
}

/// The Frobenius norm |U| of every run's U.
///
/// # Shapes
/// - lora: U of shape [G, R, K, r]
/// - output: [G, R]
pub fn u_norms<B: Backend>(lora: &LoraFactors<B>) -> Tensor<B, 2> {
    let [groups, runs, _, _] = lora.u.dims();
    (lora.u.clone() * lora.u.clone()).sum_dim(3).sum_dim(2).sqrt().reshape([groups, runs])
}

/// <W_0, T_0>, the inner product of the first row of every run's `weights` (a weight, or
/// the LoRA update) with the first teacher row of its group.
///
/// # Shapes
/// - weights: [G, R, K, N]
/// - teacher: [G, K, N]
/// - output: [G, R]
pub fn first_row_along_teacher<B: Backend>(
    weights: Tensor<B, 4>,
    teacher: &Tensor<B, 3>,
) -> Tensor<B, 2> {
    let [groups, runs, _, n] = weights.dims();
    let first_teacher_row = teacher.clone().narrow(1, 0, 1).swap_dims(1, 2);
    weights
        .narrow(2, 0, 1)
        .reshape([groups, runs, n])
        .matmul(first_teacher_row)
        .reshape([groups, runs])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use burn::tensor::TensorData;
    use goldilocks_lora::{InitialFactors, LoraConfig, LoraInit};

    type B = NdArray;

    fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> Tensor<B, D> {
        Tensor::from_data(TensorData::new(values, shape), &Default::default())
    }

    fn values<const D: usize>(tensor: Tensor<B, D>) -> Vec<f32> {
        tensor.into_data().to_vec::<f32>().unwrap()
    }

    fn assert_close(actual: &[f32], expected: &[f32]) {
        assert_eq!(actual.len(), expected.len());
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() < 1e-6, "{actual:?} against {expected:?}");
        }
    }

    /// One group, one run of rank 2 and width 2 in N = 3: V's rows (3, 4, 0) and (0, 0, -2)
    /// against the teacher rows e_0 and e_2.
    fn factors() -> (LoraFactors<B>, Tensor<B, 3>) {
        let run = InitialFactors {
            u: vec![vec![1.0, 2.0], vec![0.0, -2.0]],
            v: vec![vec![3.0, 4.0, 0.0], vec![0.0, 0.0, -2.0]],
        };
        let config = LoraConfig {
            r: 2,
            lora_alpha: 2.0,
            use_rslora: false,
            init_lora_weights: LoraInit::Gaussian,
            ..LoraConfig::default()
        };
        let config = config.factor_settings().unwrap();
        let lora = LoraFactors::from_initial(&config, &[run], 1, &Default::default()).unwrap();
        let teacher = tensor(vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0], [1, 2, 3]);
        (lora, teacher)
    }

    #[test]
    fn overlaps_are_normalised_by_the_rows_of_v() {
        let (lora, teacher) = factors();
        assert_close(&values(row_overlaps(&lora, &teacher)), &[0.6, 0.0, 0.0, 1.0]);
        assert_close(&values(row_order_parameters(&lora, &teacher)), &[0.6, 1.0]);
        assert_close(&values(order_parameter(&lora, &teacher)), &[1.0]);
    }

    #[test]
    fn norms_and_first_rows() {
        let (lora, teacher) = factors();
        assert_close(&values(u_norms(&lora)), &[3.0]);
        // The first row of U V is 1 * (3, 4, 0) + 2 * (0, 0, -2), scaled by alpha / r = 1.
        assert_close(&values(first_row_along_teacher(lora.delta(), &teacher)), &[3.0]);
    }
}
