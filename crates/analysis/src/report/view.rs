//! The rows of the report, ordered and indexed, and what several sections share: the
//! comparison of a row with the published numbers, the names of starting conditions and
//! activations, and the formatting of times, ratios and table cells.

use goldilocks_theory::format::trimmed;

use crate::comparison::{compare_with_published, Comparison};
use crate::report::ReportInput;
use crate::summary::{SummaryParams, SummaryRow};

/// The rows, ordered and indexed for the report.
pub(super) struct View<'a> {
    pub(super) input: &'a ReportInput<'a>,
    /// Rows sorted by (activation in order of first appearance, rank, mu), stably.
    pub(super) rows: Vec<&'a SummaryRow>,
    /// Starting conditions in order of first appearance.
    pub(super) starts: Vec<&'a str>,
    /// Whether the rows hold more than one rank (then ranks are shown).
    pub(super) several_ranks: bool,
}

impl<'a> View<'a> {
    pub(super) fn new(input: &'a ReportInput<'a>) -> Self {
        let mut activations: Vec<&str> = Vec::new();
        let mut starts: Vec<&str> = Vec::new();
        for row in input.rows {
            if !activations.contains(&row.activation.as_str()) {
                activations.push(&row.activation);
            }
            if !starts.contains(&row.start.as_str()) {
                starts.push(&row.start);
            }
        }
        let mut rows: Vec<&SummaryRow> = input.rows.iter().collect();
        let activation_index =
            |r: &SummaryRow| activations.iter().position(|a| *a == r.activation).unwrap_or(0);
        rows.sort_by(|a, b| {
            activation_index(a)
                .cmp(&activation_index(b))
                .then(a.rank.cmp(&b.rank))
                .then(a.mu.total_cmp(&b.mu))
        });
        let several_ranks = input.rows.iter().any(|r| r.rank != input.rows[0].rank);
        Self { input, rows, starts, several_ranks }
    }

    pub(super) fn params(&self) -> &SummaryParams {
        self.input.params
    }

    pub(super) fn comparison(&self, row: &SummaryRow) -> Comparison {
        compare_with_published(
            row.paper_time,
            self.input.published.escape_time(&row.activation, row.mu),
        )
    }

    /// How V starts under `start`, from the rows' initial overlaps.
    pub(super) fn start_condition(&self, start: &str) -> String {
        let overlaps: Vec<Option<f64>> =
            self.rows.iter().filter(|r| r.start == start).map(|r| r.initial_overlap).collect();
        match overlaps.first() {
            Some(first) if overlaps.iter().all(|o| o == first) => match first {
                Some(m0) => {
                    format!("V starts at overlap m0 = {} with the teacher", trimmed(*m0, 4))
                }
                None => "V starts as a random unit vector".to_string(),
            },
            _ => "starting overlaps differ between rows".to_string(),
        }
    }

    /// Short form of the start condition for column headers.
    pub(super) fn start_short(&self, start: &str) -> String {
        let overlaps: Vec<Option<f64>> =
            self.rows.iter().filter(|r| r.start == start).map(|r| r.initial_overlap).collect();
        match overlaps.first() {
            Some(Some(m0)) if overlaps.iter().all(|o| *o == Some(*m0)) => {
                format!("{start} (m0 = {})", trimmed(*m0, 4))
            }
            Some(None) if overlaps.iter().all(|o| o.is_none()) => format!("{start} (random V)"),
            _ => start.to_string(),
        }
    }

    pub(super) fn activation_label(&self, row: &SummaryRow) -> String {
        let name = cell(&row.activation);
        if self.several_ranks {
            format!("{name}, r = {}", row.rank)
        } else {
            name
        }
    }

    /// One sentence on how the rows of `start` compare with the published numbers.
    pub(super) fn verdict(&self, start: &str) -> String {
        let compared: Vec<(&SummaryRow, Comparison)> = self
            .rows
            .iter()
            .filter(|r| r.start == start)
            .map(|r| (*r, self.comparison(r)))
            .filter(|(_, c)| *c != Comparison::Unavailable)
            .collect();
        if compared.is_empty() {
            return "no row has both a measured and a published time to compare.".to_string();
        }
        let misses: Vec<String> = compared
            .iter()
            .filter(|(_, c)| c.is_miss())
            .map(|(r, c)| {
                format!(
                    "{} at mu = {} (measured {}, published {}, ratio {})",
                    self.activation_label(r),
                    trimmed(r.mu, 4),
                    time(r.paper_time),
                    time(self.input.published.escape_time(&r.activation, r.mu)),
                    ratio(c.ratio())
                )
            })
            .collect();
        let within = compared.len() - misses.len();
        let verdict = if misses.is_empty() {
            format!(
                "all {} comparable times within tolerance of the published numbers.",
                compared.len()
            )
        } else {
            format!(
                "{within} of {} comparable times within tolerance of the published numbers; **{} miss{}**: {}.",
                compared.len(),
                misses.len(),
                if misses.len() == 1 { "" } else { "es" },
                misses.join("; ")
            )
        };
        if self.has_published_start(start) {
            verdict
        } else {
            format!(
                "{verdict} These runs do not start at the published runs' overlap ({}), so they are not expected \
                 to match; see how the starting overlap moves the times below.",
                trimmed(self.input.published.start_overlap(), 4)
            )
        }
    }

    /// Whether every row of `start` starts V at the published runs' mean overlap.
    pub(super) fn has_published_start(&self, start: &str) -> bool {
        let m0 = self.input.published.start_overlap();
        self.rows
            .iter()
            .filter(|r| r.start == start)
            .all(|r| r.initial_overlap.is_some_and(|o| (o - m0).abs() <= 1e-9))
    }
}

/// A time in steps, one decimal at most; "-" when absent.
pub(super) fn time(t: Option<f64>) -> String {
    t.map(|t| trimmed(t, 1)).unwrap_or_else(|| "-".to_string())
}

/// A ratio with two decimals; "-" when absent.
pub(super) fn ratio(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.2}")).unwrap_or_else(|| "-".to_string())
}

/// Text made safe for a markdown table cell.
pub(super) fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
