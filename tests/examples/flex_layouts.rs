//! Times the tensor shapes behind the projected step's layout on the flex backend
//! (docs/performance.md, "Projected inputs"): a per-run scalar broadcast with the samples last
//! or before a trailing axis of size one, and the projections as one product per run or one
//! per seed. Sizes: 12 seeds, 45 runs, batch 500, span of 3 rows.
//!
//! `cargo run -p goldilocks-tests --example flex_layouts`

use std::time::Instant;

use burn::tensor::{Distribution, Tensor};
use burn_flex::Flex;

type B = Flex;

/// Mean milliseconds of `f` over 20 calls, after one warm-up call.
fn time(name: &str, f: impl Fn()) {
    f();
    let start = Instant::now();
    for _ in 0..20 {
        f();
    }
    println!("{name}: {:.3} ms", start.elapsed().as_secs_f64() * 1000.0 / 20.0);
}

fn main() {
    let device = Default::default();
    let (seeds, runs, batch, d) = (12, 45, 500, 3);
    let samples_last =
        Tensor::<B, 4>::random([seeds, runs, 1, batch], Distribution::Default, &device);
    let samples_before_one =
        Tensor::<B, 4>::random([seeds, runs, batch, 1], Distribution::Default, &device);
    let per_run = Tensor::<B, 4>::random([seeds, runs, 1, 1], Distribution::Default, &device);
    time("per-run scalar x [G, R, 1, B]", || {
        let _ = (samples_last.clone() * per_run.clone()).into_data();
    });
    time("per-run scalar x [G, R, B, 1]", || {
        let _ = (samples_before_one.clone() * per_run.clone()).into_data();
    });

    let coordinates = Tensor::<B, 3>::random([seeds, batch, d], Distribution::Default, &device);
    let factor = Tensor::<B, 4>::random([seeds, runs, d, d], Distribution::Default, &device);
    time("projections, one product per run [1, d] x [d, B]", || {
        let rows = factor.clone().narrow(2, 0, 1);
        let _ = rows.matmul(coordinates.clone().swap_dims(1, 2).unsqueeze_dim::<4>(1)).into_data();
    });
    time("projections, one product per seed [R, d] x [d, B]", || {
        let rows = factor.clone().narrow(2, 0, 1).reshape([seeds, runs, d]);
        let _ = rows.matmul(coordinates.clone().swap_dims(1, 2)).into_data();
    });
}
