//! Gauss-Hermite quadrature for expectations under the standard normal distribution.
//!
//! An `n`-node rule integrates `E[p(Z)]`, `Z ~ N(0, 1)`, exactly for polynomials `p` of
//! degree up to `2n - 1` and converges geometrically for smooth (entire, or analytic in a
//! strip) integrands. The nodes are the eigenvalues of the Jacobi matrix of `He_k`
//! (zero diagonal, off-diagonal `sqrt(k)`), located by Sturm-sequence bisection (robust for
//! any `n`), then polished by Newton's method on the orthonormal three-term recurrence
//! (which cannot overflow); the weights come from the derivative at the polished node,
//! `p_i = 1 / (n h_{n-1}(z_i)^2)` in orthonormal form, so tiny tail weights keep full
//! relative accuracy. Accurate to rounding for hundreds of nodes; the theory uses 80-100.

/// An `n`-node Gauss-Hermite rule for `E[f(Z)]` with `Z ~ N(0, 1)`.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussHermite {
    /// Nodes `z_i` (standard-normal scale), in decreasing order, symmetric about 0.
    nodes: Vec<f64>,
    /// Probability weights `p_i > 0`, summing to 1.
    weights: Vec<f64>,
}

/// `pi^{-1/4}`, the orthonormal physicists' `h_0`.
const PI_TO_MINUS_QUARTER: f64 = 0.751_125_544_464_942_5;
/// Newton polishing steps at most (bisection already gives about 1e-13).
const NEWTON_STEPS: usize = 4;

