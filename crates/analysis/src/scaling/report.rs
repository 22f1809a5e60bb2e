//! report.md of an escape-time scaling: the fits of the median escape step against N per
//! target, beside the known online-SGD laws, a reading of each fit, the plot and the table of
//! measured points.

use std::fmt::Write;

use goldilocks_theory::format::trimmed;

use crate::scaling::growth::GrowthFit;
use crate::scaling::point::ScalingPoint;

/// Everything the report shows.
#[derive(Debug, Clone, Copy)]
pub struct ScalingReportInput<'a> {
    /// Name of the experiment.
    pub experiment: &'a str,
    /// What was run (markdown).
    pub description: &'a str,
    /// The escape criterion in words, e.g. "m_V >= 0.5".
    pub criterion: &'a str,
    /// One line per target: its learning-rate and budget laws, start and seeds.
    pub setups: &'a [String],
    /// The measured points.
    pub points: &'a [ScalingPoint],
    /// The fits, one per target.
    pub fits: &'a [GrowthFit],
    /// Plots: (caption, path relative to the report).
    pub plots: &'a [(String, String)],
    /// Shell commands that reproduce the experiment.
    pub commands: &'a str,
}

/// One sentence on a target's fit beside its known law.
pub fn fit_sentence(fit: &GrowthFit) -> String {
    let head = format!("{} (k = {})", fit.target, fit.information_exponent);
    let censored = if fit.censored_sizes.is_empty() {
        String::new()
    } else {
        format!(
            " The median is censored at N = {}, left out of the fit.",
            list(&fit.censored_sizes)
        )
    };
    let (Some(power), Some(slope)) = (fit.power, fit.known_exponent) else {
        return format!(
            "{head}: no fit, fewer than two sizes with an uncensored median.{censored}"
        );
    };
    let sizes =
        format!("N = {}..{}", fit.fitted_sizes[0], fit.fitted_sizes[fit.fitted_sizes.len() - 1]);
    let distance = match fit.distance_in_errors() {
        Some(d) => format!("{} standard errors away", trimmed(d, 1)),
        None => "no standard error with two sizes".to_string(),
    };
    let best = fit.best_law().map_or(String::new(), |b| {
        format!(
            "; of the fixed laws, c {} fits best (rms of ln T {})",
            b.law,
            trimmed(b.fit.log_rms, 3)
        )
    });
    format!(
        "{head}: a = {} +- {} over {sizes}; the known law {} has log-log slope {} over these sizes, {distance}{best}.{censored}",
        trimmed(power.exponent, 3),
        error_text(power.exponent_error),
        fit.known,
        trimmed(slope, 3),
    )
}

fn error_text(error: f64) -> String {
    if error.is_finite() {
        trimmed(error, 3)
    } else {
        "n/a".to_string()
    }
}

fn list(sizes: &[usize]) -> String {
    sizes.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
}

