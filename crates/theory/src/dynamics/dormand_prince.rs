//! The Dormand-Prince 5(4) Runge-Kutta method with error control, for small systems
//! `dy/dt = f(t, y)`.
//!
//! Each step takes the fifth-order solution and estimates its error by the difference with
//! the embedded fourth-order one; a step is accepted when the scaled error norm
//! `max_i |err_i| / (abs_tol + rel_tol max(|y_i|, |y_new_i|))` is at most 1, and the next step
//! size is `h * clamp(0.9 err^(-1/5), 0.2, 5)`. The last stage of a step is the first of the
//! next (FSAL). Every accepted point is kept with its derivative, and values between points
//! come from the cubic Hermite interpolant, third-order accurate in the step.

use super::error::DynamicsError;

/// Tolerances and budget of [`integrate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OdeOptions {
    /// Absolute error tolerance per component.
    pub abs_tol: f64,
    /// Relative error tolerance per component.
    pub rel_tol: f64,
    /// First step size tried (0: a small fraction of the interval).
    pub initial_step: f64,
    /// Largest step size (0: no limit other than the interval).
    pub max_step: f64,
    /// Largest number of attempted steps.
    pub max_steps: usize,
}

impl Default for OdeOptions {
    fn default() -> Self {
        Self { abs_tol: 1e-10, rel_tol: 1e-8, initial_step: 0.0, max_step: 0.0, max_steps: 100_000 }
    }
}

/// The accepted points of an integration, with derivatives for interpolation.
#[derive(Debug, Clone, PartialEq)]
pub struct OdeSolution {
    /// Times, increasing, from the start time to the end time.
    pub t: Vec<f64>,
    /// The state at each time.
    pub y: Vec<Vec<f64>>,
    /// The derivative `f(t, y)` at each time.
    pub dy: Vec<Vec<f64>>,
    /// Right-hand-side evaluations spent.
    pub evaluations: usize,
}

impl OdeSolution {
    /// The state at `t` (clamped to the integrated interval), by cubic Hermite
    /// interpolation between the accepted points around it.
    pub fn at(&self, t: f64) -> Vec<f64> {
        let last = self.t.len() - 1;
        if t <= self.t[0] {
            return self.y[0].clone();
        }
        if t >= self.t[last] {
            return self.y[last].clone();
        }
        let i = self.t.partition_point(|&s| s <= t) - 1;
        let (t0, t1) = (self.t[i], self.t[i + 1]);
        let h = t1 - t0;
        let s = (t - t0) / h;
        let (h00, h10) = ((1.0 + 2.0 * s) * (1.0 - s) * (1.0 - s), s * (1.0 - s) * (1.0 - s));
        let (h01, h11) = (s * s * (3.0 - 2.0 * s), s * s * (s - 1.0));
        (0..self.y[i].len())
            .map(|k| {
                h00 * self.y[i][k]
                    + h10 * h * self.dy[i][k]
                    + h01 * self.y[i + 1][k]
                    + h11 * h * self.dy[i + 1][k]
            })
            .collect()
    }
}

/// Right-hand side `f(t, y)`; it may fail (an expectation that is not finite, say).
pub type Rhs<'a> = dyn FnMut(f64, &[f64]) -> Result<Vec<f64>, DynamicsError> + 'a;

const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
const A: [[f64; 6]; 7] = [
    [0.0; 6],
    [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0, 0.0, 0.0],
    [9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0, 0.0],
    [35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0],
];
/// Fifth-order weights (the last row of `A`, with 0 for the seventh stage).
const B5: [f64; 7] =
    [35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0, 0.0];
/// Fourth-order (embedded) weights.
const B4: [f64; 7] = [
    5179.0 / 57600.0,
    0.0,
    7571.0 / 16695.0,
    393.0 / 640.0,
    -92097.0 / 339200.0,
    187.0 / 2100.0,
    1.0 / 40.0,
];

