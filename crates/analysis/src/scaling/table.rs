//! scaling.csv: one line per (target, N) of an escape-time scaling.
//!
//! Columns, in this order: target, information_exponent, n, learning_rate, max_steps,
//! initial_overlap, seeds, escaped, median, q25, q75; the learning rate is the one used, after
//! the Hermite rule. The order statistics are escape steps
//! with censored runs counted as +infinity; a censored statistic (and a random start's
//! initial overlap) is an empty field.

use std::io::Write;

use goldilocks_theory::format::trimmed;

use crate::error::AnalysisError;
use crate::scaling::point::ScalingPoint;

/// Column names of scaling.csv, in order.
pub const SCALING_COLUMNS: [&str; 11] = [
    "target",
    "information_exponent",
    "n",
    "learning_rate",
    "max_steps",
    "initial_overlap",
    "seeds",
    "escaped",
    "median",
    "q25",
    "q75",
];

/// Writes scaling.csv (header, then one line per point) to `out`.
pub fn write_scaling_csv<W: Write>(points: &[ScalingPoint], out: W) -> Result<(), AnalysisError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(SCALING_COLUMNS)?;
    let optional =
        |value: Option<f64>, decimals: usize| value.map_or(String::new(), |v| trimmed(v, decimals));
    for point in points {
        writer.write_record([
            point.target.clone(),
            point.information_exponent.to_string(),
            point.n.to_string(),
            format!("{:e}", point.learning_rate),
            point.max_steps.to_string(),
            optional(point.initial_overlap, 6),
            point.seeds().to_string(),
            point.escaped().to_string(),
            optional(point.median(), 1),
            optional(point.quantile(0.25), 1),
            optional(point.quantile(0.75), 1),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_header_and_one_line_per_point() {
        let point = ScalingPoint {
            target: "he3".into(),
            information_exponent: 3,
            n: 32,
            learning_rate: 0.25,
            max_steps: 61440,
            initial_overlap: Some(0.1767767),
            escape_steps: vec![Some(100), Some(300), None, Some(200)],
        };
        let mut out = Vec::new();
        write_scaling_csv(&[point], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], SCALING_COLUMNS.join(","));
        assert_eq!(lines[1], "he3,3,32,2.5e-1,61440,0.176777,4,3,250,175,");
        assert_eq!(lines.len(), 2);
    }
}
