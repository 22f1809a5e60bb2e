//! The outputs of a scaling experiment: scaling.csv, plots/scaling.svg and report.md.

use std::path::{Path, PathBuf};

use goldilocks_analysis::{
    fit_growth, render_scaling_report, scaling_plot, write_scaling_csv, GrowthFit, ScalingPoint,
    ScalingReportInput,
};

use crate::results_folder::{write, write_plot};
use crate::scaling::ScalingConfig;
use crate::ExperimentError;

/// Fits the points and writes scaling.csv, plots/scaling.svg (when some seed escaped) and
/// report.md into `dir`; returns the fits and the report's path.
pub fn write_scaling_outputs(
    config: &ScalingConfig,
    dir: &Path,
    points: &[ScalingPoint],
    command: &str,
) -> Result<(Vec<GrowthFit>, PathBuf), ExperimentError> {
    let fits = fit_growth(points)?;
    let mut csv = Vec::new();
    write_scaling_csv(points, &mut csv)?;
    write(&dir.join("scaling.csv"), &csv)?;
    let mut plots = Vec::new();
    if points.iter().any(|p| p.escaped() > 0) {
        let svg = scaling_plot(
            points,
            &fits,
            &format!("{}: escape step versus N (V only, mu = 0)", config.name),
        )?;
        write_plot(&dir.join("plots/scaling.svg"), &svg)?;
        plots.push((
            "Escape step versus N, log-log: small dots are seeds, filled markers medians with bars over the quartiles, solid lines the fitted power laws, dashed lines the known laws fitted by their constant".to_string(),
            "plots/scaling.svg".to_string(),
        ));
    }
    let setups: Vec<String> = config
        .targets
        .iter()
        .map(|t| {
            let start = t.initial_overlap.map_or("random V".to_string(), |law| format!("initial overlap m0 = {law}"));
            format!(
                "{}: N = {}; lr = {} before the Hermite rule (divided by {}); budget {} steps; {start}; {} seeds from seed {}",
                t.activation,
                t.sizes.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "),
                t.learning_rate,
                t.activation.hermite_lr_divisor(),
                t.budget,
                t.seeds,
                t.first_seed
            )
        })
        .collect();
    let criterion = format!("m_V >= {} (m_V = |<V, w*>| / |V|)", config.threshold);
    let report = render_scaling_report(&ScalingReportInput {
        experiment: &config.name,
        description: &config.description,
        criterion: &criterion,
        setups: &setups,
        points,
        fits: &fits,
        plots: &plots,
        commands: command,
    });
    let path = dir.join("report.md");
    write(&path, report.as_bytes())?;
    Ok((fits, path))
}
