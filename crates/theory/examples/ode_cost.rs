//! Cost of the large-N dynamics: one population evaluation, one ODE curve and one step-map
//! curve for linear and relu (teacher = student) at N = 1000, B = 500, lr = 0.2, mu = 0.5,
//! from m0 = 0.038 over 300 and 2000 steps, with each quadrature: the Gauss-Hermite tensor
//! rule (linear) or the piecewise Cartesian rule (relu) as chosen by default, and the polar
//! rule of a pair declared piecewise linear.
//!
//! `cargo run -p goldilocks-theory --example ode_cost`

use std::time::Instant;

use goldilocks_theory::dynamics::{LoraDynamics, OdeOptions, Overlaps};
use goldilocks_theory::ScalarActivation;

fn main() {
    let identity = |x: f64| x;
    let one = |_: f64| 1.0;
    let relu = |x: f64| x.max(0.0);
    let step = |x: f64| if x > 0.0 { 1.0 } else { 0.0 };
    let linear = ScalarActivation::smooth(&identity, &one);
    let relu = ScalarActivation::non_smooth(&relu, &step);
    for (name, activation, polar) in [
        ("linear", linear, false),
        ("linear", linear, true),
        ("relu", relu, false),
        ("relu", relu, true),
    ] {
        let mut dynamics = LoraDynamics::new(activation, activation, 0.5, 0.2, 1000, 500).unwrap();
        if polar {
            dynamics = dynamics.piecewise_linear();
        }
        let rule = if polar {
            "polar"
        } else if name == "relu" {
            "Cartesian"
        } else {
            "tensor"
        };
        let start = Overlaps { m: 0.038, u: dynamics.initial_u() };
        let clock = Instant::now();
        let evaluations = 200;
        for i in 0..evaluations {
            let state = Overlaps { m: 0.3 + 1e-3 * i as f64, u: 0.4 };
            std::hint::black_box(dynamics.population(state).unwrap());
        }
        let per_population = clock.elapsed().as_secs_f64() / evaluations as f64;
        for steps in [300, 2000] {
            let clock = Instant::now();
            let ode = dynamics.ode_curve(start, steps, &OdeOptions::default()).unwrap();
            let ode_s = clock.elapsed().as_secs_f64();
            let clock = Instant::now();
            let map = dynamics.map_curve(start, steps).unwrap();
            let map_s = clock.elapsed().as_secs_f64();
            println!(
                "{name:>6} {rule:>9}: population {:>9.1} us | {steps:>4} steps: ODE {ode_s:>7.3} s (m = {:.4}), map {map_s:>7.3} s (m = {:.4})",
                per_population * 1e6,
                ode[steps - 1],
                map[steps - 1]
            );
        }
    }
}
