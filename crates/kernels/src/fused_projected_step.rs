//! The step on projected inputs fused into one loop per run over host memory.

use goldilocks_lora::LoraFactors;
use goldilocks_model::gaussian::{standard_normal_rows, Stream};
use goldilocks_model::{Activation, DEPENDENT_PIVOT};

use crate::host_ensemble::{step_on_host, Group, Run};
use crate::host_loops::{add_scaled, dot, scale, subtract_scaled};
use crate::{EnsembleStep, HostMemory, StepOutput};

/// The step of [`crate::EnsembleKernels::projected_lora_step`] as one loop per run, groups
/// and runs in parallel, on a backend whose tensors live in host memory.
///
/// Each group draws its coordinates z (B x d) and remainder Y (r x N) once. Each run then
/// factors the Gram matrix of its spanning rows S = [teacher; frozen; V] (d = 2K + r rows),
/// reads the samples' projections, labels, pre-activations, loss and gradient off z, updates
/// U, forms the update of V as combinations of the rows of S and Y (the law of
/// `goldilocks_model::ProjectedInputs::input_sums`), and subtracts it from V in one sweep
/// that also accumulates the rows' norms and overlaps with the teacher. The passes over
/// N-long rows are the Gram matrix, the products of S with Y and the update itself; what
/// depends on the batch works on d-long coordinates. Numbers agree with
/// [`crate::generic_projected_lora_step`] to float rounding.
pub fn fused_projected_lora_step<B: HostMemory>(
    lora: &mut LoraFactors<B>,
    step: &EnsembleStep<'_, B>,
) -> StepOutput<B> {
    let [_, _, rank, n] = lora.v.dims();
    let k = lora.u.dims()[2];
    let d = 2 * k + rank;
    let batch = step.batch;
    let settings = Settings {
        pairs: step.student.pairs().iter().map(|p| (p.teacher, p.student)).collect(),
        scaling: lora.scaling() as f32,
        renormalize: lora.renormalizes_rows(),
        shape: Shape { rank, k, n, d, batch },
    };
    let index = step.step as u64;
    step_on_host(
        lora,
        step,
        true,
        || (),
        |_, group: Group<'_>| {
            let seed = group.seed;
            let draws = GroupDraws {
                coordinates: standard_normal_rows(seed, Stream::SpanInputs, index, 1, batch * d),
                remainder: standard_normal_rows(seed, Stream::SpanRemainder, index, rank, n),
                noise: if step.label_noise > 0.0 {
                    standard_normal_rows(seed, Stream::LabelNoise, index, 1, batch)
                        .into_iter()
                        .map(|x| x * step.label_noise as f32)
                        .collect()
                } else {
                    vec![0.0; batch]
                },
            };
            let teacher = group.teacher;
            group.for_each_run(true, |run: Run<'_>| {
                let state = RunState {
                    teacher,
                    frozen: run.frozen,
                    rate: run.rate,
                    pair: settings.pairs[run.index],
                };
                settings.step_run(&state, &draws, run.u, run.v)
            });
        },
    )
}

/// The sizes of one run: rank r, K units, N inputs, d = 2K + r spanning rows, batch B.
struct Shape {
    rank: usize,
    k: usize,
    n: usize,
    d: usize,
    batch: usize,
}

/// What every run of the step shares.
struct Settings {
    /// (teacher, student) activation of each run of a group.
    pairs: Vec<(Activation, Activation)>,
    scaling: f32,
    renormalize: bool,
    shape: Shape,
}

/// One group's draws of the step: coordinates z [B, d], remainder Y [r, N], label noise [B].
struct GroupDraws {
    coordinates: Vec<f32>,
    remainder: Vec<f32>,
    noise: Vec<f32>,
}

/// What one run reads besides its factors.
struct RunState<'a> {
    teacher: &'a [f32],
    frozen: &'a [f32],
    rate: f32,
    pair: (Activation, Activation),
}

