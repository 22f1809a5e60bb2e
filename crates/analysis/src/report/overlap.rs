//! "How the starting overlap moves the times": paper_time of each (activation, mu) side by
//! side across starting conditions, with its ratios to the first one.

use std::fmt::Write as _;

use goldilocks_theory::format::trimmed;

use crate::report::view::{cell, ratio, View};
use crate::summary::SummaryRow;

impl View<'_> {
    /// "How the starting overlap moves the times" (nothing without rows).
    pub(super) fn write_overlap_section(&self, out: &mut String) {
        if self.rows.is_empty() {
            return;
        }
        let _ = writeln!(out, "## How the starting overlap moves the times\n");
        // (activation, rank, mu) keys present under two or more starts, in row order.
        let mut keys: Vec<&SummaryRow> = Vec::new();
        for row in &self.rows {
            let same_key = |r: &SummaryRow| {
                r.activation == row.activation && r.rank == row.rank && r.mu == row.mu
            };
            if keys.iter().any(|r| same_key(r)) {
                continue;
            }
            if self.rows.iter().filter(|r| same_key(r)).any(|r| r.start != row.start) {
                keys.push(row);
            }
        }
        if keys.is_empty() {
            let _ = writeln!(
                out,
                "Every (activation, mu) was run under a single starting condition: nothing to compare.\n"
            );
            return;
        }
        let reference = self.starts[0];
        let others = &self.starts[1..];
        let _ = writeln!(
            out,
            "The search phase lasts about log(1/m0) in the starting overlap m0, so the same statistic moves with \
             the starting condition. paper_time of each (activation, mu) under every starting condition, and its \
             ratio to {reference}:\n"
        );
        let mut header = String::from("| activation | mu |");
        let mut rule = String::from("|---|---:|");
        for start in &self.starts {
            let _ = write!(header, " {} |", cell(&self.start_short(start)));
            rule.push_str("---:|");
        }
        for start in others {
            let _ = write!(header, " {} / {} |", cell(start), cell(reference));
            rule.push_str("---:|");
        }
        let _ = writeln!(out, "{header}\n{rule}");
        // Per (activation label, other start): ratios of paper_time and of median escape.
        let mut ratios: Vec<(String, &str, Vec<f64>, Vec<f64>)> = Vec::new();
        for key in &keys {
            let find = |start: &str| {
                self.rows.iter().find(|r| {
                    r.start == start
                        && r.activation == key.activation
                        && r.rank == key.rank
                        && r.mu == key.mu
                })
            };
            let label = self.activation_label(key);
            let mut line = format!("| {label} | {} |", trimmed(key.mu, 4));
            for start in &self.starts {
                let value = match find(start) {
                    Some(r) => r
                        .paper_time
                        .map(|t| trimmed(t, 1))
                        .unwrap_or_else(|| "undefined".to_string()),
                    None => "-".to_string(),
                };
                let _ = write!(line, " {value} |");
            }
            let base = find(reference);
            for start in others {
                let other = find(start);
                let r =
                    pair_ratio(other.and_then(|r| r.paper_time), base.and_then(|r| r.paper_time));
                let _ = write!(line, " {} |", ratio(r));
                let m = pair_ratio(
                    other.and_then(|r| r.median_escape),
                    base.and_then(|r| r.median_escape),
                );
                let entry = match ratios.iter().position(|e| e.0 == label && e.1 == *start) {
                    Some(i) => &mut ratios[i],
                    None => {
                        ratios.push((label.clone(), start, Vec::new(), Vec::new()));
                        ratios.last_mut().expect("just pushed")
                    }
                };
                entry.2.extend(r);
                entry.3.extend(m);
            }
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(
            out,
            "\nMean ratios per activation (over the strengths where both times are defined):\n"
        );
        for (label, start, paper, medians) in &ratios {
            let _ = writeln!(
                out,
                "- {label}, {} / {reference}: paper_time {}; median escape {}.",
                cell(start),
                mean_ratio(paper),
                mean_ratio(medians)
            );
        }
        let _ = writeln!(out);
    }
}

/// numerator / denominator when both exist and the denominator is positive.
fn pair_ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => Some(n / d),
        _ => None,
    }
}

/// "1.35 over 8 strengths (from 1.20 to 1.50)", or "not defined at any strength".
fn mean_ratio(values: &[f64]) -> String {
    if values.is_empty() {
        return "not defined at any strength".to_string();
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let strengths = if values.len() == 1 { "strength" } else { "strengths" };
    format!("{mean:.2} over {} {strengths} (from {lo:.2} to {hi:.2})", values.len())
}
