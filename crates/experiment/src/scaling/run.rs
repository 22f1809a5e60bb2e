//! Runs a scaling experiment: every (target, N) point through the escape runner (reusing
//! stored records), then the fits and the outputs.

use goldilocks_kernels::EnsembleKernels;
use std::fmt;
use std::path::{Path, PathBuf};

use goldilocks_analysis::{GrowthFit, ScalingPoint};

use crate::escape::memory::check_fits;
use crate::escape::plan_ensembles;
use crate::escape::run::run_ensembles;
use crate::lock_results_folder;
use crate::results_folder::write_config;
use crate::scaling::outputs::write_scaling_outputs;
use crate::scaling::ScalingConfig;
use crate::{ExperimentError, ExperimentKind, RunOptions};

/// What a finished scaling experiment produced.
#[derive(Debug, Clone)]
pub struct ScalingOutcome {
    /// The results folder.
    pub dir: PathBuf,
    /// One point per (target, N), in run order.
    pub points: Vec<ScalingPoint>,
    /// The growth fits, one per target.
    pub fits: Vec<GrowthFit>,
    /// Points whose stored records were reused.
    pub reused_points: usize,
    /// Points computed now (wholly or partly).
    pub computed_points: usize,
    /// The report.
    pub report: PathBuf,
}

impl fmt::Display for ScalingOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} points computed, {} reused; report: {}",
            self.computed_points,
            self.reused_points,
            self.report.display()
        )
    }
}

/// Checks that every point's ensembles fit `limit` bytes (in chunks where needed).
pub(crate) fn check_points_fit(config: &ScalingConfig, limit: u64) -> Result<(), ExperimentError> {
    for &(t, n) in &config.points() {
        let point = config.point_config(t, n);
        check_fits(&point, &plan_ensembles(&point), limit)?;
    }
    Ok(())
}

/// The folder of point (target `t`, N = `n`) under the experiment (or shard) folder `dir`.
pub(crate) fn point_folder(config: &ScalingConfig, dir: &Path, t: usize, n: usize) -> PathBuf {
    dir.join("points").join(config.point_name(t, n))
}

/// Runs `config` on backend `B`: the records of point `<target>-n<N>` go to
/// `<results_root>/<name>/points/<target>-n<N>/`, the fits and report to `<results_root>/<name>/`.
pub(crate) fn run<B: EnsembleKernels>(
    config: &ScalingConfig,
    options: &RunOptions,
    device: &B::Device,
) -> Result<ScalingOutcome, ExperimentError> {
    config.validate()?;
    check_points_fit(config, options.memory_limit)?;
    let dir = options.results_root.join(&config.name);
    let _lock = lock_results_folder(&dir, options.wait_for_folder)?;
    write_config(&dir, config)?;
    let all = config.points();
    let (mut points, mut reused, mut computed) = (Vec::new(), 0, 0);
    for (index, &(t, n)) in all.iter().enumerate() {
        let target = &config.targets[t];
        let point_config = config.point_config(t, n);
        if options.show_progress {
            eprintln!(
                "point {}/{}: {} at N = {n} ({} seeds, budget {} steps)",
                index + 1,
                all.len(),
                target.activation,
                target.seeds,
                point_config.training.max_steps
            );
        }
        let ensembles =
            run_ensembles::<B>(&point_config, &point_folder(config, &dir, t, n), options, device)?;
        if ensembles.computed == 0 {
            reused += 1;
        } else {
            computed += 1;
        }
        points.push(ScalingPoint {
            target: target.activation.to_string(),
            information_exponent: target
                .information_exponent()
                .expect("validated: a Hermite target"),
            n,
            learning_rate: ensembles.records[0].learning_rate,
            max_steps: point_config.training.max_steps,
            initial_overlap: point_config.starts[0].initial_overlap,
            escape_steps: ensembles.records.iter().map(|r| r.escape_step).collect(),
        });
    }
    let (fits, report) = write_scaling_outputs(config, &dir, &points, &options.command)?;
    Ok(ScalingOutcome {
        dir,
        points,
        fits,
        reused_points: reused,
        computed_points: computed,
        report,
    })
}