/// Integrates `dy/dt = f(t, y)` from `(t0, y0)` to `t1 > t0` with the Dormand-Prince 5(4)
/// pair and the error control of the module doc.
pub fn integrate(
    f: &mut Rhs,
    t0: f64,
    y0: &[f64],
    t1: f64,
    options: &OdeOptions,
) -> Result<OdeSolution, DynamicsError> {
    if !(t0.is_finite() && t1.is_finite() && t1 > t0) {
        return Err(DynamicsError::InvalidParameter {
            field: "t1",
            reason: format!("must be finite and after t0 = {t0}, got {t1}"),
        });
    }
    if !(options.abs_tol >= 0.0
        && options.rel_tol >= 0.0
        && options.abs_tol + options.rel_tol > 0.0)
    {
        return Err(DynamicsError::InvalidParameter {
            field: "abs_tol",
            reason: "tolerances must be non-negative and not both 0".into(),
        });
    }
    let span = t1 - t0;
    let max_step = if options.max_step > 0.0 { options.max_step.min(span) } else { span };
    let mut h = if options.initial_step > 0.0 { options.initial_step } else { 1e-3 * span };
    h = h.min(max_step);
    let mut t = t0;
    let mut y = y0.to_vec();
    let mut k0 = f(t, &y)?;
    let mut solution =
        OdeSolution { t: vec![t], y: vec![y.clone()], dy: vec![k0.clone()], evaluations: 1 };
    let dim = y.len();
    for _ in 0..options.max_steps {
        if t >= t1 {
            return Ok(solution);
        }
        let last = t + h >= t1;
        if last {
            h = t1 - t;
        }
        let mut k: Vec<Vec<f64>> = vec![k0.clone()];
        for stage in 1..7 {
            let point: Vec<f64> = (0..dim)
                .map(|i| y[i] + h * (0..stage).map(|j| A[stage][j] * k[j][i]).sum::<f64>())
                .collect();
            k.push(f(t + C[stage] * h, &point)?);
            solution.evaluations += 1;
        }
        let y5: Vec<f64> =
            (0..dim).map(|i| y[i] + h * (0..7).map(|j| B5[j] * k[j][i]).sum::<f64>()).collect();
        let error = (0..dim)
            .map(|i| {
                let e = h * (0..7).map(|j| (B5[j] - B4[j]) * k[j][i]).sum::<f64>();
                e.abs() / (options.abs_tol + options.rel_tol * y[i].abs().max(y5[i].abs()))
            })
            .fold(0.0, f64::max);
        if !error.is_finite() || y5.iter().any(|v| !v.is_finite()) {
            return Err(DynamicsError::NonFinite { quantity: "the state", t });
        }
        if error <= 1.0 {
            t = if last { t1 } else { t + h };
            y = y5;
            k0 = k.pop().expect("seven stages");
            solution.t.push(t);
            solution.y.push(y.clone());
            solution.dy.push(k0.clone());
        }
        let factor = if error == 0.0 { 5.0 } else { (0.9 * error.powf(-0.2)).clamp(0.2, 5.0) };
        h = (h * factor).min(max_step);
        if h <= 1e-14 * t.abs().max(span) {
            return Err(DynamicsError::StepSizeUnderflow { t, h });
        }
    }
    if t >= t1 {
        return Ok(solution);
    }
    Err(DynamicsError::TooManySteps { max_steps: options.max_steps, t })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The harmonic oscillator y'' = -y: (cos t, -sin t) from (1, 0), to 1e-8 over 3 periods.
    #[test]
    fn harmonic_oscillator_matches_cos_and_sin() {
        let mut f = |_t: f64, y: &[f64]| Ok(vec![y[1], -y[0]]);
        let end = 6.0 * std::f64::consts::PI;
        let options = OdeOptions { abs_tol: 1e-12, rel_tol: 1e-12, ..OdeOptions::default() };
        let solution = integrate(&mut f, 0.0, &[1.0, 0.0], end, &options).unwrap();
        assert_eq!(*solution.t.last().unwrap(), end);
        for (t, y) in solution.t.iter().zip(&solution.y) {
            assert!((y[0] - t.cos()).abs() < 1e-9, "t = {t}: {} vs {}", y[0], t.cos());
            assert!((y[1] + t.sin()).abs() < 1e-9);
        }
        // Interpolated values between accepted points: third order, so looser.
        for i in 0..200 {
            let t = end * i as f64 / 199.0;
            assert!((solution.at(t)[0] - t.cos()).abs() < 1e-6, "t = {t}");
        }
    }

    /// The logistic equation y' = y (1 - y), solution 1 / (1 + 9 e^{-t}) from 0.1; the error
    /// shrinks with the tolerance and the step adapts (fewer evaluations at a looser tolerance).
    #[test]
    fn logistic_error_follows_the_tolerance() {
        let exact = |t: f64| 1.0 / (1.0 + 9.0 * (-t).exp());
        let mut previous_evaluations = 0;
        for tol in [1e-4, 1e-8, 1e-12] {
            let mut f = |_t: f64, y: &[f64]| Ok(vec![y[0] * (1.0 - y[0])]);
            let options = OdeOptions { abs_tol: tol, rel_tol: tol, ..OdeOptions::default() };
            let solution = integrate(&mut f, 0.0, &[0.1], 20.0, &options).unwrap();
            let worst = solution
                .t
                .iter()
                .zip(&solution.y)
                .map(|(&t, y)| (y[0] - exact(t)).abs())
                .fold(0.0, f64::max);
            assert!(worst < 50.0 * tol, "tol {tol}: error {worst}");
            assert!(solution.evaluations > previous_evaluations);
            previous_evaluations = solution.evaluations;
        }
    }

    #[test]
    fn bad_input_and_failing_rhs_are_reported() {
        let mut f = |_t: f64, y: &[f64]| Ok(vec![y[0]]);
        let err = integrate(&mut f, 1.0, &[1.0], 0.5, &OdeOptions::default()).unwrap_err();
        assert!(matches!(err, DynamicsError::InvalidParameter { field: "t1", .. }));
        let mut blow_up = |_t: f64, y: &[f64]| Ok(vec![y[0] * y[0]]);
        // y' = y^2 from 1 blows up at t = 1.
        assert!(integrate(&mut blow_up, 0.0, &[1.0], 2.0, &OdeOptions::default()).is_err());
        let mut failing =
            |t: f64, _y: &[f64]| Err(DynamicsError::NonFinite { quantity: "test", t });
        assert!(integrate(&mut failing, 0.0, &[1.0], 1.0, &OdeOptions::default()).is_err());
    }
}
