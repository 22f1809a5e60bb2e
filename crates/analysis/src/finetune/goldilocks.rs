//! The Goldilocks checkpoint: the pre-training checkpoint from which fine-tuning reaches its
//! target fastest, with how sure that is, and whether more pre-training than that slows
//! fine-tuning down.
//!
//! Seeds are paired across checkpoints (a seed fixes the fine-tuning batches and the LoRA
//! init for every checkpoint), so uncertainty is taken over seeds: a bootstrap that resamples
//! whole seeds gives the interval of the fastest checkpoint, and a paired t interval gives
//! the slowdown from the fastest to the last checkpoint.

use std::collections::{BTreeMap, BTreeSet};

use crate::finetune::{mean_interval, FinetuneRun, MeanInterval};
use crate::rng::SplitMix64;

/// Bootstrap resamples of the seeds.
const RESAMPLES: usize = 2000;
/// Seed of the bootstrap's generator, so that reports are reproducible.
const BOOTSTRAP_SEED: u64 = 0x601d_110c;

/// Whether fine-tuning slows down past the fastest checkpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slowdown {
    /// The last checkpoint is the fastest (or as fast): no slowdown measured.
    LastIsFastest,
    /// The last checkpoint is slower than the fastest, and the paired 95% interval of the
    /// difference (last minus fastest, in steps) excludes 0.
    Slows(MeanInterval),
    /// The last checkpoint is slower on average, but the interval includes 0.
    NotSignificant(MeanInterval),
}

/// The Goldilocks checkpoint of one (source, method).
#[derive(Debug, Clone, PartialEq)]
pub struct Goldilocks {
    /// Source task.
    pub source: String,
    /// Method.
    pub method: String,
    /// The checkpoint with the fewest mean fine-tuning steps (the earliest on ties).
    pub step: usize,
    /// Its mean steps with the 95% interval.
    pub steps: MeanInterval,
    /// 5% and 95% points of the fastest checkpoint's step over bootstrap resamples of seeds.
    pub step_interval: (usize, usize),
    /// Share of resamples in which `step` is the fastest.
    pub share: f64,
    /// The last checkpoint and its mean steps.
    pub last: (usize, f64),
    /// Slowdown from the fastest to the last checkpoint.
    pub slowdown: Slowdown,
    /// The checkpoint minimising pre-training steps plus mean fine-tuning steps, and that total.
    pub cheapest_total: (usize, f64),
    /// Seeds used (those present at every checkpoint).
    pub seeds: usize,
}

/// The Goldilocks checkpoint of every (source, method) in `runs`, in order of first
/// appearance. Only seeds present at every checkpoint of a (source, method) are used.
pub fn find_goldilocks(runs: &[FinetuneRun]) -> Vec<Goldilocks> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut table: BTreeMap<(String, String), BTreeMap<usize, BTreeMap<u64, f64>>> = BTreeMap::new();
    for run in runs {
        let key = (run.source.clone(), run.method.clone());
        if !order.contains(&key) {
            order.push(key.clone());
        }
        table.entry(key).or_default().entry(run.checkpoint_step).or_default().insert(run.seed, run.steps_or_budget());
    }
    order
        .into_iter()
        .filter_map(|key| {
            let by_step = &table[&key];
            let mut seeds: BTreeSet<u64> = by_step.values().next()?.keys().copied().collect();
            for per_seed in by_step.values() {
                seeds.retain(|s| per_seed.contains_key(s));
            }
            if seeds.is_empty() {
                return None;
            }
            let steps: Vec<usize> = by_step.keys().copied().collect();
            let matrix: Vec<Vec<f64>> = by_step.values().map(|per_seed| seeds.iter().map(|s| per_seed[s]).collect()).collect();
            Some(goldilocks_of(key.0, key.1, &steps, &matrix))
        })
        .collect()
}

