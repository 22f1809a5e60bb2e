//! The Gauss rule for the radial part of a standard bivariate normal in polar coordinates:
//! `integral over [0, inf) of h(rho) rho exp(-rho^2 / 2) d rho`, whose weight has total mass 1.
//!
//! An `n`-node rule is exact for polynomials `h` of degree up to `2n - 1`. Its three-term
//! recurrence comes from the discretised Stieltjes procedure (stable, unlike the moment
//! route): the weight is discretised by Gauss-Kronrod 15-point panels 0.5 wide on
//! `[0, RANGE]`, which integrate `rho^k rho exp(-rho^2 / 2)` to rounding for the degrees the
//! recurrence needs. The nodes are the eigenvalues of the Jacobi matrix, by Sturm-sequence
//! bisection, and the weights the Christoffel numbers `1 / sum_k p_k(x)^2` of the
//! orthonormal polynomials `p_k`.

use crate::quadrature::gauss_kronrod::{WGK, XGK};

/// Upper end of the discretised radial range (`exp(-RANGE^2 / 2)` is far below rounding even
/// against `rho^{2n}` for the rule sizes used here).
const RANGE: f64 = 16.0;
/// Width of the Gauss-Kronrod panels of the discretisation.
const PANEL: f64 = 0.5;
/// Most nodes a rule may have (beyond it the discretisation no longer resolves the degree).
pub const MAX_RADIAL_NODES: usize = 40;

/// An `n`-node Gauss rule for the weight `rho exp(-rho^2 / 2)` on `[0, inf)`.
#[derive(Debug, Clone, PartialEq)]
pub struct RadialRule {
    /// Nodes, increasing, all positive.
    nodes: Vec<f64>,
    /// Positive weights summing to 1.
    weights: Vec<f64>,
}

impl RadialRule {
    /// The `n`-node rule. Panics unless `1 <= n <= MAX_RADIAL_NODES`.
    pub fn new(n: usize) -> Self {
        assert!(
            (1..=MAX_RADIAL_NODES).contains(&n),
            "a radial rule needs 1 to {MAX_RADIAL_NODES} nodes, got {n}"
        );
        let (alpha, beta) = stieltjes(n);
        // Off-diagonal of the Jacobi matrix: sqrt(beta_k), k = 1..n-1.
        let off: Vec<f64> = beta[1..].iter().map(|b| b.sqrt()).collect();
        let bound = alpha
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let left = if k > 0 { off[k - 1] } else { 0.0 };
                let right = off.get(k).copied().unwrap_or(0.0);
                a.abs() + left + right
            })
            .fold(0.0, f64::max);
        let mut nodes = Vec::with_capacity(n);
        let mut weights = Vec::with_capacity(n);
        for j in 0..n {
            let x = jacobi_eigenvalue(&alpha, &off, j, bound);
            // Christoffel number with the orthonormal recurrence (total mass beta_0 = 1).
            let (mut previous, mut current) = (0.0, 1.0 / beta[0].sqrt());
            let mut sum = current * current;
            for k in 0..n - 1 {
                let next = ((x - alpha[k]) * current
                    - if k > 0 { off[k - 1] } else { 0.0 } * previous)
                    / off[k];
                previous = current;
                current = next;
                sum += current * current;
            }
            nodes.push(x);
            weights.push(1.0 / sum);
        }
        Self { nodes, weights }
    }

    /// The nodes, increasing.
    pub fn nodes(&self) -> &[f64] {
        &self.nodes
    }

    /// The weights, summing to 1.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: a rule has at least one node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// Recurrence coefficients `alpha_0..alpha_{n-1}`, `beta_0..beta_{n-1}` of the monic