impl Settings {
    /// One SGD step of one run: updates U ([K, r]) and V ([r, N]) in place and returns the
    /// loss before the step and m_V after it.
    fn step_run(
        &self,
        run: &RunState<'_>,
        draws: &GroupDraws,
        u: &mut [f32],
        v: &mut [f32],
    ) -> (f32, f32) {
        let Shape { rank, k, n, d, batch } = self.shape;
        let (phi, sigma) = run.pair;
        let rows: Vec<&[f32]> = run
            .teacher
            .chunks_exact(n)
            .chain(run.frozen.chunks_exact(n))
            .chain(v.chunks_exact(n))
            .collect();
        let mut gram = vec![0.0f32; d * d];
        for i in 0..d {
            for l in 0..=i {
                let value = dot(rows[i], rows[l]);
                gram[i * d + l] = value;
                gram[l * d + i] = value;
            }
        }
        let (factor, orthonormalizer) = lower_factor(&gram, d);

        // Projections of every sample on every spanning row: P[i][b] = sum_l L[i][l] z[b][l].
        let z = &draws.coordinates;
        let mut projections = vec![0.0f32; d * batch];
        for i in 0..d {
            let row = &factor[i * d..(i + 1) * d];
            for (b, p) in projections[i * batch..(i + 1) * batch].iter_mut().enumerate() {
                *p = row.iter().zip(&z[b * d..(b + 1) * d]).map(|(l, z)| l * z).sum();
            }
        }
        let projection = |row: usize, b: usize| projections[row * batch + b];

        let teacher_scale = phi.readout_scale(k);
        let student_scale = sigma.readout_scale(k);
        let mut residuals = vec![0.0f32; batch];
        let mut slopes = vec![0.0f32; k * batch];
        let mut squares = 0.0f32;
        for b in 0..batch {
            let label = (0..k).map(|unit| phi.value(f64::from(projection(unit, b)))).sum::<f64>()
                / teacher_scale;
            let label = label as f32 + draws.noise[b];
            let mut prediction = 0.0f64;
            for unit in 0..k {
                let update: f32 = (0..rank)
                    .map(|j| u[unit * rank + j] * self.scaling * projection(2 * k + j, b))
                    .sum();
                let h = f64::from(projection(k + unit, b) + update);
                let (value, slope) = sigma.value_and_derivative(h);
                prediction += value;
                slopes[unit * batch + b] = (slope / student_scale) as f32;
            }
            let residual = (prediction / student_scale) as f32 - label;
            residuals[b] = residual;
            squares += residual * residual;
        }
        let loss = 0.5 * squares / batch as f32;
        // c[k][b] = r_b sigma'(h) / (c B): the gradient with respect to the pre-activations.
        let inverse_batch = 1.0 / batch as f32;
        let c: Vec<f32> =
            (0..k * batch).map(|i| residuals[i % batch] * slopes[i] * inverse_batch).collect();
        let rate = run.rate * self.scaling;
        // e[j][b] = sum_k (U[k][j] rate) c[k][b], with U before its update.
        let mut e = vec![0.0f32; rank * batch];
        for j in 0..rank {
            for unit in 0..k {
                let factor_u = u[unit * rank + j] * rate;
                for b in 0..batch {
                    e[j * batch + b] += factor_u * c[unit * batch + b];
                }
            }
        }
        for unit in 0..k {
            for j in 0..rank {
                let gradient: f32 =
                    (0..batch).map(|b| c[unit * batch + b] * projection(2 * k + j, b)).sum();
                u[unit * rank + j] -= gradient * rate;
            }
        }

        // The update of V, sum_b e[j][b] x_b = l_e[j] . Y + C[j] . S (see input_sums).
        let mut e_gram = vec![0.0f32; rank * rank];
        for j in 0..rank {
            for l in 0..=j {
                let value: f32 = e[j * batch..(j + 1) * batch]
                    .iter()
                    .zip(&e[l * batch..])
                    .map(|(a, b)| a * b)
                    .sum();
                e_gram[j * rank + l] = value;
                e_gram[l * rank + j] = value;
            }
        }
        let (l_e, _) = lower_factor(&e_gram, rank);
        let y = &draws.remainder;
        // <S_i, Y_j'> for every spanning row i and remainder row j'.
        let on_rows: Vec<f32> = (0..rank)
            .flat_map(|jp| (0..d).map(move |i| (jp, i)))
            .map(|(jp, i)| dot(rows[i], &y[jp * n..(jp + 1) * n]))
            .collect();
        let t = &orthonormalizer;
        let mut coefficients = vec![0.0f32; rank * d];
        // in_span[j][i] = sum_l (e z)[j][l] T[l][i]
        for j in 0..rank {
            let weighted: Vec<f32> =
                (0..d).map(|l| (0..batch).map(|b| e[j * batch + b] * z[b * d + l]).sum()).collect();
            for i in 0..d {
                coefficients[j * d + i] = (0..d).map(|l| weighted[l] * t[l * d + i]).sum();
            }
        }
        // remainder in span: l_e (R T^T) T, with R[j'][i] = <S_i, Y_j'>.
        let mut remainder_in_span = vec![0.0f32; rank * d];
        for jp in 0..rank {
            let r = &on_rows[jp * d..(jp + 1) * d];
            let on_basis: Vec<f32> =
                (0..d).map(|p| (0..d).map(|i| r[i] * t[p * d + i]).sum()).collect();
            for i in 0..d {
                remainder_in_span[jp * d + i] = (0..d).map(|p| on_basis[p] * t[p * d + i]).sum();
            }
        }
        let mut delta = vec![0.0f32; rank * n];
        for j in 0..rank {
            let target = &mut delta[j * n..(j + 1) * n];
            for jp in 0..rank {
                let weight = l_e[j * rank + jp];
                if weight != 0.0 {
                    add_scaled(target, weight, &y[jp * n..(jp + 1) * n]);
                }
            }
            for i in 0..d {
                let in_span = coefficients[j * d + i]
                    - (0..rank)
                        .map(|jp| l_e[j * rank + jp] * remainder_in_span[jp * d + i])
                        .sum::<f32>();
                add_scaled(target, in_span, rows[i]);
            }
        }
        drop(rows);

        let mut order = 0.0f32;
        for (row, delta) in v.chunks_exact_mut(n).zip(delta.chunks_exact(n)) {
            subtract_scaled(row, 1.0, delta);
            let norm = dot(row, row).sqrt();
            for t in run.teacher.chunks_exact(n) {
                order = order.max(dot(row, t).abs() / norm);
            }
            if self.renormalize {
                scale(row, 1.0 / norm);
            }
        }
        (loss, order)
    }
}

