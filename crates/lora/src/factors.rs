//! The LoRA factors of an ensemble of runs as burn tensors, trained by SGD.

use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::{FactorSettings, InitialFactors, LoraError};

/// U and V of every run of an ensemble, with a leading group axis G and run axis R.
///
/// The effective weight of run (g, j) is W0[g, j] + scaling * U[g, j] V[g, j].
#[derive(Debug, Clone)]
pub struct LoraFactors<B: Backend> {
    /// U (PEFT's lora_B). Shape [G, R, K, r].
    pub u: Tensor<B, 4>,
    /// V (PEFT's lora_A). Shape [G, R, r, N].
    pub v: Tensor<B, 4>,
    scaling: f64,
    renormalize_rows: bool,
}

impl<B: Backend> LoraFactors<B> {
    /// Stacks the host factors of `groups * runs` runs (group-major) into tensors.
    pub fn from_initial(
        settings: &FactorSettings,
        factors: &[InitialFactors],
        groups: usize,
        device: &B::Device,
    ) -> Result<Self, LoraError> {
        let first = factors.first().ok_or_else(|| LoraError::Shape("no runs".into()))?;
        let (k, r) = (first.u.len(), settings.rank());
        let n = first.v.first().map_or(0, Vec::len);
        if groups == 0 || !factors.len().is_multiple_of(groups) {
            return Err(LoraError::Shape(format!(
                "{} runs do not split into {groups} groups",
                factors.len()
            )));
        }
        let runs = factors.len() / groups;
        let mut u = Vec::with_capacity(factors.len() * k * r);
        let mut v = Vec::with_capacity(factors.len() * r * n);
        for run in factors {
            if run.u.len() != k
                || run.u.iter().any(|row| row.len() != r)
                || run.v.len() != r
                || run.v.iter().any(|row| row.len() != n)
            {
                return Err(LoraError::Shape(format!(
                    "every run needs U of shape [{k}, {r}] and V of shape [{r}, {n}]"
                )));
            }
            u.extend(run.u.iter().flatten().map(|&x| x as f32));
            v.extend(run.v.iter().flatten().map(|&x| x as f32));
        }
        Ok(Self {
            u: Tensor::from_data(TensorData::new(u, [groups, runs, k, r]), device),
            v: Tensor::from_data(TensorData::new(v, [groups, runs, r, n]), device),
            scaling: settings.scaling(),
            renormalize_rows: settings.renormalizes_rows(),
        })
    }

    /// The factor multiplying U V.
    pub fn scaling(&self) -> f64 {
        self.scaling
    }

    /// Whether every SGD step scales the rows of V back to unit norm (the paper's init).
    pub fn renormalizes_rows(&self) -> bool {
        self.renormalize_rows
    }

    /// The update scaling * U V. Shape [G, R, K, N].
    pub fn delta(&self) -> Tensor<B, 4> {
        self.u.clone().matmul(self.v.clone()).mul_scalar(self.scaling)
    }

    /// The effective weight W0 + scaling * U V for frozen weights of shape [G, R, K, N].
    pub fn effective_weight(&self, frozen: &Tensor<B, 4>) -> Tensor<B, 4> {
        frozen.clone() + self.delta()
    }

    /// Gradients of the loss with respect to U and V, from its gradient with respect to the
    /// effective weight (shape [G, R, K, N]): dU = s G V^T, dV = s U^T G.
    pub fn gradients(&self, weight_gradient: &Tensor<B, 4>) -> (Tensor<B, 4>, Tensor<B, 4>) {
        let runs = self.u.dims()[1];
        self.scaled_gradients(weight_gradient, Tensor::ones([1, runs, 1, 1], &self.u.device()))
    }

    /// One SGD step with a learning rate per run (shape [1, R, 1, 1] or [G, R, 1, 1]); with the
    /// paper's init, rows of V are then scaled back to unit norm.
    pub fn sgd_step(&mut self, weight_gradient: &Tensor<B, 4>, learning_rates: &Tensor<B, 4>) {
        let (du, dv) = self.scaled_gradients(weight_gradient, learning_rates.clone());
        self.u = self.u.clone() - du;
        self.v = self.v.clone() - dv;
        if self.renormalize_rows {
            self.v = normalize_rows(self.v.clone());
        }
    }

    /// dU and dV, each run's multiplied by its factor in `scale` (shape [1, R, 1, 1] or
    /// [G, R, 1, 1]).
    fn scaled_gradients(
        &self,
        weight_gradient: &Tensor<B, 4>,
        scale: Tensor<B, 4>,
    ) -> (Tensor<B, 4>, Tensor<B, 4>) {
        let du =
            weight_gradient.clone().matmul(self.v.clone().swap_dims(2, 3)).mul_scalar(self.scaling)
                * scale.clone();
        // The factors scale U (r values per run) rather than dV (r x N values per run).
        let dv = (self.u.clone() * scale)
            .mul_scalar(self.scaling)
            .swap_dims(2, 3)
            .matmul(weight_gradient.clone());
        (du, dv)
    }

