//! Measures the rate of the reproducible Gaussian draws (the bound on the paper workload).
//! Usage: cargo run -p goldilocks-model --example gaussian_rate

use std::time::Instant;

use goldilocks_model::gaussian::{standard_normal_rows, Stream};

fn main() {
    let (rows, cols, repeats) = (500, 1000, 40);
    let started = Instant::now();
    let mut checksum = 0.0f32;
    for step in 0..repeats {
        checksum += standard_normal_rows(7, Stream::Data, step, rows, cols)[0];
    }
    let seconds = started.elapsed().as_secs_f64();
    let draws = (rows * cols) as f64 * repeats as f64;
    println!(
        "{:.3e} normals/s ({:.2} ns each) on {} threads; checksum {checksum}",
        draws / seconds,
        seconds / draws * 1e9,
        rayon::current_num_threads()
    );
}
