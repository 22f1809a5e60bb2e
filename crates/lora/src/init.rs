//! Initial LoRA factors of one run, drawn on the host.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};

use crate::{FactorSettings, LoraInit};

/// U (K x r) and V (r x N) of one run, row-major, in f64.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialFactors {
    /// U, K rows of length r.
    pub u: Vec<Vec<f64>>,
    /// V, r rows of length N.
    pub v: Vec<Vec<f64>>,
}

/// Draws the factors of one run for output width `k` and input width `n` (for
/// [`LoraInit::Gradient`], the paper's init, whose V the caller replaces).
pub fn initial_factors<R: Rng>(
    settings: &FactorSettings,
    k: usize,
    n: usize,
    rng: &mut R,
) -> InitialFactors {
    let r = settings.rank();
    match settings.init() {
        LoraInit::Paper | LoraInit::Gradient => {
            let u = vec![vec![1.0 / (n as f64 * n as f64); r]; k];
            let v = (0..r)
                .map(|_| {
                    let row: Vec<f64> = (0..n).map(|_| rng.sample(StandardNormal)).collect();
                    let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
                    row.into_iter().map(|x| x / norm).collect()
                })
                .collect();
            InitialFactors { u, v }
        }
        LoraInit::Gaussian => {
            let std = 1.0 / r as f64;
            let v = (0..r)
                .map(|_| (0..n).map(|_| std * rng.sample::<f64, _>(StandardNormal)).collect())
                .collect();
            InitialFactors { u: vec![vec![0.0; r]; k], v }
        }
        LoraInit::Kaiming | LoraInit::Random => {
            let bound = 1.0 / (n as f64).sqrt();
            let uniform = Uniform::new(-bound, bound).expect("bound is positive");
            let v = (0..r).map(|_| (0..n).map(|_| uniform.sample(rng)).collect()).collect();
            let u = if *settings.init() == LoraInit::Random {
                let bound = 1.0 / (r as f64).sqrt();
                let uniform = Uniform::new(-bound, bound).expect("bound is positive");
                (0..k).map(|_| (0..r).map(|_| uniform.sample(rng)).collect()).collect()
            } else {
                vec![vec![0.0; r]; k]
            };
            InitialFactors { u, v }
        }
        LoraInit::Other(name) => unreachable!("factor settings never hold the init {name:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LoraConfig;
    use rand::SeedableRng;

    #[test]
    fn paper_init_has_unit_rows_and_tiny_u() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let factors =
            initial_factors(&LoraConfig::paper(2).factor_settings().unwrap(), 1, 100, &mut rng);
        assert_eq!(factors.u, vec![vec![1e-4, 1e-4]]);
        for row in &factors.v {
            assert!((row.iter().map(|x| x * x).sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn peft_inits_start_as_a_no_op() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        for init in [LoraInit::Gaussian, LoraInit::Kaiming] {
            let config = LoraConfig {
                r: 4,
                lora_alpha: 8.0,
                use_rslora: false,
                init_lora_weights: init,
                ..LoraConfig::default()
            };
            let factors = initial_factors(&config.factor_settings().unwrap(), 2, 50, &mut rng);
            assert!(factors.u.iter().flatten().all(|&x| x == 0.0));
            assert!(factors.v.iter().flatten().any(|&x| x != 0.0));
        }
    }
}