    /// Projections of every run's inputs on the rows of its V, a = x V^T.
    ///
    /// # Shapes
    /// - inputs: [G, B, N]
    /// - output: [G, B, R * r]
    pub fn project(&self, inputs: &Tensor<B, 3>) -> Tensor<B, 3> {
        let [groups, runs, rank, n] = self.v.dims();
        inputs.clone().matmul(self.v.clone().reshape([groups, runs * rank, n]).swap_dims(1, 2))
    }

    /// The update's share of the pre-activations, s U a, from the projections a = x V^T
    /// (shape [G, B, R * r]). Shape [G, B, R * K].
    pub fn update_preactivations(&self, projections: &Tensor<B, 3>) -> Tensor<B, 3> {
        let [groups, runs, k, rank] = self.u.dims();
        let batch = projections.dims()[1];
        let per_run = projections.clone().reshape([groups, batch, runs, rank]).swap_dims(1, 2);
        per_run
            .matmul(self.u.clone().swap_dims(2, 3).mul_scalar(self.scaling))
            .swap_dims(1, 2)
            .reshape([groups, batch, runs * k])
    }

    /// [`Self::update_preactivations`] with the runs first and the samples last:
    /// projections [G, R, r, B], output [G, R, K, B].
    pub fn update_preactivations_by_run(&self, projections: &Tensor<B, 4>) -> Tensor<B, 4> {
        self.u.clone().mul_scalar(self.scaling).matmul(projections.clone())
    }

    /// One SGD step from the loss's gradient with respect to the pre-activations,
    /// c = dL/dh (shape [G, B, R * K]), without forming the gradient with respect to the
    /// effective weight: dU = s c^T a and dV = s (c U)^T x, run by run, with a = x V^T from
    /// [`Self::project`] (taken before the step). Learning rates as in [`Self::sgd_step`].
    pub fn sgd_step_from_preactivations(
        &mut self,
        inputs: &Tensor<B, 3>,
        projections: &Tensor<B, 3>,
        preactivation_gradient: &Tensor<B, 3>,
        learning_rates: &Tensor<B, 4>,
    ) {
        let [groups, runs, k, rank] = self.u.dims();
        let [_, batch, n] = inputs.dims();
        let c = preactivation_gradient.clone().reshape([groups, batch, runs, k]).swap_dims(1, 2);
        let a = projections.clone().reshape([groups, batch, runs, rank]).swap_dims(1, 2);
        let rates = learning_rates.clone().mul_scalar(self.scaling);
        let du = c.clone().swap_dims(2, 3).matmul(a) * rates.clone();
        // Row (run, j) of dV is sum_b e[b, run, j] x_b.
        let e = (c.matmul(self.u.clone()) * rates).swap_dims(2, 3).reshape([
            groups,
            runs * rank,
            batch,
        ]);
        let v = self.v.clone().reshape([groups, runs * rank, n]);
        let v = if batch == 1 {
            // An outer product: a broadcast product is far cheaper than a matmul with inner size 1.
            v - inputs.clone().repeat_dim(1, runs * rank) * e
        } else {
            v - e.matmul(inputs.clone())
        };
        self.u = self.u.clone() - du;
        self.v = v.reshape([groups, runs, rank, n]);
        if self.renormalize_rows {
            self.v = normalize_rows(self.v.clone());
        }
    }

    /// The step of [`Self::sgd_step_from_preactivations`] with the runs first and the samples
    /// last, for inputs that need not be held as a tensor: projections a [G, R, r, B],
    /// gradient c [G, R, K, B], and `input_sums` mapping the sample weights e (shape
    /// [G, R, r, B]) to the rows sum_b e[., ., j, b] x_b of the update of V (shape
    /// [G, R, r, N]), each run with its own inputs. In this layout per-run factors broadcast
    /// cheaply over a large batch; with batch 1 the layout above is faster.
    pub fn sgd_step_by_run(
        &mut self,
        projections: &Tensor<B, 4>,
        preactivation_gradient: &Tensor<B, 4>,
        learning_rates: &Tensor<B, 4>,
        input_sums: impl FnOnce(Tensor<B, 4>) -> Tensor<B, 4>,
    ) {
        let rates = learning_rates.clone().mul_scalar(self.scaling);
        let c = preactivation_gradient.clone();
        let du = c.clone().matmul(projections.clone().swap_dims(2, 3)) * rates.clone();
        // The factors scale U (r values per run) rather than dV (r x N values per run).
        let e = (self.u.clone() * rates).swap_dims(2, 3).matmul(c);
        self.v = self.v.clone() - input_sums(e);
        self.u = self.u.clone() - du;
        if self.renormalize_rows {
            self.v = normalize_rows(self.v.clone());
        }
    }