/// orthogonal polynomials of the discretised weight (`beta_0` is its total mass).
fn stieltjes(n: usize) -> (Vec<f64>, Vec<f64>) {
    let panels = (RANGE / PANEL).round() as usize;
    let mut x = Vec::with_capacity(15 * panels);
    let mut w = Vec::with_capacity(15 * panels);
    for p in 0..panels {
        let center = (p as f64 + 0.5) * PANEL;
        let half = 0.5 * PANEL;
        for j in 0..15 {
            let (node, weight) = if j < 8 {
                (center - half * XGK[j], WGK[j])
            } else {
                (center + half * XGK[j - 8], WGK[j - 8])
            };
            x.push(node);
            w.push(weight * half * node * (-0.5 * node * node).exp());
        }
    }
    let mut alpha = Vec::with_capacity(n);
    let mut beta = Vec::with_capacity(n);
    let mut previous = vec![0.0; x.len()];
    let mut current = vec![1.0; x.len()];
    let mut previous_norm = 1.0;
    for k in 0..n {
        let norm: f64 = w.iter().zip(&current).map(|(w, p)| w * p * p).sum();
        let first: f64 = w.iter().zip(&current).zip(&x).map(|((w, p), x)| w * x * p * p).sum();
        let a = first / norm;
        let b = if k == 0 { norm } else { norm / previous_norm };
        alpha.push(a);
        beta.push(b);
        let next: Vec<f64> = (0..x.len())
            .map(|i| (x[i] - a) * current[i] - if k == 0 { 0.0 } else { b } * previous[i])
            .collect();
        previous = std::mem::replace(&mut current, next);
        previous_norm = norm;
    }
    (alpha, beta)
}

/// Number of eigenvalues below `x` of the symmetric tridiagonal matrix with diagonal
/// `alpha` and off-diagonal `off`, by Sturm sequence (signs of the LDL^T pivots).
fn eigenvalues_below(alpha: &[f64], off: &[f64], x: f64) -> usize {
    let mut count = 0;
    let mut q = 1.0;
    for k in 0..alpha.len() {
        q = if k == 0 { alpha[0] - x } else { alpha[k] - x - off[k - 1] * off[k - 1] / q };
        if q == 0.0 {
            q = -f64::EPSILON * (1.0 + x.abs());
        }
        if q < 0.0 {
            count += 1;
        }
    }
    count
}

/// The `j`-th smallest (0-based) eigenvalue, by bisection on `[-bound, bound]` to rounding.
fn jacobi_eigenvalue(alpha: &[f64], off: &[f64], j: usize, bound: f64) -> f64 {
    let (mut lo, mut hi) = (-bound, bound);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if eigenvalues_below(alpha, off, mid) > j {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `integral of rho^k rho exp(-rho^2 / 2)` over `[0, inf)` = `2^{k/2} Gamma(k/2 + 1)`.
    fn moment(k: u32) -> f64 {
        // Gamma(k/2 + 1) by the recurrence from Gamma(1) = 1 or Gamma(3/2) = sqrt(pi) / 2.
        let mut gamma = if k.is_multiple_of(2) { 1.0 } else { std::f64::consts::PI.sqrt() / 2.0 };
        let mut s = if k.is_multiple_of(2) { 1.0 } else { 1.5 };
        while s < f64::from(k) / 2.0 + 1.0 - 1e-9 {
            gamma *= s;
            s += 1.0;
        }
        2f64.powf(f64::from(k) / 2.0) * gamma
    }

    #[test]
    fn rules_are_exact_to_degree_2n_minus_1() {
        for n in [1, 2, 3, 8, 20, MAX_RADIAL_NODES] {
            let rule = RadialRule::new(n);
            assert_eq!(rule.len(), n);
            assert!(rule.nodes().windows(2).all(|p| p[0] < p[1]));
            assert!(rule.nodes()[0] > 0.0 && rule.weights().iter().all(|&w| w > 0.0));
            for k in 0..(2 * n as u32).min(60) {
                let got: f64 = rule
                    .nodes()
                    .iter()
                    .zip(rule.weights())
                    .map(|(x, w)| w * x.powi(k as i32))
                    .sum();
                let exact = moment(k);
                let tolerance = if k < 2 * n as u32 { 1e-12 } else { f64::INFINITY };
                assert!(
                    ((got - exact) / exact).abs() < tolerance,
                    "n = {n}, degree {k}: {got} vs {exact}"
                );
            }
        }
        // Degree 2n is no longer exact: n = 1 puts its node at the mean sqrt(pi / 2).
        let one = RadialRule::new(1);
        assert!((one.nodes()[0] - std::f64::consts::FRAC_PI_2.sqrt()).abs() < 1e-14);
        assert!((one.nodes()[0].powi(2) - moment(2)).abs() > 0.4);
    }

    #[test]
    #[should_panic(expected = "radial rule needs")]
    fn an_empty_rule_is_refused() {
        let _ = RadialRule::new(0);
    }
}