/// Renders report.md.
pub fn render_scaling_report(input: &ScalingReportInput) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n\n{}\n", input.experiment, input.description.trim());
    let _ = writeln!(
        out,
        "Escape step: the first step with {}. Each point is the median over seeds, censored runs (not escaped within the budget) counted as +infinity, so a median is censored when half the seeds or more did not escape. Fits are least squares on (ln N, ln T) over the sizes with an uncensored median: a power law c N^a, and fixed laws c g(N) by their constant.\n",
        input.criterion
    );
    let _ = writeln!(out, "Reproduce with:\n\n```sh\n{}\n```\n", input.commands.trim());
    let _ = writeln!(out, "## Setup\n");
    for setup in input.setups {
        let _ = writeln!(out, "- {setup}");
    }
    let _ = writeln!(out, "\n## Fits of the median escape step\n");
    for fit in input.fits {
        let _ = writeln!(out, "- {}", fit_sentence(fit));
    }
    let _ = writeln!(out, "\n| target | k | N fitted | a (+- s.e.) | c | rms of ln T | known law | its slope over these N |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for fit in input.fits {
        let (a, c, rms) =
            fit.power.map_or(("-".to_string(), "-".to_string(), "-".to_string()), |p| {
                (
                    format!("{} +- {}", trimmed(p.exponent, 3), error_text(p.exponent_error)),
                    format!("{:.4e}", p.prefactor),
                    trimmed(p.log_rms, 3),
                )
            });
        let slope = fit.known_exponent.map_or("-".to_string(), |s| trimmed(s, 3));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {a} | {c} | {rms} | {} | {slope} |",
            fit.target,
            fit.information_exponent,
            list(&fit.fitted_sizes),
            fit.known
        );
    }
    let _ = writeln!(out, "\nFixed laws `T = c g(N)`:\n");
    let _ = writeln!(out, "| target | g(N) | c | rms of ln T |");
    let _ = writeln!(out, "|---|---|---|---|");
    for fit in input.fits {
        for law in &fit.laws {
            let known = if law.law == fit.known { " (known law)" } else { "" };
            let _ = writeln!(
                out,
                "| {} | {}{known} | {:.4e} | {} |",
                fit.target,
                law.law,
                law.fit.constant,
                trimmed(law.fit.log_rms, 3)
            );
        }
    }
    for (caption, path) in input.plots {
        let _ = writeln!(out, "\n![{caption}]({path})\n\n*{caption}*");
    }
    let _ = writeln!(out, "\n## Measured points\n");
    let _ = writeln!(
        out,
        "| target | N | learning rate | budget | m0 | escaped | median | q25 | q75 |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    let optional = |value: Option<f64>| value.map_or("censored".to_string(), |v| trimmed(v, 1));
    for point in input.points {
        let m0 = point.initial_overlap.map_or("random".to_string(), |m| trimmed(m, 4));
        let _ = writeln!(
            out,
            "| {} | {} | {:.4e} | {} | {m0} | {}/{} | {} | {} | {} |",
            point.target,
            point.n,
            point.learning_rate,
            point.max_steps,
            point.escaped(),
            point.seeds(),
            optional(point.median()),
            optional(point.quantile(0.25)),
            optional(point.quantile(0.75)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaling::growth::fit_growth;

    fn point(target: &str, k: u32, n: usize, steps: Vec<Option<usize>>) -> ScalingPoint {
        ScalingPoint {
            target: target.into(),
            information_exponent: k,
            n,
            learning_rate: 0.5 / n as f64,
            max_steps: 40 * n,
            initial_overlap: None,
            escape_steps: steps,
        }
    }

    #[test]
    fn the_report_shows_fits_laws_and_points() {
        let points = vec![
            point("he1", 1, 64, vec![Some(60), Some(70), Some(80)]),
            point("he1", 1, 128, vec![Some(130), Some(140), Some(150)]),
            point("he1", 1, 256, vec![Some(250), Some(260), Some(300)]),
            point("he3", 3, 64, vec![None, None, Some(10)]),
            point("he3", 3, 128, vec![None, None, None]),
        ];
        let fits = fit_growth(&points).unwrap();
        let setups = ["he1: lr = 0.5 N^-1".to_string()];
        let plots = [("Escape step versus N".to_string(), "plots/scaling.svg".to_string())];
        let report = render_scaling_report(&ScalingReportInput {
            experiment: "scaling",
            description: "A test.",
            criterion: "m_V >= 0.5",
            setups: &setups,
            points: &points,
            fits: &fits,
            plots: &plots,
            commands: "cargo xtask experiment --config configs/scaling.toml",
        });
        assert!(report.starts_with("# scaling\n\nA test."));
        assert!(report.contains("- he1: lr = 0.5 N^-1"));
        assert!(report.contains("he1 (k = 1): a = 0.9"), "{report}");
        assert!(
            report.contains("the known law N has log-log slope 1 over these sizes"),
            "{report}"
        );
        assert!(report.contains("he3 (k = 3): no fit, fewer than two sizes with an uncensored median. The median is censored at N = 64, 128"), "{report}");
        assert!(report.contains("| he1 | N ln N | "));
        assert!(report.contains("| he1 | N (known law) | "));
        assert!(report.contains("![Escape step versus N](plots/scaling.svg)"));
        assert!(
            report.contains("| he1 | 128 | 3.9062e-3 | 5120 | random | 3/3 | 140 | 135 | 145 |"),
            "{report}"
        );
        assert!(
            report.contains(
                "| he3 | 64 | 7.8125e-3 | 2560 | random | 1/3 | censored | censored | censored |"
            ),
            "{report}"
        );
    }
}