/// `matrix[c][s]`: steps from checkpoint `steps[c]` with seed index `s`.
fn goldilocks_of(source: String, method: String, steps: &[usize], matrix: &[Vec<f64>]) -> Goldilocks {
    let seeds = matrix[0].len();
    let means: Vec<f64> = matrix.iter().map(|row| row.iter().sum::<f64>() / seeds as f64).collect();
    let best = argmin(&means);
    let mut rng = SplitMix64::new(BOOTSTRAP_SEED);
    let mut picks: Vec<usize> = (0..RESAMPLES)
        .map(|_| {
            let sample: Vec<usize> = (0..seeds).map(|_| rng.below(seeds)).collect();
            let resampled: Vec<f64> = matrix.iter().map(|row| sample.iter().map(|&s| row[s]).sum::<f64>()).collect();
            argmin(&resampled)
        })
        .collect();
    let share = picks.iter().filter(|&&p| p == best).count() as f64 / RESAMPLES as f64;
    picks.sort_unstable();
    let quantile = |q: f64| picks[((q * (RESAMPLES - 1) as f64).round() as usize).min(RESAMPLES - 1)];
    let last = steps.len() - 1;
    let slowdown = if means[last] <= means[best] {
        Slowdown::LastIsFastest
    } else {
        let differences: Vec<f64> = (0..seeds).map(|s| matrix[last][s] - matrix[best][s]).collect();
        let interval = mean_interval(&differences).expect("at least one seed");
        if interval.low() > 0.0 {
            Slowdown::Slows(interval)
        } else {
            Slowdown::NotSignificant(interval)
        }
    };
    let totals: Vec<f64> = steps.iter().zip(&means).map(|(&step, &mean)| step as f64 + mean).collect();
    let cheapest = argmin(&totals);
    Goldilocks {
        source,
        method,
        step: steps[best],
        steps: mean_interval(&matrix[best]).expect("at least one seed"),
        step_interval: (steps[quantile(0.05)], steps[quantile(0.95)]),
        share,
        last: (steps[last], means[last]),
        slowdown,
        cheapest_total: (steps[cheapest], totals[cheapest]),
        seeds,
    }
}

/// Index of the smallest value (the first on ties).
fn argmin(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v < values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finetune::summary::tests::run;

    fn runs_from(table: &[(usize, [usize; 4])]) -> Vec<FinetuneRun> {
        table
            .iter()
            .flat_map(|(step, times)| times.iter().enumerate().map(move |(seed, &t)| run("src", "lora-r1", *step, seed as u64, Some(t))))
            .collect()
    }

    #[test]
    fn a_clear_minimum_in_the_middle_is_found_and_the_slowdown_is_significant() {
        let runs = runs_from(&[(0, [60, 62, 58, 61]), (8, [20, 22, 19, 21]), (64, [40, 43, 41, 39])]);
        let found = find_goldilocks(&runs);
        assert_eq!(found.len(), 1);
        let g = &found[0];
        assert_eq!(g.step, 8);
        assert_eq!(g.steps.mean, 20.5);
        assert_eq!(g.step_interval, (8, 8));
        assert_eq!(g.share, 1.0);
        assert_eq!(g.last, (64, 40.75));
        let Slowdown::Slows(difference) = g.slowdown else { panic!("expected a slowdown, got {:?}", g.slowdown) };
        assert_eq!(difference.mean, 20.25);
        assert!(difference.low() > 0.0);
        assert_eq!(g.cheapest_total, (8, 28.5));
    }

    #[test]
    fn a_monotone_decrease_has_no_slowdown() {
        let runs = runs_from(&[(0, [60, 62, 58, 61]), (8, [30, 32, 29, 31]), (64, [10, 11, 9, 12])]);
        let g = &find_goldilocks(&runs)[0];
        assert_eq!(g.step, 64);
        assert_eq!(g.slowdown, Slowdown::LastIsFastest);
        assert_eq!(g.cheapest_total.0, 8);
    }

    #[test]
    fn a_tie_with_the_last_checkpoint_is_no_slowdown() {
        let runs = runs_from(&[(0, [5, 6, 5, 6]), (8, [0, 0, 0, 0]), (64, [0, 0, 0, 0])]);
        let g = &find_goldilocks(&runs)[0];
        assert_eq!(g.step, 8);
        assert_eq!(g.slowdown, Slowdown::LastIsFastest);
    }

    #[test]
    fn noisy_differences_are_not_called_significant() {
        let runs = runs_from(&[(0, [10, 40, 12, 38]), (8, [39, 11, 41, 9])]);
        let g = &find_goldilocks(&runs)[0];
        assert!(matches!(g.slowdown, Slowdown::NotSignificant(_) | Slowdown::LastIsFastest));
        assert!(g.share < 0.9, "share {}", g.share);
        assert_eq!(g.step_interval, (0, 8));
    }
}
