//! The Goldilocks checkpoint: the pre-training checkpoint from which fine-tuning reaches its
//! target fastest, with how sure that is, and whether more pre-training than that slows
//! fine-tuning down.
//!
//! Seeds are paired across checkpoints (a seed fixes the fine-tuning batches and the LoRA
//! init for every checkpoint), so uncertainty is taken over seeds: a bootstrap that resamples
//! whole seeds gives the interval of the fastest checkpoint, and a paired t interval gives
//! the slowdown. The slowdown is the largest rise in mean fine-tuning steps from an earlier
//! checkpoint to a later one; because it is the largest of many differences, its interval
//! is optimistic, so a rise is called significant only when the interval excludes 0.

use std::collections::{BTreeMap, BTreeSet};

use goldilocks_theory::rng::SplitMix64;

use crate::finetune::{mean_interval, FinetuneOutcome, MeanInterval};

/// Bootstrap resamples of the seeds.
const RESAMPLES: usize = 2000;
/// Seed of the bootstrap's generator, so that reports are reproducible.
const BOOTSTRAP_SEED: u64 = 0x601d_110c;

/// The largest slowdown with more pre-training: from checkpoint `from` to the later
/// checkpoint `to`, mean fine-tuning steps rise the most.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rise {
    /// The earlier checkpoint's step and mean fine-tuning steps.
    pub from: (usize, f64),
    /// The later checkpoint's step and mean fine-tuning steps.
    pub to: (usize, f64),
    /// Paired difference (to minus from) over seeds, with its 95% t interval.
    pub difference: MeanInterval,
}

impl Rise {
    /// Whether the interval of the difference excludes 0.
    pub fn is_significant(&self) -> bool {
        self.difference.low() > 0.0
    }
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
    /// The largest rise of fine-tuning time with more pre-training; None when no later
    /// checkpoint is slower on average than an earlier one.
    pub slowdown: Option<Rise>,
    /// The checkpoint minimising pre-training steps plus mean fine-tuning steps, and that total.
    pub cheapest_total: (usize, f64),
    /// Seeds used (those present at every checkpoint).
    pub seeds: usize,
    /// Runs of those seeds, over every checkpoint, that reached the target. When none did,
    /// every checkpoint sits at the budget and no checkpoint is the fastest.
    pub reached: usize,
}

impl Goldilocks {
    /// Whether any run reached the target, so that the fastest checkpoint means something.
    pub fn has_fastest(&self) -> bool {
        self.reached > 0
    }
}

/// One seed's fine-tuning steps (counted at the budget when not reached) and whether it
/// reached the target.
type SeedOutcome = (f64, bool);

/// The Goldilocks checkpoint of every (source, method) in `runs`, in order of first
/// appearance. Only seeds present at every checkpoint of a (source, method) are used.
pub fn find_goldilocks<R: FinetuneOutcome>(runs: &[R]) -> Vec<Goldilocks> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut table: BTreeMap<(String, String), BTreeMap<usize, BTreeMap<u64, SeedOutcome>>> =
        BTreeMap::new();
    for run in runs {
        let key = (run.source().to_string(), run.method().to_string());
        if !order.contains(&key) {
            order.push(key.clone());
        }
        table
            .entry(key)
            .or_default()
            .entry(run.checkpoint_step())
            .or_default()
            .insert(run.seed(), (run.steps_or_budget(), run.steps_to_target().is_some()));
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
            let matrix: Vec<Vec<f64>> = by_step
                .values()
                .map(|per_seed| seeds.iter().map(|s| per_seed[s].0).collect())
                .collect();
            let reached = by_step
                .values()
                .map(|per_seed| seeds.iter().filter(|s| per_seed[s].1).count())
                .sum();
            Some(Goldilocks { reached, ..goldilocks_of(key.0, key.1, &steps, &matrix) })
        })
        .collect()
}

