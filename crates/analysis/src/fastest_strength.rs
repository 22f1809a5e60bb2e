//! The fastest pre-training strength mu* of a sweep, with a bootstrap interval over seeds.
//!
//! For each (activation, start, rank) and each of two statistics (the paper's statistic and
//! the median escape step), mu* is the strength with the smallest value over all seeds. The
//! interval resamples the seeds with replacement (the same draw at every mu: the variants of a
//! group share their seeds' starting V, so the comparison across mu is paired), recomputes the
//! statistic at every mu and records the minimising mu; its 5% and 95% points bound mu*. A
//! strength whose statistic is undefined in a resample (the seed-mean never reached the band,
//! or the median run is censored) counts as slower than every defined one.
//!
//! The minimum is interior when mu* is neither the smallest nor the largest strength of the
//! sweep and the interval excludes both. A median escape step is undefined only when the
//! median run never escaped (censored, or diverged first), which is slow; the paper's statistic
//! is also undefined when any run diverged, even after escaping, so a paper_time minimum counts
//! as interior only when the statistic is defined at every strength.

use serde::{Deserialize, Serialize};

use goldilocks_theory::rng::SplitMix64;

use crate::distinct::distinct;
use crate::escape::{escape_step, median_escape};
use crate::paper_statistic::paper_time;
use crate::subsets::quantile;
use crate::summary::SummaryParams;
use crate::trajectory::RunTrajectory;

/// Which statistic is minimised over mu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeedStatistic {
    /// The paper's statistic: the mean step at which the seed-mean m_V lies within mu +- band.
    PaperTime,
    /// The median over seeds of the first step with m_V >= threshold (censored: +infinity).
    MedianEscape,
}

impl SpeedStatistic {
    /// Both statistics, the paper's first.
    pub const ALL: [SpeedStatistic; 2] = [SpeedStatistic::PaperTime, SpeedStatistic::MedianEscape];

    /// The name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            SpeedStatistic::PaperTime => "paper_time",
            SpeedStatistic::MedianEscape => "median escape step",
        }
    }

    /// The statistic of `runs` at strength `mu`; None when undefined.
    fn of(self, runs: &[&RunTrajectory], mu: f64, params: &SummaryParams) -> Option<f64> {
        match self {
            SpeedStatistic::PaperTime => {
                if runs.iter().any(|r| r.diverged) {
                    return None;
                }
                let curves: Vec<&[f64]> = runs.iter().map(|r| r.m_v.as_slice()).collect();
                paper_time(&curves, mu, params.half_width)
            }
            SpeedStatistic::MedianEscape => {
                let steps: Vec<Option<usize>> =
                    runs.iter().map(|r| escape_step(&r.m_v, params.threshold)).collect();
                median_escape(&steps)
            }
        }
    }
}

/// The fastest strength of one (activation, start, rank) under one statistic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FastestStrength {
    /// Activation pair.
    pub activation: String,
    /// Starting condition.
    pub start: String,
    /// LoRA rank.
    pub rank: usize,
    /// The statistic minimised.
    pub statistic: SpeedStatistic,
    /// The strength with the smallest statistic over all seeds.
    pub mu_star: f64,
    /// The statistic there, in steps.
    pub fastest: f64,
    /// 5% point of mu* over the bootstrap resamples.
    pub mu_star_lo: f64,
    /// 95% point of mu* over the bootstrap resamples.
    pub mu_star_hi: f64,
    /// Resamples in which some strength had a defined statistic.
    pub resamples: usize,
    /// The statistic at every strength of the sweep, in increasing mu (None: undefined).
    pub curve: Vec<(f64, Option<f64>)>,
    /// Strengths where the statistic is undefined over all seeds.
    pub undefined: usize,
    /// Whether mu* and its interval lie strictly inside the swept range (never when the
    /// paper's statistic is undefined somewhere: a diverged run leaves it undefined, which says
    /// nothing about speed).
    pub interior: bool,
}

