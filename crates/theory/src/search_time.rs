//! SGD steps of the search phase predicted from `tau(mu)` with no fitted constant.
//!
//! In time `t = lr x steps` (with `lr` the rate the runner uses, after any Hermite division)
//! the linearised flow grows the overlap as `m(t) ~ kappa m0 exp(t / tau_raw)`, where
//! `tau_raw` is `tau` before the Hermite divisor (see [`TauCoefficients::kappa`]). The overlap
//! reaches `target` after about `(tau_raw / lr) ln(target / (kappa m0))` steps: with
//! `target = mu` that is the paper's statistic (the seed-mean m_V near mu), with the escape
//! threshold it is the escape step. From a random V the starting overlap is random, and the
//! prediction is averaged over its law: `E[ln(1 / |m0|)]` replaces `ln(1 / m0)`.

use crate::tau::TauCoefficients;

/// The Euler-Mascheroni constant.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// Where the overlap of V with the teacher starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StartingOverlap {
    /// Every run starts at this overlap (the published runs' m0 = 0.038).
    Fixed(f64),
    /// V is a random unit vector in dimension `input_dim`: `m0 ~ N(0, 1 / N)` to leading order.
    Random {
        /// N.
        input_dim: usize,
    },
}

impl StartingOverlap {
    /// `E[ln |m0|]`: `ln |m0|` for a fixed start; for a random one
    /// `-ln(N) / 2 - (gamma + ln 2) / 2`, the mean of `ln |Z| / sqrt(N)`.
    pub fn mean_log(&self) -> f64 {
        match *self {
            StartingOverlap::Fixed(m0) => m0.abs().ln(),
            StartingOverlap::Random { input_dim } => {
                -0.5 * (input_dim as f64).ln() - 0.5 * (EULER_GAMMA + std::f64::consts::LN_2)
            }
        }
    }
}

/// Predicted SGD steps for the overlap to grow from `start` to `target` at learning rate
/// `learning_rate` (the rate the runner applies); 0 when the start is already past it.
pub fn predicted_steps(
    coefficients: &TauCoefficients,
    learning_rate: f64,
    start: StartingOverlap,
    target: f64,
) -> f64 {
    let tau_raw = coefficients.tau() / coefficients.hermite_factor;
    let log_ratio = target.ln() - coefficients.kappa().ln() - start.mean_log();
    (tau_raw / learning_rate * log_ratio).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_prediction_matches_the_explicit_formula() {
        // Linear teacher and student: A = 1 - mu, B = -1.
        let mu: f64 = 0.4;
        let c = TauCoefficients { mu, a: 1.0 - mu, b: -1.0, hermite_factor: 1.0 };
        let d = 1.0 + 4.0 * (1.0 - mu).powi(2);
        let kappa = (d.sqrt() + 1.0) / (2.0 * d.sqrt());
        assert!((c.kappa() - kappa).abs() < 1e-15);
        let expected = c.tau() / 0.2 * (mu / (kappa * 0.038)).ln();
        let got = predicted_steps(&c, 0.2, StartingOverlap::Fixed(0.038), mu);
        assert!((got - expected).abs() < 1e-12 * expected);
    }

    /// The growing mode of the 2x2 linear flow, integrated by small Euler steps, reaches the
    /// target at the predicted time (up to the decaying mode, small once far from the start).
    #[test]
    fn prediction_matches_the_integrated_linear_flow() {
        let c = TauCoefficients { mu: 0.5, a: 0.3, b: -0.7, hermite_factor: 1.0 };
        let (mut m, mut u, mut t, dt) = (1e-4_f64, 0.0_f64, 0.0, 1e-4);
        while m < 0.1 {
            let (dm, du) = (c.a * u, c.a * m + c.b * u);
            m += dt * dm;
            u += dt * du;
            t += dt;
        }
        let predicted = predicted_steps(&c, 1.0, StartingOverlap::Fixed(1e-4), 0.1);
        assert!((t - predicted).abs() < 1e-3 * predicted, "{t} vs {predicted}");
    }

    /// `E[ln |Z|] = -(gamma + ln 2) / 2` for a standard Gaussian, checked by a midpoint sum.
    #[test]
    fn random_start_mean_log_is_the_gaussian_log_moment() {
        let n = 400_000;
        let h = 12.0 / n as f64;
        let mut sum = 0.0;
        for i in 0..n {
            let z = (i as f64 + 0.5) * h;
            sum += 2.0 * z.ln() * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt() * h;
        }
        let law = StartingOverlap::Random { input_dim: 1 }.mean_log();
        assert!((sum - law).abs() < 1e-4, "{sum} vs {law}");
        let n1000 = StartingOverlap::Random { input_dim: 1000 }.mean_log();
        assert!((n1000 - (law - 0.5 * 1000f64.ln())).abs() < 1e-12);
    }

    #[test]
    fn hermite_divisor_is_undone_and_past_targets_take_no_steps() {
        let plain = TauCoefficients { mu: 0.5, a: 0.4, b: -0.2, hermite_factor: 1.0 };
        let divided = TauCoefficients { mu: 0.5, a: 0.1, b: -0.05, hermite_factor: 4.0 };
        let start = StartingOverlap::Fixed(0.01);
        let p = predicted_steps(&plain, 0.2, start, 0.5);
        // The Hermite rule runs at a quarter of the rate: four times the steps, which is the
        // divided tau at the undivided rate.
        let d = predicted_steps(&divided, 0.2 / 4.0, start, 0.5);
        assert!((d - 4.0 * p).abs() < 1e-9 * d);
        let log_ratio = (0.5f64 / (divided.kappa() * 0.01)).ln();
        assert!((d - divided.tau() / 0.2 * log_ratio).abs() < 1e-9 * d);
        assert_eq!(predicted_steps(&plain, 0.2, StartingOverlap::Fixed(0.9), 0.01), 0.0);
    }
}