/// `matrix[c][s]`: steps from checkpoint `steps[c]` with seed index `s`.
fn goldilocks_of(
    source: String,
    method: String,
    steps: &[usize],
    matrix: &[Vec<f64>],
) -> Goldilocks {
    let seeds = matrix[0].len();
    let means: Vec<f64> = matrix.iter().map(|row| row.iter().sum::<f64>() / seeds as f64).collect();
    let best = argmin(&means);
    let mut rng = SplitMix64::new(BOOTSTRAP_SEED);
    let mut picks: Vec<usize> = (0..RESAMPLES)
        .map(|_| {
            let sample: Vec<usize> = (0..seeds).map(|_| rng.below(seeds)).collect();
            let resampled: Vec<f64> =
                matrix.iter().map(|row| sample.iter().map(|&s| row[s]).sum::<f64>()).collect();
            argmin(&resampled)
        })
        .collect();
    let share = picks.iter().filter(|&&p| p == best).count() as f64 / RESAMPLES as f64;
    picks.sort_unstable();
    let quantile =
        |q: f64| picks[((q * (RESAMPLES - 1) as f64).round() as usize).min(RESAMPLES - 1)];
    let last = steps.len() - 1;
    let mut largest: Option<(usize, usize)> = None;
    for later in 1..steps.len() {
        for earlier in 0..later {
            let rise = means[later] - means[earlier];
            if rise > 0.0 && largest.is_none_or(|(i, j)| rise > means[j] - means[i]) {
                largest = Some((earlier, later));
            }
        }
    }
    let slowdown = largest.map(|(i, j)| {
        let differences: Vec<f64> = (0..seeds).map(|s| matrix[j][s] - matrix[i][s]).collect();
        Rise {
            from: (steps[i], means[i]),
            to: (steps[j], means[j]),
            difference: mean_interval(&differences).expect("at least one seed"),
        }
    });
    let totals: Vec<f64> =
        steps.iter().zip(&means).map(|(&step, &mean)| step as f64 + mean).collect();
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
        reached: 0,
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
    use crate::records::FinetuneRun;

    fn runs_from(table: &[(usize, [usize; 4])]) -> Vec<FinetuneRun> {
        table
            .iter()
            .flat_map(|(step, times)| {
                times
                    .iter()
                    .enumerate()
                    .map(move |(seed, &t)| run("src", "lora-r1", *step, seed as u64, Some(t)))
            })
            .collect()
    }

    #[test]
    fn a_clear_minimum_in_the_middle_is_found_and_the_slowdown_is_significant() {
        let runs =
            runs_from(&[(0, [60, 62, 58, 61]), (8, [20, 22, 19, 21]), (64, [40, 43, 41, 39])]);
        let found = find_goldilocks(&runs);
        assert_eq!(found.len(), 1);
        let g = &found[0];
        assert_eq!(g.step, 8);
        assert_eq!(g.steps.mean, 20.5);
        assert_eq!(g.step_interval, (8, 8));
        assert_eq!(g.share, 1.0);
        assert_eq!(g.last, (64, 40.75));
        let rise = g.slowdown.expect("a slowdown");
        assert_eq!((rise.from.0, rise.to.0), (8, 64));
        assert_eq!(rise.difference.mean, 20.25);
        assert!(rise.is_significant());
        assert_eq!(g.cheapest_total, (8, 28.5));
        assert_eq!(g.reached, 12);
        assert!(g.has_fastest());
    }

    #[test]
    fn no_checkpoint_is_the_fastest_when_no_run_reaches_the_target() {
        let runs: Vec<FinetuneRun> = [0, 8, 64]
            .into_iter()
            .flat_map(|step| (0..3).map(move |seed| run("src", "full", step, seed, None)))
            .collect();
        let g = &find_goldilocks(&runs)[0];
        assert_eq!(g.reached, 0);
        assert!(!g.has_fastest());
    }

    #[test]
    fn a_monotone_decrease_has_no_slowdown() {
        let runs =
            runs_from(&[(0, [60, 62, 58, 61]), (8, [30, 32, 29, 31]), (64, [10, 11, 9, 12])]);
        let g = &find_goldilocks(&runs)[0];
        assert_eq!(g.step, 64);
        assert_eq!(g.slowdown, None);
        assert_eq!(g.cheapest_total.0, 8);
    }

    #[test]
    fn a_tie_with_the_last_checkpoint_is_no_slowdown() {
        let runs = runs_from(&[(0, [5, 6, 5, 6]), (8, [0, 0, 0, 0]), (64, [0, 0, 0, 0])]);
        let g = &find_goldilocks(&runs)[0];
        assert_eq!(g.step, 8);
        assert_eq!(g.slowdown, None);
    }

    #[test]
    fn a_rise_before_an_instant_checkpoint_is_found() {
        // Slower and slower until the checkpoint alone meets the target.
        let runs = runs_from(&[(0, [20, 22, 21, 19]), (8, [60, 70, 65, 61]), (16, [0, 0, 0, 0])]);
        let g = &find_goldilocks(&runs)[0];
        assert_eq!(g.step, 16);
        let rise = g.slowdown.expect("a rise from step 0 to step 8");
        assert_eq!((rise.from.0, rise.to.0), (0, 8));
        assert!(rise.is_significant());
    }

    #[test]
    fn noisy_differences_are_not_called_significant() {
        let runs = runs_from(&[(0, [10, 40, 12, 38]), (8, [39, 11, 41, 9])]);
        let g = &find_goldilocks(&runs)[0];
        assert!(g.slowdown.is_none_or(|rise| !rise.is_significant()), "{:?}", g.slowdown);
        assert!(g.share < 0.9, "share {}", g.share);
        assert_eq!(g.step_interval, (0, 8));
    }
}