impl GaussHermite {
    /// Builds the `n`-node rule. Panics if `n == 0` (there is no such rule).
    pub fn new(n: usize) -> Self {
        assert!(n > 0, "a Gauss-Hermite rule needs at least one node");
        let mut nodes = vec![0.0; n];
        let mut weights = vec![0.0; n];
        let half = n.div_ceil(2);
        let bound = 2.0 * (n as f64).sqrt() + 1.0;
        for i in 0..half {
            // The i-th largest eigenvalue is the (n - 1 - i)-th smallest.
            let mut z = jacobi_eigenvalue(n, n - 1 - i, bound);
            if n % 2 == 1 && i == n / 2 {
                z = 0.0;
            }
            // Newton on the physicists' scale x = z / sqrt(2).
            let mut x = z / std::f64::consts::SQRT_2;
            let mut derivative = orthonormal_hermite_and_derivative(n, x).1;
            for _ in 0..NEWTON_STEPS {
                let (value, d) = orthonormal_hermite_and_derivative(n, x);
                let step = value / d;
                x -= step;
                derivative = orthonormal_hermite_and_derivative(n, x).1;
                if step.abs() <= 1e-16 * x.abs().max(1.0) {
                    break;
                }
            }
            // Physicists' weight 2 / h_n'(x)^2 for exp(-x^2), divided by sqrt(pi).
            let weight = 2.0 / (derivative * derivative) / std::f64::consts::PI.sqrt();
            let z = std::f64::consts::SQRT_2 * x;
            nodes[i] = z;
            nodes[n - 1 - i] = -z;
            weights[i] = weight;
            weights[n - 1 - i] = weight;
        }
        Self { nodes, weights }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: a rule has at least one node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The nodes `z_i` on the standard-normal scale, decreasing.
    pub fn nodes(&self) -> &[f64] {
        &self.nodes
    }

    /// The probability weights `p_i`, summing to 1.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// `E[f(Z)]`, `Z ~ N(0, 1)`, approximated by `sum_i p_i f(z_i)`.
    pub fn expectation(&self, f: &dyn Fn(f64) -> f64) -> f64 {
        self.nodes.iter().zip(&self.weights).map(|(&z, &p)| p * f(z)).sum()
    }
}

/// Number of eigenvalues below `x` of the `n x n` Jacobi matrix of `He_k` (zero diagonal,
/// off-diagonal `sqrt(1), ..., sqrt(n - 1)`), by Sturm sequence (signs of the LDL^T pivots).
fn eigenvalues_below(n: usize, x: f64) -> usize {
    let mut count = 0;
    let mut q = -x;
    for k in 0..n {
        if k > 0 {
            q = -x - (k as f64) / q;
        }
        if q == 0.0 {
            q = -f64::EPSILON * (1.0 + x.abs());
        }
        if q < 0.0 {
            count += 1;
        }
    }
    count
}

/// The `j`-th smallest (0-based) eigenvalue of the Jacobi matrix, by bisection on
/// `[-bound, bound]` down to rounding.
fn jacobi_eigenvalue(n: usize, j: usize, bound: f64) -> f64 {
    let (mut lo, mut hi) = (-bound, bound);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if eigenvalues_below(n, mid) > j {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Orthonormal physicists' Hermite `h_n(x)` (weight `exp(-x^2)`) and its derivative
/// `sqrt(2n) h_{n-1}(x)`, by the stable recurrence.
fn orthonormal_hermite_and_derivative(n: usize, x: f64) -> (f64, f64) {
    let mut p1 = PI_TO_MINUS_QUARTER;
    let mut p2 = 0.0;
    for j in 0..n {
        let p3 = p2;
        p2 = p1;
        let jf = j as f64;
        p1 = x * (2.0 / (jf + 1.0)).sqrt() * p2 - (jf / (jf + 1.0)).sqrt() * p3;
    }
    (p1, (2.0 * n as f64).sqrt() * p2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hermite::hermite;

    /// `(2m - 1)!!`, the `2m`-th standard normal moment.
    fn double_factorial_odd(m: usize) -> f64 {
        (1..=m).map(|j| (2 * j - 1) as f64).product()
    }

    #[test]
    fn weights_are_a_probability_and_nodes_symmetric() {
        for n in [1, 2, 3, 10, 51, 80, 100, 200, 400] {
            let rule = GaussHermite::new(n);
            let total: f64 = rule.weights().iter().sum();
            assert!((total - 1.0).abs() < 1e-13, "n = {n}: sum of weights {total}");
            for i in 0..n {
                assert!((rule.nodes()[i] + rule.nodes()[n - 1 - i]).abs() < 1e-12);
                // Beyond about 300 nodes the outermost weights underflow to 0 in f64.
                assert!(rule.weights()[i] > 0.0 || (n > 300 && rule.weights()[i] == 0.0));
            }
            assert!(rule.nodes().windows(2).all(|p| p[0] > p[1]), "n = {n}: nodes not sorted");
        }
    }

    #[test]
    fn even_moments_are_exact_up_to_high_order() {
        for n in [80, 100] {
            let rule = GaussHermite::new(n);
            for m in 0..n.min(60) {
                let exact = double_factorial_odd(m);
                let got = rule.expectation(&|z| z.powi(2 * m as i32));
                assert!(
                    ((got - exact) / exact).abs() < 1e-11,
                    "n = {n}, E[Z^{}] = {got}, expected {exact}",
                    2 * m
                );
                let odd = rule.expectation(&|z| z.powi(2 * m as i32 + 1));
                assert!(odd.abs() < 1e-12 * exact.max(1.0) * 10.0);
            }
        }
    }

    #[test]
    fn small_rules_are_exact_to_degree_2n_minus_1() {
        let rule = GaussHermite::new(3);
        assert!((rule.expectation(&|z| z.powi(4)) - 3.0).abs() < 1e-13);
        // Degree 6 = 2n is no longer exact for n = 3 (it gives 9, not 15).
        assert!((rule.expectation(&|z| z.powi(6)) - 15.0).abs() > 1.0);
    }

    #[test]
    fn hermite_orthogonality() {
        let rule = GaussHermite::new(80);
        for j in 0..=12 {
            for k in 0..=12 {
                let got = rule.expectation(&|z| hermite(j, z) * hermite(k, z));
                let kf: f64 = (1..=k).map(|i| i as f64).product();
                let jf: f64 = (1..=j).map(|i| i as f64).product();
                let expected = if j == k { kf } else { 0.0 };
                assert!(
                    (got - expected).abs() < 1e-12 * (jf * kf).sqrt(),
                    "E[He_{j} He_{k}] = {got}, expected {expected}"
                );
            }
        }
    }

    #[test]
    fn smooth_non_polynomial_integrand() {
        // E[cos(Z)] = exp(-1/2), E[exp(Z)] = exp(1/2).
        let rule = GaussHermite::new(80);
        assert!((rule.expectation(&f64::cos) - (-0.5f64).exp()).abs() < 1e-14);
        assert!((rule.expectation(&f64::exp) - 0.5f64.exp()).abs() < 1e-13);
    }
}
