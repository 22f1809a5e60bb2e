//! Activations used by the theory tests (test builds only): linear, relu, sign, erf.
//!
//! `erf` is computed from the all-positive series
//! `erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^{2n+1} / (1 * 3 * ... * (2n+1))`, accurate to
//! rounding for every `x` (there is no `erf` in `std`, and this crate takes no numeric
//! dependency just for tests).

use std::f64::consts::PI;

/// `x`.
pub fn identity(x: f64) -> f64 {
    x
}

/// `1`.
pub fn one(_: f64) -> f64 {
    1.0
}

/// `max(x, 0)`.
pub fn relu(x: f64) -> f64 {
    x.max(0.0)
}

/// `1{x > 0}`, the derivative of relu.
pub fn step(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// `sign(x)` with `sign(0) = 0`.
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `0`, the (almost everywhere) derivative of sign.
pub fn zero(_: f64) -> f64 {
    0.0
}

/// The error function.
pub fn erf(x: f64) -> f64 {
    let a = x.abs();
    if a >= 6.5 {
        // 1 - erf(6.5) < 1e-19.
        return x.signum();
    }
    let mut term = a;
    let mut sum = a;
    let a2 = a * a;
    let mut n = 0.0;
    loop {
        n += 1.0;
        term *= 2.0 * a2 / (2.0 * n + 1.0);
        sum += term;
        if term <= 1e-17 * sum {
            break;
        }
    }
    (2.0 / PI.sqrt() * (-a2).exp() * sum).copysign(x)
}

/// `2/sqrt(pi) exp(-x^2)`, the derivative of erf.
pub fn erf_derivative(x: f64) -> f64 {
    2.0 / PI.sqrt() * (-x * x).exp()
}

#[test]
fn erf_known_values() {
    // Reference values of erf (Abramowitz and Stegun, table 7.1, and standard libraries).
    let cases = [
        (0.0, 0.0),
        (0.5, 0.520_499_877_813_046_5),
        (1.0, 0.842_700_792_949_714_9),
        (2.0, 0.995_322_265_018_952_7),
        (3.0, 0.999_977_909_503_001_4),
    ];
    for (x, expected) in cases {
        assert!((erf(x) - expected).abs() < 1e-15, "erf({x}) = {}", erf(x));
        assert!((erf(-x) + expected).abs() < 1e-15);
    }
}
