//! The summary statistics `(m, u)` of rank-1 LoRA fine-tuning of a single-index model
//! (K = 1, the paper's init, frozen `w0 = mu w*`) and their deterministic large-N dynamics:
//! the ordinary differential equations and the exact one-step map.
//!
//! The student weight is `S = mu w* + u V` with `|V| = 1` (V renormalised after every
//! step), so `m = <V, w*>` and `u = U` determine it. With `b = <w*, x>` and `c = <V, x>`,
//! jointly Gaussian with unit variances and correlation `m`, the pre-activation is
//! `a = <S, x> = mu b + u c` and one sample's gradient factor is
//! `f = (sigma(a) - phi(b)) sigma'(a)`. The population terms are
//! - `G_w = E[f b]`, `G_v = E[f c]` (the mean gradient along `w*` and along `V`),
//! - `G_z = E[f z]` with `z = (c - m b) / sqrt(1 - m^2)` (the mean gradient along the part
//!   of `V` orthogonal to `w*`; 0 when `m^2 = 1`),
//! - `F = E[f^2]` (the size of one sample's gradient).
//!
//! The ODEs, in the time `t = lr * steps` (see `docs/theory.md` for the derivation), with
//! `eta = lr N / B`:
//! - `du/dt = -G_v`,
//! - `dm/dt = -u (G_w - m G_v) - (eta / 2) m u^2 F`.
//!
//! The last term is the renormalisation's noise: the batch gradient has a component of
//! squared norm about `(N / B) F` orthogonal to everything, and scaling `V` back to unit
//! norm after a step along it shrinks `m`. The ODEs are exact in the limit `N -> infinity`,
//! `lr -> 0` with `eta` fixed; at finite `lr` the step map [`LoraDynamics::step_map`] keeps
//! every order in `lr` (it is the `N -> infinity` limit with `B / N` and `lr` fixed).

use super::bivariate::{GaussianPair, KinkLine};
use super::dormand_prince::{integrate, OdeOptions};
use super::error::DynamicsError;
use super::radial_rule::RadialRule;
use crate::activation::ScalarActivation;
use crate::quadrature::gauss_hermite::GaussHermite;

/// The setting whose summary statistics are followed.
#[derive(Debug, Clone)]
pub struct LoraDynamics<'a> {
    teacher: ScalarActivation<'a>,
    student: ScalarActivation<'a>,
    mu: f64,
    learning_rate: f64,
    input_dim: usize,
    batch: usize,
    rule: GaussHermite,
    radial: RadialRule,
    piecewise_linear: bool,
}

/// The population terms at one state (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopulationTerms {
    /// `G_w = E[f b]`.
    pub g_w: f64,
    /// `G_v = E[f c]`.
    pub g_v: f64,
    /// `G_z = E[f (c - m b)] / sqrt(1 - m^2)` (0 when `m^2 = 1`).
    pub g_z: f64,
    /// `F = E[f^2]`.
    pub f2: f64,
}

/// How the population expectations are integrated (see [`GaussianPair`]).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Quadrature {
    /// The Gauss-Hermite tensor rule: both activations smooth.
    Tensor,
    /// The polar rule with 2 radial nodes: a pair declared piecewise linear.
    Polar,
    /// The piecewise Cartesian rule: any other pair with a kink or a jump.
    Cartesian,
}

/// A state of the summary statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlaps {
    /// `m = <V, w*>`, in `[-1, 1]`.
    pub m: f64,
    /// `u = U`.
    pub u: f64,
}

/// Product weights of the two-variable tensor rule below which a pair of nodes is skipped:
/// with 40 nodes the skipped pairs weigh about 2e-21 in all.
const NEGLIGIBLE_WEIGHT: f64 = 1e-22;

/// Gauss-Hermite nodes per variable for smooth activations.
pub const DEFAULT_NODES: usize = 40;

/// Radial nodes of the polar rule for a pair declared piecewise linear: the integrands are
/// polynomials of degree at most 2 in the radius along every ray, exact with 2 nodes.
pub const PIECEWISE_LINEAR_RADIAL_NODES: usize = 2;