/// mu* with its bootstrap interval for every (activation, start, rank) with at least three
/// strengths and a defined statistic somewhere, for both statistics; `resamples` bootstrap
/// draws from a [`SplitMix64`] stream seeded with `seed`. Seeds are matched across strengths;
/// only seeds present at every strength of a group take part.
pub fn fastest_strengths(
    runs: &[RunTrajectory],
    params: &SummaryParams,
    resamples: usize,
    seed: u64,
) -> Vec<FastestStrength> {
    let groups = distinct(runs.iter().map(|r| (r.activation.as_str(), r.start.as_str(), r.rank)));
    let mut results = Vec::new();
    for (activation, start, rank) in groups {
        let members: Vec<&RunTrajectory> = runs
            .iter()
            .filter(|r| r.activation == activation && r.start == start && r.rank == rank)
            .collect();
        let mut mus = distinct(members.iter().map(|r| r.mu));
        mus.sort_by(f64::total_cmp);
        if mus.len() < 3 {
            continue;
        }
        let mut seeds: Vec<u64> = members.iter().map(|r| r.seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        seeds.retain(|&s| mus.iter().all(|&mu| members.iter().any(|r| r.mu == mu && r.seed == s)));
        if seeds.is_empty() {
            continue;
        }
        // table[i][j]: the run of strength mus[i] and seed seeds[j].
        let table: Vec<Vec<&RunTrajectory>> = mus
            .iter()
            .map(|&mu| {
                seeds
                    .iter()
                    .map(|&s| *members.iter().find(|r| r.mu == mu && r.seed == s).unwrap())
                    .collect()
            })
            .collect();
        for statistic in SpeedStatistic::ALL {
            let all: Vec<usize> = (0..seeds.len()).collect();
            let curve: Vec<(f64, Option<f64>)> = mus
                .iter()
                .zip(&table)
                .map(|(&mu, row)| (mu, statistic_of(statistic, row, &all, mu, params)))
                .collect();
            let Some((best, fastest)) = argmin(&curve) else {
                continue;
            };
            let mut rng = SplitMix64::new(seed);
            let mut draws: Vec<f64> = Vec::with_capacity(resamples);
            let mut picked = vec![0; seeds.len()];
            for _ in 0..resamples {
                for p in picked.iter_mut() {
                    *p = rng.below(seeds.len());
                }
                let resampled: Vec<(f64, Option<f64>)> = mus
                    .iter()
                    .zip(&table)
                    .map(|(&mu, row)| (mu, statistic_of(statistic, row, &picked, mu, params)))
                    .collect();
                if let Some((index, _)) = argmin(&resampled) {
                    draws.push(mus[index]);
                }
            }
            draws.sort_by(f64::total_cmp);
            let (lo, hi) = if draws.is_empty() {
                (mus[best], mus[best])
            } else {
                (quantile(&draws, 0.05), quantile(&draws, 0.95))
            };
            let (first, last) = (mus[0], mus[mus.len() - 1]);
            let undefined = curve.iter().filter(|(_, v)| v.is_none()).count();
            let comparable = statistic == SpeedStatistic::MedianEscape || undefined == 0;
            results.push(FastestStrength {
                activation: activation.into(),
                start: start.into(),
                rank,
                statistic,
                mu_star: mus[best],
                fastest,
                mu_star_lo: lo,
                mu_star_hi: hi,
                resamples: draws.len(),
                curve,
                undefined,
                interior: comparable && lo > first && hi < last,
            });
        }
    }
    results
}

/// The statistic over the runs `row[picked[..]]` (with repeats).
fn statistic_of(
    statistic: SpeedStatistic,
    row: &[&RunTrajectory],
    picked: &[usize],
    mu: f64,
    params: &SummaryParams,
) -> Option<f64> {
    let runs: Vec<&RunTrajectory> = picked.iter().map(|&j| row[j]).collect();
    statistic.of(&runs, mu, params)
}

/// Index and value of the smallest defined statistic (the first on ties).
fn argmin(curve: &[(f64, Option<f64>)]) -> Option<(usize, f64)> {
    curve.iter().enumerate().filter_map(|(i, (_, v))| v.map(|v| (i, v))).fold(
        None,
        |best: Option<(usize, f64)>, (i, v)| match best {
            Some((_, b)) if b <= v => best,
            _ => Some((i, v)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run whose m_V rises linearly and crosses 0.5 after `half` steps.
    fn run(mu: f64, seed: u64, half: usize) -> RunTrajectory {
        let len = 3 * half;
        RunTrajectory {
            activation: "he3".into(),
            mu,
            rank: 1,
            start: "s".into(),
            initial_overlap: None,
            seed,
            m_v: (1..=len).map(|i| 0.5 * i as f64 / half as f64).collect(),
            diverged: false,
            max_steps: len,
        }
    }

    #[test]
    fn a_clear_interior_minimum_is_found_with_a_tight_interval() {
        let halves = [(0.2, 400), (0.4, 100), (0.6, 20), (0.8, 90)];
        let runs: Vec<RunTrajectory> = halves
            .iter()
            .flat_map(|&(mu, half)| (0..6).map(move |s| run(mu, s, half + s as usize)))
            .collect();
        let results = fastest_strengths(&runs, &SummaryParams::paper(), 200, 1);
        assert_eq!(results.len(), 2);
        for r in &results {
            assert_eq!(r.mu_star, 0.6, "{:?}", r.statistic);
            assert_eq!((r.mu_star_lo, r.mu_star_hi), (0.6, 0.6));
            assert!(r.interior && r.resamples == 200);
        }
        // Median escape at mu = 0.6: halves 20 ..= 25, escape step = half; median 22.5.
        assert_eq!(results[1].fastest, 22.5);
    }

    #[test]
    fn a_minimum_at_the_edge_is_not_interior_and_noise_widens_the_interval() {
        // Two strengths nearly tied; seed-to-seed spread decides which is faster.
        let mut runs = Vec::new();
        for s in 0..8u64 {
            let noise = if s % 2 == 0 { 30 } else { 0 };
            runs.push(run(0.1, s, 50 + noise));
            runs.push(run(0.3, s, 65 - noise / 2));
            runs.push(run(0.5, s, 200));
        }
        let results = fastest_strengths(&runs, &SummaryParams::paper(), 300, 7);
        let median = results.iter().find(|r| r.statistic == SpeedStatistic::MedianEscape).unwrap();
        assert!(median.mu_star_lo < median.mu_star_hi, "{median:?}");
        assert!(!median.interior);
        // Censoring: a strength where every run is censored is never the fastest.
        let censored: Vec<RunTrajectory> = (0..3)
            .flat_map(|s| {
                let mut slow = run(0.2, s, 10);
                slow.m_v.iter_mut().for_each(|m| *m *= 0.1);
                [slow, run(0.4, s, 50), run(0.6, s, 60)]
            })
            .collect();
        let results = fastest_strengths(&censored, &SummaryParams::paper(), 50, 3);
        let median = results.iter().find(|r| r.statistic == SpeedStatistic::MedianEscape).unwrap();
        assert_eq!(median.mu_star, 0.4);
        assert_eq!(median.curve[0], (0.2, None));
    }

    #[test]
    fn groups_with_fewer_than_three_strengths_are_skipped() {
        let runs = vec![run(0.2, 0, 10), run(0.4, 0, 20)];
        assert!(fastest_strengths(&runs, &SummaryParams::paper(), 10, 0).is_empty());
    }
}
