//! `cargo xtask theory scaling`: the median escape time of stored experiments at several N,
//! per activation, fitted by a power law `c N^a` and set beside the online-SGD laws.

use std::collections::BTreeMap;

use anyhow::Context;
use goldilocks_analysis::{fit_fixed_law, fit_power_law, median_escape};
use goldilocks_experiment::ExperimentConfig;

use crate::cli::ScalingArgs;
use crate::ode::stored_records;

/// Prints the escape times and the fits for every activation of the configs.
pub fn run(args: ScalingArgs) -> anyhow::Result<()> {
    // activation -> [(N, median escape or None, escaped, runs)]
    let mut table: BTreeMap<String, Vec<(usize, Option<f64>, usize, usize)>> = BTreeMap::new();
    for path in &args.config {
        let config = ExperimentConfig::load(path)?;
        let records = stored_records(&args.results.join(&config.name)).with_context(|| format!("config {}", path.display()))?;
        let mut by_activation: BTreeMap<String, Vec<Option<usize>>> = BTreeMap::new();
        for record in &records {
            by_activation.entry(record.activation.clone()).or_default().push(record.escape_step);
        }
        for (activation, steps) in by_activation {
            let escaped = steps.iter().flatten().count();
            table.entry(activation).or_default().push((config.model.input_dim, median_escape(&steps), escaped, steps.len()));
        }
    }
    println!("# median escape step (first step with m_V >= threshold) over seeds; censored runs count as +infinity");
    for (activation, mut rows) in table {
        rows.sort_by_key(|r| r.0);
        println!("\n## {activation}");
        println!("{:>8} {:>10} {:>10}", "N", "median", "escaped");
        for (n, median, escaped, runs) in &rows {
            let median = median.map_or("censored".to_string(), |m| format!("{m:.1}"));
            println!("{n:>8} {median:>10} {:>10}", format!("{escaped}/{runs}"));
        }
        let measured: Vec<(f64, f64)> = rows.iter().filter_map(|(n, median, _, _)| median.map(|m| (*n as f64, m))).collect();
        if measured.len() < 2 {
            println!("no fit: fewer than two N with an uncensored median");
            continue;
        }
        let (n, times): (Vec<f64>, Vec<f64>) = measured.into_iter().unzip();
        let power = fit_power_law(&n, &times)?;
        println!(
            "power law: T = {:.3} N^{:.3} (+- {:.3}), rms of ln T residuals {:.3}",
            power.prefactor, power.exponent, power.exponent_error, power.log_rms
        );
        let laws: [(&str, &dyn Fn(f64) -> f64); 3] = [("N", &|x| x), ("N ln N", &|x| x * x.ln()), ("N^2", &|x| x * x)];
        for (name, law) in laws {
            let fit = fit_fixed_law(&n, &times, law)?;
            println!("fixed law: T = {:.4} {name}, rms of ln T residuals {:.3}", fit.constant, fit.log_rms);
        }
    }
    Ok(())
}
