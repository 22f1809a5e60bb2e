//! finetune.csv: the fine-tuning table, one line per (source, method, checkpoint).
//!
//! Columns, in this order: source, method, checkpoint_step, overlap, norm, initial_loss,
//! seeds, censored, diverged, mean_steps, steps_lo, steps_hi, max_steps. Computed numbers are written
//! with at most 4 (times) or 6 (checkpoint metrics) decimals, so the file is deterministic.

use std::io::Write;

use goldilocks_theory::format::trimmed;

use crate::error::AnalysisError;
use crate::finetune::FinetuneRow;

/// Column names of finetune.csv, in order.
pub const FINETUNE_COLUMNS: [&str; 13] = [
    "source",
    "method",
    "checkpoint_step",
    "overlap",
    "norm",
    "initial_loss",
    "seeds",
    "censored",
    "diverged",
    "mean_steps",
    "steps_lo",
    "steps_hi",
    "max_steps",
];

/// Writes finetune.csv (header, then one line per row) to `out`.
pub fn write_finetune_csv<W: Write>(rows: &[FinetuneRow], out: W) -> Result<(), AnalysisError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(FINETUNE_COLUMNS)?;
    for row in rows {
        writer.write_record([
            row.source.clone(),
            row.method.clone(),
            row.checkpoint_step.to_string(),
            trimmed(row.overlap, 6),
            trimmed(row.norm, 6),
            trimmed(row.initial_loss, 6),
            row.seeds.to_string(),
            row.censored.to_string(),
            row.diverged.to_string(),
            trimmed(row.steps.mean, 4),
            trimmed(row.steps.low(), 4),
            trimmed(row.steps.high(), 4),
            row.max_steps.to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finetune::MeanInterval;

    #[test]
    fn writes_the_header_and_one_line_per_row() {
        let row = FinetuneRow {
            source: "squared".into(),
            method: "lora-r4".into(),
            checkpoint_step: 16,
            overlap: 0.123456789,
            norm: 1.5,
            initial_loss: 0.25,
            seeds: 4,
            censored: 1,
            diverged: 2,
            steps: MeanInterval { mean: 120.125, half_width: 20.125, n: 4 },
            seconds: None,
            max_steps: 2000,
        };
        let mut out = Vec::new();
        write_finetune_csv(&[row], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], FINETUNE_COLUMNS.join(","));
        assert_eq!(lines[1], "squared,lora-r4,16,0.123457,1.5,0.25,4,1,2,120.125,100,140.25,2000");
    }
}