    /// Norms of the rows of V. Shape [G, R, r, 1].
    pub fn row_norms(&self) -> Tensor<B, 4> {
        (self.v.clone() * self.v.clone()).sum_dim(3).sqrt()
    }
}

fn normalize_rows<B: Backend>(v: Tensor<B, 4>) -> Tensor<B, 4> {
    let norms = (v.clone() * v.clone()).sum_dim(3).sqrt();
    v / norms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{initial_factors, LoraConfig, LoraInit};
    use burn::backend::NdArray;
    use rand::SeedableRng;

    type B = NdArray;

    fn to_vec(tensor: Tensor<B, 4>) -> Vec<f64> {
        tensor.into_data().convert::<f64>().to_vec::<f64>().unwrap()
    }

    fn factors(config: &LoraConfig, runs: usize) -> LoraFactors<B> {
        let config = &config.factor_settings().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let host: Vec<_> = (0..runs).map(|_| initial_factors(config, 2, 6, &mut rng)).collect();
        LoraFactors::from_initial(config, &host, 1, &Default::default()).unwrap()
    }

    /// The chain rule through U V matches finite differences of <G, s U V>.
    #[test]
    fn gradients_follow_the_chain_rule() {
        let config = LoraConfig {
            r: 3,
            lora_alpha: 6.0,
            use_rslora: false,
            init_lora_weights: LoraInit::Gaussian,
            ..LoraConfig::default()
        };
        let mut lora = factors(&config, 2);
        lora.u = lora.u.clone().add_scalar(0.3);
        let g = Tensor::<B, 4>::from_data(
            TensorData::new(
                (0..24).map(|i| (i as f32 * 0.37).sin()).collect::<Vec<_>>(),
                [1, 2, 2, 6],
            ),
            &Default::default(),
        );
        let objective =
            |l: &LoraFactors<B>| to_vec((l.delta() * g.clone()).sum().reshape([1, 1, 1, 1]))[0];
        let (du, _dv) = lora.gradients(&g);
        let du = to_vec(du);
        let u: Vec<f32> = lora.u.clone().into_data().to_vec::<f32>().unwrap();
        for i in 0..u.len() {
            let mut shifted = u.clone();
            // The objective is linear in U, so a large step is exact up to rounding.
            shifted[i] += 0.5;
            let mut moved = lora.clone();
            moved.u =
                Tensor::from_data(TensorData::new(shifted, [1, 2, 2, 3]), &Default::default());
            let numeric = (objective(&moved) - objective(&lora)) / 0.5;
            assert!((numeric - du[i]).abs() < 1e-4 * (1.0 + du[i].abs()), "{numeric} vs {}", du[i]);
        }
    }

    fn pseudo_random<const D: usize>(shape: [usize; D], phase: f32) -> Tensor<B, D> {
        let count: usize = shape.iter().product();
        let values: Vec<f32> = (0..count).map(|i| ((i as f32 + phase) * 0.731).sin()).collect();
        Tensor::from_data(TensorData::new(values, shape), &Default::default())
    }

    /// The step from pre-activation gradients (no weight gradient formed), in the batch-major
    /// and the run-major layout, equals the step from the weight gradient G = c^T x, for
    /// batch 1 (the outer-product path) and larger batches, widths 1 and 2, per-run learning
    /// rates, with and without renormalised rows.
    #[test]
    fn step_from_preactivations_matches_step_from_weight_gradient() {
        let (groups, runs, n, rank) = (2, 3, 6, 2);
        for (batch, k, init) in [
            (1, 1, LoraInit::Gaussian),
            (4, 2, LoraInit::Gaussian),
            (1, 2, LoraInit::Paper),
            (5, 1, LoraInit::Paper),
        ] {
            let config = LoraConfig {
                r: rank,
                lora_alpha: 3.0,
                use_rslora: false,
                init_lora_weights: init,
                ..LoraConfig::default()
            };
            let config = config.factor_settings().unwrap();
            let mut rng = rand::rngs::StdRng::seed_from_u64(7);
            let host: Vec<_> =
                (0..groups * runs).map(|_| initial_factors(&config, k, n, &mut rng)).collect();
            let mut direct =
                LoraFactors::<B>::from_initial(&config, &host, groups, &Default::default())
                    .unwrap();
            direct.u = pseudo_random([groups, runs, k, rank], 0.5);
            let mut via_preactivations = direct.clone();
            let mut by_run = direct.clone();
            let inputs = pseudo_random([groups, batch, n], 1.0);
            let coefficients = pseudo_random([groups, batch, runs * k], 2.0);
            let rates = Tensor::<B, 4>::from_data(
                TensorData::new(vec![0.1f32, 0.2, 0.3], [1, runs, 1, 1]),
                &Default::default(),
            );

            let weight_gradient = coefficients
                .clone()
                .swap_dims(1, 2)
                .matmul(inputs.clone())
                .reshape([groups, runs, k, n]);
            direct.sgd_step(&weight_gradient, &rates);
            let projections = via_preactivations.project(&inputs);
            via_preactivations.sgd_step_from_preactivations(
                &inputs,
                &projections,
                &coefficients,
                &rates,
            );
            // The run-major step, with the inputs' sums formed from the same inputs.
            let run_major = |tensor: Tensor<B, 3>, width: usize| {
                tensor.reshape([groups, batch, runs, width]).permute([0, 2, 3, 1])
            };
            let (a, c) = (run_major(projections, rank), run_major(coefficients.clone(), k));
            by_run.sgd_step_by_run(&a, &c, &rates, |e| {
                e.matmul(inputs.clone().unsqueeze_dim::<4>(1))
            });

            let pairs = [
                (direct.u.clone(), via_preactivations.u.clone()),
                (direct.v.clone(), via_preactivations.v.clone()),
                (direct.u.clone(), by_run.u.clone()),
                (direct.v.clone(), by_run.v.clone()),
            ];
            for (a, b) in pairs {
                let (a, b) = (to_vec(a), to_vec(b));
                assert_eq!(a.len(), b.len());
                for (x, y) in a.iter().zip(&b) {
                    assert!(
                        (x - y).abs() < 1e-5 * (1.0 + x.abs()),
                        "batch {batch}, k {k}: {x} vs {y}"
                    );
                }
            }
        }
    }

    /// x W0^T + s (x V^T) U^T equals x (W0 + s U V)^T.
    #[test]
    fn update_preactivations_match_the_effective_weight() {
        let (groups, runs, k, n, batch) = (2, 3, 2, 5, 4);
        let config = LoraConfig {
            r: 2,
            lora_alpha: 5.0,
            use_rslora: false,
            init_lora_weights: LoraInit::Gaussian,
            ..LoraConfig::default()
        };
        let config = config.factor_settings().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let host: Vec<_> =
            (0..groups * runs).map(|_| initial_factors(&config, k, n, &mut rng)).collect();
        let mut lora =
            LoraFactors::<B>::from_initial(&config, &host, groups, &Default::default()).unwrap();
        lora.u = pseudo_random([groups, runs, k, 2], 0.25);
        let frozen = pseudo_random([groups, runs, k, n], 4.0);
        let inputs = pseudo_random([groups, batch, n], 5.0);
        let flat = |w: Tensor<B, 4>| w.reshape([groups, runs * k, n]).swap_dims(1, 2);
        let expected =
            to_vec(inputs.clone().matmul(flat(lora.effective_weight(&frozen))).reshape([
                groups,
                batch,
                runs * k,
                1,
            ]));
        let split = inputs.clone().matmul(flat(frozen))
            + lora.update_preactivations(&lora.project(&inputs));
        let split = to_vec(split.reshape([groups, batch, runs * k, 1]));
        for (x, y) in expected.iter().zip(&split) {
            assert!((x - y).abs() < 1e-5 * (1.0 + x.abs()), "{x} vs {y}");
        }
        // The run-major version gives the same numbers laid out [G, R, K, B].
        let projections =
            lora.project(&inputs).reshape([groups, batch, runs, 2]).permute([0, 2, 3, 1]);
        let by_run = lora
            .update_preactivations_by_run(&projections)
            .permute([0, 3, 1, 2])
            .reshape([groups, batch, runs * k]);
        let batch_major = lora.update_preactivations(&lora.project(&inputs));
        for (x, y) in to_vec(batch_major.reshape([groups, batch, runs * k, 1]))
            .iter()
            .zip(&to_vec(by_run.reshape([groups, batch, runs * k, 1])))
        {
            assert!((x - y).abs() < 1e-5 * (1.0 + x.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn paper_steps_keep_rows_of_v_at_unit_norm() {
        let config = LoraConfig::paper(2);
        let mut lora = factors(&config, 3);
        let g = Tensor::<B, 4>::ones([1, 3, 2, 6], &Default::default());
        let lr = Tensor::<B, 4>::full([1, 3, 1, 1], 0.5, &Default::default());
        lora.sgd_step(&g, &lr);
        for norm in to_vec(lora.row_norms()) {
            assert!((norm - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn mismatched_runs_are_rejected() {
        let config = LoraConfig::paper(1).factor_settings().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let host: Vec<_> = (0..3).map(|_| initial_factors(&config, 1, 4, &mut rng)).collect();
        assert!(LoraFactors::<B>::from_initial(&config, &host, 2, &Default::default()).is_err());
    }
}