/// The Cholesky factor L and orthonormaliser T of a d x d Gram matrix (row-major), as
/// `goldilocks_model::LowerFactor::of_gram` computes them: a pivot at or below
/// `DEPENDENT_PIVOT` times its diagonal entry marks a dependent row, whose column of L and
/// row of T are zero.
fn lower_factor(gram: &[f32], d: usize) -> (Vec<f32>, Vec<f32>) {
    let mut factor = vec![0.0f32; d * d];
    for j in 0..d {
        let mut column: Vec<f32> = (0..d).map(|i| gram[i * d + j]).collect();
        for p in 0..j {
            let at_j = factor[j * d + p];
            for (i, value) in column.iter_mut().enumerate() {
                *value -= factor[i * d + p] * at_j;
            }
        }
        let pivot = column[j];
        if pivot > gram[j * d + j] * DEPENDENT_PIVOT as f32 {
            let divisor = pivot.sqrt();
            for i in j..d {
                factor[i * d + j] = column[i] / divisor;
            }
        }
    }
    let mut orthonormalizer = vec![0.0f32; d * d];
    for i in 0..d {
        let mut row = vec![0.0f32; d];
        row[i] = 1.0;
        for p in 0..i {
            let weight = factor[i * d + p];
            for (value, &previous) in row.iter_mut().zip(&orthonormalizer[p * d..(p + 1) * d]) {
                *value -= previous * weight;
            }
        }
        let diagonal = factor[i * d + i];
        if diagonal > 0.0 {
            for (target, value) in orthonormalizer[i * d..(i + 1) * d].iter_mut().zip(row) {
                *target = value / diagonal;
            }
        }
    }
    (factor, orthonormalizer)
}
