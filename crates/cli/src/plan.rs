//! `cargo xtask plan`: the units a config runs, in order, with their step budgets and the
//! memory estimate of the largest; `--json` for scripts that size a job array by `count`.

use serde::Serialize;

use crate::cli::PlanArgs;
use crate::experiment::load_config;
use goldilocks_experiment::{ExperimentPlan, Stage};

/// The JSON form of a plan.
#[derive(Serialize)]
struct PlanJson<'a> {
    experiment: &'a str,
    kind: &'a str,
    count: usize,
    max_steps: u64,
    peak_bytes: f64,
    units: Vec<UnitJson<'a>>,
}

#[derive(Serialize)]
struct UnitJson<'a> {
    index: usize,
    label: &'a str,
    max_steps: u64,
    /// `pre-training` units finish before the `fine-tuning` units that need them.
    stage: Stage,
}

/// Prints the plan of the config of `args`.
pub fn run(args: PlanArgs) -> anyhow::Result<()> {
    let config = load_config(&args.config)?;
    let plan: ExperimentPlan = config.plan();
    if args.json {
        let json = PlanJson {
            experiment: config.name(),
            kind: config.kind(),
            count: plan.units.len(),
            max_steps: plan.max_steps(),
            peak_bytes: plan.peak_bytes,
            units: plan
                .units
                .iter()
                .enumerate()
                .map(|(index, unit)| UnitJson {
                    index,
                    label: &unit.label,
                    max_steps: unit.max_steps,
                    stage: unit.stage,
                })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("experiment {} (kind {})", config.name(), config.kind());
        print!("{plan}");
    }
    Ok(())
}
