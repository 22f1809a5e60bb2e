//! summary.csv: writing and reading [`SummaryRow`]s.
//!
//! Columns, in this order: activation, start, mu, rank, initial_overlap, seeds, paper_time,
//! paper_time_lo, paper_time_hi, median_escape, escape_lo, escape_hi, censored, diverged,
//! max_steps.
//! An undefined value is an empty field. The inputs mu and initial_overlap are written
//! exactly (shortest form that reads back to the same number); computed times with at most
//! 4 decimals, trailing zeros trimmed, so the file is deterministic.

use std::io::{Read, Write};
use std::str::FromStr;

use csv::StringRecord;
use goldilocks_theory::format::trimmed;

use crate::error::AnalysisError;
use crate::summary::SummaryRow;

/// Column names of summary.csv, in order.
pub const SUMMARY_COLUMNS: [&str; 15] = [
    "activation",
    "start",
    "mu",
    "rank",
    "initial_overlap",
    "seeds",
    "paper_time",
    "paper_time_lo",
    "paper_time_hi",
    "median_escape",
    "escape_lo",
    "escape_hi",
    "censored",
    "diverged",
    "max_steps",
];

/// Decimals kept for computed times in summary.csv.
const TIME_DECIMALS: usize = 4;

/// Writes summary.csv (header, then one line per row) to `out`.
pub fn write_summary_csv<W: Write>(rows: &[SummaryRow], out: W) -> Result<(), AnalysisError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(SUMMARY_COLUMNS)?;
    let time = |x: Option<f64>| x.map(|v| trimmed(v, TIME_DECIMALS)).unwrap_or_default();
    let count = |x: Option<usize>| x.map(|v| v.to_string()).unwrap_or_default();
    for row in rows {
        writer.write_record([
            row.activation.clone(),
            row.start.clone(),
            row.mu.to_string(),
            row.rank.to_string(),
            row.initial_overlap.map(|v| v.to_string()).unwrap_or_default(),
            row.seeds.to_string(),
            time(row.paper_time),
            time(row.paper_time_lo),
            time(row.paper_time_hi),
            time(row.median_escape),
            count(row.escape_lo),
            count(row.escape_hi),
            row.censored.to_string(),
            row.diverged.to_string(),
            row.max_steps.to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// Reads a summary.csv written by [`write_summary_csv`]; the header must match
/// [`SUMMARY_COLUMNS`] exactly.
pub fn read_summary_csv<R: Read>(input: R) -> Result<Vec<SummaryRow>, AnalysisError> {
    let mut reader = csv::Reader::from_reader(input);
    let header = reader.headers()?.clone();
    if header.iter().ne(SUMMARY_COLUMNS) {
        return Err(AnalysisError::CsvHeader {
            found: header.iter().map(String::from).collect(),
            expected: SUMMARY_COLUMNS.iter().map(|s| s.to_string()).collect(),
        });
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let fields = Fields { record: record?, row: i + 1 };
        rows.push(SummaryRow {
            activation: fields.text(0),
            start: fields.text(1),
            mu: fields.required(2)?,
            rank: fields.required(3)?,
            initial_overlap: fields.optional(4)?,
            seeds: fields.required(5)?,
            paper_time: fields.optional(6)?,
            paper_time_lo: fields.optional(7)?,
            paper_time_hi: fields.optional(8)?,
            median_escape: fields.optional(9)?,
            escape_lo: fields.optional(10)?,
            escape_hi: fields.optional(11)?,
            censored: fields.required(12)?,
            diverged: fields.required(13)?,
            max_steps: fields.required(14)?,
        });
    }
    Ok(rows)
}

/// One data record with its row number, for error messages.
struct Fields {
    record: StringRecord,
    row: usize,
}

impl Fields {
    fn raw(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or("")
    }

    fn text(&self, column: usize) -> String {
        self.raw(column).to_string()
    }

    fn optional<T: FromStr>(&self, column: usize) -> Result<Option<T>, AnalysisError>
    where
        T::Err: std::fmt::Display,
    {
        let value = self.raw(column).trim();
        if value.is_empty() {
            return Ok(None);
        }
        value.parse().map(Some).map_err(|e: T::Err| AnalysisError::CsvField {
            row: self.row,
            column: SUMMARY_COLUMNS[column],
            value: value.to_string(),
            reason: e.to_string(),
        })
    }

    fn required<T: FromStr>(&self, column: usize) -> Result<T, AnalysisError>
    where
        T::Err: std::fmt::Display,
    {
        self.optional(column)?.ok_or_else(|| AnalysisError::CsvField {
            row: self.row,
            column: SUMMARY_COLUMNS[column],
            value: String::new(),
            reason: "this column cannot be empty".to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<SummaryRow> {
        vec![
            SummaryRow {
                activation: "linear".into(),
                start: "published-start".into(),
                mu: 0.1,
                rank: 1,
                initial_overlap: Some(0.038),
                seeds: 3,
                paper_time: Some(9.5),
                paper_time_lo: Some(9.5),
                paper_time_hi: Some(9.5),
                median_escape: Some(31.0),
                escape_lo: Some(29),
                escape_hi: Some(35),
                censored: 0,
                diverged: 0,
                max_steps: 400,
            },
            SummaryRow {
                activation: "sign->tanh".into(),
                start: "random-start".into(),
                mu: 0.7,
                rank: 2,
                initial_overlap: None,
                seeds: 12,
                paper_time: None,
                paper_time_lo: None,
                paper_time_hi: None,
                median_escape: None,
                escape_lo: None,
                escape_hi: None,
                censored: 12,
                diverged: 0,
                max_steps: 1000,
            },
            SummaryRow {
                activation: "relu, odd \"name\"".into(),
                start: "random-start".into(),
                mu: 0.123456789,
                rank: 1,
                initial_overlap: None,
                seeds: 12,
                paper_time: Some(120.25),
                paper_time_lo: Some(101.0625),
                paper_time_hi: Some(150.75),
                median_escape: Some(130.5),
                escape_lo: Some(90),
                escape_hi: None,
                censored: 1,
                diverged: 0,
                max_steps: 1000,
            },
        ]
    }

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        write_summary_csv(&rows(), &mut buf).unwrap();
        let back = read_summary_csv(buf.as_slice()).unwrap();
        assert_eq!(back, rows());
    }

    #[test]
    fn layout_is_fixed() {
        let mut buf = Vec::new();
        write_summary_csv(&rows()[..2], &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let expected = "activation,start,mu,rank,initial_overlap,seeds,paper_time,paper_time_lo,paper_time_hi,median_escape,escape_lo,escape_hi,censored,diverged,max_steps\n\
            linear,published-start,0.1,1,0.038,3,9.5,9.5,9.5,31,29,35,0,0,400\n\
            sign->tanh,random-start,0.7,2,,12,,,,,,,12,0,1000\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn computed_times_keep_four_decimals() {
        let mut row = rows()[0].clone();
        row.paper_time = Some(1.0 / 3.0);
        let mut buf = Vec::new();
        write_summary_csv(&[row], &mut buf).unwrap();
        let back = read_summary_csv(buf.as_slice()).unwrap();
        assert_eq!(back[0].paper_time, Some(0.3333));
    }

    #[test]
    fn bad_files_are_errors() {
        let err = read_summary_csv("a,b\n1,2\n".as_bytes()).unwrap_err();
        assert!(matches!(err, AnalysisError::CsvHeader { .. }), "{err}");

        let mut buf = Vec::new();
        write_summary_csv(&rows()[..1], &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap().replace(",400\n", ",lots\n");
        let err = read_summary_csv(text.as_bytes()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("row 1") && msg.contains("max_steps") && msg.contains("lots"),
            "{msg}"
        );

        let text = String::from_utf8({
            let mut b = Vec::new();
            write_summary_csv(&rows()[..1], &mut b).unwrap();
            b
        })
        .unwrap()
        .replace(",0.1,1,", ",,1,");
        let err = read_summary_csv(text.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("`mu`"), "{err}");
    }
}