/// Gauss-Hermite nodes per variable for a smooth pair: [`DEFAULT_NODES`], or fewer when both
/// activations are polynomials (a Hermite degree `k_t` for the teacher, `k_s` for the
/// student). Then `f = (sigma(a) - phi(b)) sigma'(a)` has degree at most
/// `d = max(k_s, k_t) + k_s - 1` in the pair, every integrand (`f b`, `f c`, `f^2`) at most
/// `2 d` (at least `d + 1`), and `n` nodes integrate degree `2 n - 1` exactly, so `d + 1`
/// nodes give the exact expectations: 4 instead of 40 for He2 (16 evaluations for 1600).
fn smooth_nodes(teacher: &ScalarActivation<'_>, student: &ScalarActivation<'_>) -> usize {
    match (teacher.hermite_degree, student.hermite_degree) {
        (Some(k_t), Some(k_s)) => {
            let d = k_s.max(k_t) as usize + (k_s as usize).saturating_sub(1);
            (d.max(1) + 1).min(DEFAULT_NODES)
        }
        _ => DEFAULT_NODES,
    }
}

impl<'a> LoraDynamics<'a> {
    /// The dynamics for teacher `phi`, student `sigma`, pre-training strength `mu`, learning
    /// rate `learning_rate` (the one actually used, after any Hermite rule), input dimension
    /// `input_dim` (N) and batch `batch` (B).
    pub fn new(
        teacher: ScalarActivation<'a>,
        student: ScalarActivation<'a>,
        mu: f64,
        learning_rate: f64,
        input_dim: usize,
        batch: usize,
    ) -> Result<Self, DynamicsError> {
        if !(mu.is_finite() && mu >= 0.0) {
            return Err(DynamicsError::InvalidParameter {
                field: "mu",
                reason: format!("must be a non-negative number, got {mu}"),
            });
        }
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(DynamicsError::InvalidParameter {
                field: "learning_rate",
                reason: format!("must be a positive number, got {learning_rate}"),
            });
        }
        if input_dim < 2 {
            return Err(DynamicsError::InvalidParameter {
                field: "input_dim",
                reason: format!("must be at least 2, got {input_dim}"),
            });
        }
        if batch == 0 {
            return Err(DynamicsError::InvalidParameter {
                field: "batch",
                reason: "must be at least 1, got 0".into(),
            });
        }
        Ok(Self {
            teacher,
            student,
            mu,
            learning_rate,
            input_dim,
            batch,
            rule: GaussHermite::new(smooth_nodes(&teacher, &student)),
            radial: RadialRule::new(PIECEWISE_LINEAR_RADIAL_NODES),
            piecewise_linear: false,
        })
    }

    /// Declares that teacher and student are linear on each side of 0 (linear, relu, and
    /// sign for a teacher), with kinks or jumps only at 0. Every population integrand is then
    /// a polynomial of degree at most 2 in the radius along each ray of the polar rule, so
    /// the expectations use [`PIECEWISE_LINEAR_RADIAL_NODES`] radial nodes and stay exact
    /// up to the angular rule, at about 1/400 of the cost of the piecewise Cartesian rule (relu).
    /// A pair that is not piecewise linear gets wrong terms.
    pub fn piecewise_linear(mut self) -> Self {
        self.piecewise_linear = true;
        self
    }

    /// `eta = lr N / B`, the strength of the renormalisation noise in the ODEs.
    pub fn noise_strength(&self) -> f64 {
        self.learning_rate * self.input_dim as f64 / self.batch as f64
    }

    /// The learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// The paper init's `U = 1 / N^2`.
    pub fn initial_u(&self) -> f64 {
        1.0 / (self.input_dim as f64 * self.input_dim as f64)
    }

    /// The population terms at `state`.
    pub fn population(&self, state: Overlaps) -> Result<PopulationTerms, DynamicsError> {
        let quadrature = if self.piecewise_linear {
            Quadrature::Polar
        } else if self.teacher.non_smooth || self.student.non_smooth {
            Quadrature::Cartesian
        } else {
            Quadrature::Tensor
        };
        self.population_by(state, quadrature)
    }

    /// The population terms at `state` by the given quadrature.
    fn population_by(
        &self,
        state: Overlaps,
        quadrature: Quadrature,
    ) -> Result<PopulationTerms, DynamicsError> {
        let Overlaps { m, u } = state;
        if !(m.is_finite() && m.abs() <= 1.0 + 1e-12 && u.is_finite()) {
            return Err(DynamicsError::InvalidParameter {
                field: "state",
                reason: format!("needs |m| <= 1 and finite u, got m = {m}, u = {u}"),
            });
        }
        let m = m.clamp(-1.0, 1.0);
        let mu = self.mu;
        let (phi, sigma, dsigma) =
            (self.teacher.value, self.student.value, self.student.derivative);
        let f = |b: f64, c: f64| {
            let a = mu * b + u * c;
            (sigma(a) - phi(b)) * dsigma(a)
        };
        let s2 = 1.0 - m * m;
        // The pair (b, c) = (<w*, x>, <V, x>).
        let pair = GaussianPair::new(1.0, m, 1.0);
        let mut kinks = Vec::new();
        if self.teacher.non_smooth {
            kinks.push(KinkLine { alpha: 1.0, beta: 0.0 });
        }
        if self.student.non_smooth {
            kinks.push(KinkLine { alpha: mu, beta: u });
        }
        // One pass for the four terms: f b, f c, f (c - m b), f^2.
        let integrand = |b: f64, c: f64| {
            let value = f(b, c);
            [value * b, value * c, value * (c - m * b), value * value]
        };
        let [g_w, g_v, g_z, f2] = match quadrature {
            Quadrature::Tensor => match self.student_first(m, u) {
                Some(terms) => terms,
                None => pair.expectations_smooth(&integrand, &self.rule),
            },
            Quadrature::Polar => pair.expectations_polar(&integrand, &kinks, &self.radial),
            Quadrature::Cartesian => pair.expectations_piecewise(&integrand, &kinks),
        };
        let g_z = if s2 > 0.0 { g_z / s2.sqrt() } else { 0.0 };
        let terms = PopulationTerms { g_w, g_v, g_z, f2 };
        if [g_w, g_v, g_z, f2].iter().any(|v| !v.is_finite()) {
            return Err(DynamicsError::NonFinite { quantity: "a population term", t: f64::NAN });
        }
        Ok(terms)
    }

    /// The four population integrals `E[f b], E[f c], E[f (c - m b)], E[f^2]` by the tensor
    /// rule in coordinates where the student's pre-activation `a = mu b + u c` depends on the
    /// first variable alone: `a = s_a w1`, `(b, c) = (b1, c1) w1 + (b2, c2) w2`. sigma(a) and
    /// sigma'(a) are then evaluated once per node of `w1` and only phi(b) at every pair of
    /// nodes; pairs whose weight is below [`NEGLIGIBLE_WEIGHT`] are skipped (their total
    /// weight is about 2e-21). The rule's error on these analytic integrands is far below the
    /// rounding of the terms. `None` when `a` vanishes (mu = u = 0).
    fn student_first(&self, m: f64, u: f64) -> Option<[f64; 4]> {
        let mu = self.mu;
        let var_a = mu * mu + u * u + 2.0 * mu * u * m;
        if var_a.is_nan() || var_a <= 0.0 {
            return None;
        }
        let s_a = var_a.sqrt();
        let (b1, c1) = ((mu + u * m) / s_a, (mu * m + u) / s_a);
        let residual_b = (1.0 - b1 * b1).max(0.0);
        let (b2, c2) = if residual_b > 0.0 {
            let b2 = residual_b.sqrt();
            (b2, (m - b1 * c1) / b2)
        } else {
            (0.0, (1.0 - c1 * c1).max(0.0).sqrt())
        };
        let (phi, sigma, dsigma) =
            (self.teacher.value, self.student.value, self.student.derivative);
        let (nodes, weights) = (self.rule.nodes(), self.rule.weights());
        let mut total = [0.0; 4];
        for (&w1, &p1) in nodes.iter().zip(weights) {
            if p1 < NEGLIGIBLE_WEIGHT {
                continue;
            }
            let a = s_a * w1;
            let (value, slope) = (sigma(a), dsigma(a));
            for (&w2, &p2) in nodes.iter().zip(weights) {
                let weight = p1 * p2;
                if weight < NEGLIGIBLE_WEIGHT {
                    continue;
                }
                let (b, c) = (b1 * w1 + b2 * w2, c1 * w1 + c2 * w2);
                let f = (value - phi(b)) * slope;
                for (t, v) in total.iter_mut().zip([f * b, f * c, f * (c - m * b), f * f]) {
                    *t += weight * v;
                }
            }
        }
        Some(total)
    }

    /// `(dm/dt, du/dt)` at `state`, with `t = lr * steps`.
    pub fn drift(&self, state: Overlaps) -> Result<Overlaps, DynamicsError> {
        let p = self.population(state)?;
        let Overlaps { m, u } = state;
        let dm = -u * (p.g_w - m * p.g_v) - 0.5 * self.noise_strength() * m * u * u * p.f2;
        Ok(Overlaps { m: dm, u: -p.g_v })
    }

    /// One SGD step in the limit `N -> infinity` with `B / N` and `lr` fixed:
    /// `u' = u - lr G_v` and
    /// `m' = (m - lr u G_w) / sqrt(1 - 2 lr u G_v + lr^2 u^2 (G_w^2 + G_z^2 + (N / B) F))`.
    pub fn step_map(&self, state: Overlaps) -> Result<Overlaps, DynamicsError> {
        let p = self.population(state)?;
        let Overlaps { m, u } = state;
        let lr = self.learning_rate;
        let ratio = self.input_dim as f64 / self.batch as f64;
        let squared_norm = 1.0 - 2.0 * lr * u * p.g_v
            + (lr * u).powi(2) * (p.g_w.powi(2) + p.g_z.powi(2) + ratio * p.f2);
        let next = Overlaps {
            m: ((m - lr * u * p.g_w) / squared_norm.sqrt()).clamp(-1.0, 1.0),
            u: u - lr * p.g_v,
        };
        if !(next.m.is_finite() && next.u.is_finite()) {
            return Err(DynamicsError::NonFinite { quantity: "the step map", t: f64::NAN });
        }
        Ok(next)
    }

    /// `|m|` after `1, 2, ..., steps` steps by the step map from `start`.
    pub fn map_curve(&self, start: Overlaps, steps: usize) -> Result<Vec<f64>, DynamicsError> {
        let mut state = start;
        let mut curve = Vec::with_capacity(steps);
        for _ in 0..steps {
            state = self.step_map(state)?;
            curve.push(state.m.abs());
        }
        Ok(curve)
    }

    /// `|m|` after `1, 2, ..., steps` steps by the ODEs from `start` (at `t = lr * step`),
    /// integrated with the Dormand-Prince 5(4) method.
    pub fn ode_curve(
        &self,
        start: Overlaps,
        steps: usize,
        options: &OdeOptions,
    ) -> Result<Vec<f64>, DynamicsError> {
        if steps == 0 {
            return Ok(Vec::new());
        }
        let end = self.learning_rate * steps as f64;
        let mut rhs = |t: f64, y: &[f64]| {
            let state = Overlaps { m: y[0].clamp(-1.0, 1.0), u: y[1] };
            let d = self.drift(state).map_err(|error| match error {
                DynamicsError::NonFinite { quantity, .. } => {
                    DynamicsError::NonFinite { quantity, t }
                }
                other => other,
            })?;
            Ok(vec![d.m, d.u])
        };
        let solution = integrate(&mut rhs, 0.0, &[start.m, start.u], end, options)?;
        Ok((1..=steps)
            .map(|i| solution.at(self.learning_rate * i as f64)[0].abs().min(1.0))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tau::tau_linear_closed_form;
    use crate::test_activations::{identity, one, relu, sign, step, zero};

    fn linear() -> ScalarActivation<'static> {
        ScalarActivation::smooth(&identity, &one)
    }

    /// For sigma = phi = identity, f = (mu - 1) b + u c, so every term has a closed form.
    #[test]
    fn linear_terms_have_closed_forms() {
        let dynamics = LoraDynamics::new(linear(), linear(), 0.3, 0.2, 1000, 500).unwrap();
        for &(m, u) in &[(0.02, 1e-6), (0.4, 0.3), (-0.7, 0.9), (1.0, 0.5)] {
            let p = dynamics.population(Overlaps { m, u }).unwrap();
            let k = 0.3 - 1.0;
            assert!((p.g_w - (k + u * m)).abs() < 1e-13);
            assert!((p.g_v - (k * m + u)).abs() < 1e-13);
            assert!((p.f2 - (k * k + 2.0 * k * u * m + u * u)).abs() < 1e-13);
            let g_z = if m.abs() < 1.0 { u * (1.0 - m * m).sqrt() } else { 0.0 };
            assert!((p.g_z - g_z).abs() < 1e-13, "m {m}: {} vs {g_z}", p.g_z);
            // dm/dt = u (1 - mu)(1 - m^2) - (eta / 2) m u^2 F.
            let d = dynamics.drift(Overlaps { m, u }).unwrap();
            let expected = u * (1.0 - 0.3) * (1.0 - m * m) - 0.5 * 0.4 * m * u * u * p.f2;
            assert!((d.m - expected).abs() < 1e-13);
        }
    }

    /// For polynomial pairs the few-node rule is exact: the same terms as the 40-node rule,
    /// to rounding, along the states a fine-tuning run passes through.
    #[test]
    fn polynomial_pairs_use_the_exact_few_node_rule() {
        let he2 = |x: f64| x * x - 1.0;
        let dhe2 = |x: f64| 2.0 * x;
        let he3 = |x: f64| x * x * x - 3.0 * x;
        let dhe3 = |x: f64| 3.0 * x * x - 3.0;
        let cases = [
            (
                ScalarActivation::hermite(&he2, &dhe2, 2),
                ScalarActivation::hermite(&he2, &dhe2, 2),
                4,
            ),
            (
                ScalarActivation::hermite(&he3, &dhe3, 3),
                ScalarActivation::hermite(&he2, &dhe2, 2),
                5,
            ),
            (
                ScalarActivation::hermite(&he3, &dhe3, 3),
                ScalarActivation::hermite(&he3, &dhe3, 3),
                6,
            ),
        ];
        for (teacher, student, nodes) in cases {
            assert_eq!(smooth_nodes(&teacher, &student), nodes);
            let few = LoraDynamics::new(teacher, student, 0.4, 0.05, 1000, 500).unwrap();
            let many = LoraDynamics { rule: GaussHermite::new(DEFAULT_NODES), ..few.clone() };
            for &(m, u) in &[(0.038, 1e-6), (0.3, 0.2), (-0.6, 0.7), (0.95, 1.1)] {
                let (a, b) = (
                    few.population(Overlaps { m, u }).unwrap(),
                    many.population(Overlaps { m, u }).unwrap(),
                );
                for (x, y) in [(a.g_w, b.g_w), (a.g_v, b.g_v), (a.g_z, b.g_z), (a.f2, b.f2)] {
                    assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "m {m}, u {u}: {x} vs {y}");
                }
            }
        }
        let erf_like = |x: f64| x.tanh();
        let slope = |x: f64| 1.0 - x.tanh().powi(2);
        let smooth = ScalarActivation::smooth(&erf_like, &slope);
        assert_eq!(smooth_nodes(&smooth, &smooth), DEFAULT_NODES, "not a polynomial");
    }

    /// Near (m, u) = (0, 0) the drift is linear with growth rate 1 / tau(mu): the theory's
    /// exit time is this linearisation (linear case, closed form of `crate::tau`).
    #[test]
    fn linearisation_at_the_origin_grows_at_one_over_tau() {
        for &mu in &[0.1, 0.5, 0.8] {
            let dynamics = LoraDynamics::new(linear(), linear(), mu, 0.2, 1000, 500).unwrap();
            let h = 1e-7;
            let dm = dynamics.drift(Overlaps { m: h, u: 0.0 }).unwrap();
            let du = dynamics.drift(Overlaps { m: 0.0, u: h }).unwrap();
            let (j11, j12, j21, j22) = (dm.m / h, du.m / h, dm.u / h, du.u / h);
            let trace = j11 + j22;
            let det = j11 * j22 - j12 * j21;
            let rate = 0.5 * (trace + (trace * trace - 4.0 * det).sqrt());
            let tau = tau_linear_closed_form(mu);
            assert!((rate * tau - 1.0).abs() < 1e-6, "mu {mu}: rate {rate}, 1 / tau {}", 1.0 / tau);
        }
    }

    /// The ODE and the step map agree more closely as the learning rate shrinks (the map
    /// is a consistent one-step scheme for the ODE with eta = lr N / B held fixed).
    #[test]
    fn step_map_tends_to_the_ode_as_the_learning_rate_shrinks() {
        let options = OdeOptions::default();
        let mut previous = f64::INFINITY;
        for &lr in &[0.2, 0.05, 0.0125] {
            // Keep eta = lr N / B = 0.4 fixed.
            let batch = (1000.0 * lr / 0.4) as usize;
            let dynamics = LoraDynamics::new(linear(), linear(), 0.5, lr, 1000, batch).unwrap();
            let steps = (20.0 / lr) as usize;
            let start = Overlaps { m: 0.03, u: 1e-6 };
            let ode = dynamics.ode_curve(start, steps, &options).unwrap();
            let map = dynamics.map_curve(start, steps).unwrap();
            let gap = ode.iter().zip(&map).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(gap < previous, "lr {lr}: gap {gap} not below {previous}");
            previous = gap;
        }
        assert!(previous < 0.05, "gap at the smallest rate: {previous}");
    }

    #[test]
    fn relu_terms_are_finite_and_odd_symmetric() {
        let relu_activation = ScalarActivation::non_smooth(&relu, &step);
        let dynamics =
            LoraDynamics::new(relu_activation, relu_activation, 0.4, 0.2, 1000, 500).unwrap();
        // (m, u) -> (-m, -u) maps V to -V, so the drift is odd.
        let plus = dynamics.drift(Overlaps { m: 0.3, u: 0.5 }).unwrap();
        let minus = dynamics.drift(Overlaps { m: -0.3, u: -0.5 }).unwrap();
        assert!((plus.m + minus.m).abs() < 1e-9 && (plus.u + minus.u).abs() < 1e-9);
        assert!(plus.m > 0.0, "the overlap grows from m = 0.3");
    }

    /// For relu (teacher = student, mu > 0) the linearisation at (0, 0) has the closed form
    /// J = [[0, (1 - mu) / 2], [(1 - mu) / 2, -1 / 2]] (relu is positively homogeneous, so
    /// at u = 0, f = (mu - 1) relu(b) 1{b > 0}); the growth rate solves
    /// lambda^2 + lambda / 2 - (1 - mu)^2 / 4 = 0, which rises steadily as mu grows.
    #[test]
    fn relu_linearisation_has_its_closed_form() {
        let relu_activation = ScalarActivation::non_smooth(&relu, &step);
        let mut previous = 0.0;
        for &mu in &[0.1, 0.2, 0.5, 0.8] {
            let dynamics =
                LoraDynamics::new(relu_activation, relu_activation, mu, 0.2, 1000, 500).unwrap();
            let h = 1e-6;
            let dm = dynamics.drift(Overlaps { m: h, u: 0.0 }).unwrap();
            let du = dynamics.drift(Overlaps { m: 0.0, u: h }).unwrap();
            let expected = [0.0, 0.5 * (1.0 - mu), 0.5 * (1.0 - mu), -0.5];
            let got = [dm.m / h, du.m / h, dm.u / h, du.u / h];
            for (g, e) in got.iter().zip(expected) {
                assert!((g - e).abs() < 1e-6, "mu {mu}: J = {got:?}, expected {expected:?}");
            }
            let rate = 0.5 * (-0.5 + (0.25 + (1.0 - mu) * (1.0 - mu)).sqrt());
            assert!(1.0 / rate > previous);
            previous = 1.0 / rate;
        }
    }

    /// The largest difference between the polar rule (what `population` uses) and the
    /// piecewise Cartesian rule over states from the start of a run (u = 1/N^2, m = 0.038)
    /// to alignment, at three strengths.
    /// (The Cartesian rule loses accuracy as |m| -> 1, to 7e-10 on the relu kernel at a
    /// correlation of 0.9999, so the states stop at m = 0.98 and m = 1.)
    fn polar_against_cartesian(teacher: ScalarActivation, student: ScalarActivation) -> f64 {
        let states = [
            (0.038, 1e-6),
            (-0.02, 1e-6),
            (0.3, 0.5),
            (0.7, 0.4),
            (-0.6, 0.9),
            (0.98, 0.45),
            (1.0, 0.5),
            (0.2, -0.3),
        ];
        let mut worst = 0.0_f64;
        for &mu in &[0.1, 0.5, 0.8] {
            let dynamics =
                LoraDynamics::new(teacher, student, mu, 0.2, 1000, 500).unwrap().piecewise_linear();
            for &(m, u) in &states {
                let state = Overlaps { m, u };
                let polar = dynamics.population(state).unwrap();
                let cartesian = dynamics.population_by(state, Quadrature::Cartesian).unwrap();
                for (a, b) in [
                    (polar.g_w, cartesian.g_w),
                    (polar.g_v, cartesian.g_v),
                    (polar.g_z, cartesian.g_z),
                    (polar.f2, cartesian.f2),
                ] {
                    worst = worst.max((a - b).abs());
                }
            }
        }
        worst
    }

    /// Piecewise-linear pairs: 2 radial nodes are exact, so the polar rule agrees with the
    /// Cartesian one to the latter's accuracy (1e-10 on the kernels of `bivariate`); here
    /// to 1e-9 on every term.
    #[test]
    fn polar_rule_matches_the_cartesian_rule_for_piecewise_linear_pairs() {
        let relu_activation = ScalarActivation::non_smooth(&relu, &step);
        let sign_activation = ScalarActivation::non_smooth(&sign, &zero);
        for (name, teacher, student) in [
            ("relu", relu_activation, relu_activation),
            ("sign->relu", sign_activation, relu_activation),
            ("relu->linear", relu_activation, linear()),
            ("sign->linear", sign_activation, linear()),
            ("linear", linear(), linear()),
        ] {
            let gap = polar_against_cartesian(teacher, student);
            assert!(gap < 1e-9, "{name}: polar and Cartesian differ by {gap}");
        }
    }

    #[test]
    fn bad_parameters_name_their_field() {
        let cases = [
            (LoraDynamics::new(linear(), linear(), -0.1, 0.2, 100, 50).unwrap_err(), "mu"),
            (
                LoraDynamics::new(linear(), linear(), 0.1, 0.0, 100, 50).unwrap_err(),
                "learning_rate",
            ),
            (LoraDynamics::new(linear(), linear(), 0.1, 0.2, 1, 50).unwrap_err(), "input_dim"),
            (LoraDynamics::new(linear(), linear(), 0.1, 0.2, 100, 0).unwrap_err(), "batch"),
        ];
        for (error, field) in cases {
            assert!(
                matches!(error, DynamicsError::InvalidParameter { field: f, .. } if f == field),
                "{error}"
            );
        }
    }
}
