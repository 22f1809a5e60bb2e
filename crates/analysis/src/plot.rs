//! SVG plots of an experiment, rendered into strings with plotters' SVG backend.
//!
//! - [`escape_plot`]: escape time versus pre-training strength (log axis), with the spread
//!   over seeds and the published numbers;
//! - [`overlap_plot`]: seed-averaged m_V curves over steps;
//! - [`theory_plot`]: measured escape times beside the fitted theory curve;
//! - [`headline_plot`](mod@headline_plot): fine-tuning time versus pre-training steps;
//! - [`series_plot`](mod@series_plot): generic named lines with error bars;
//! - [`ode_plot`]: measured m_V curves beside the ODE and the large-N step map;
//! - [`scaling_plot`](mod@scaling_plot): escape step versus N (log-log) with the growth fits;
//! - [`png_copy`](mod@png_copy): a PNG copy of any of them.

pub mod escape_plot;
pub mod headline_plot;
pub mod ode_plot;
pub mod overlap_plot;
pub mod png_copy;
pub mod scaling_plot;
pub mod series_plot;
pub mod theory_plot;

pub use escape_plot::escape_time_plot;
pub use headline_plot::headline_plot;
pub use ode_plot::ode_comparison_plot;
pub use overlap_plot::{overlap_curves_plot, overlap_curves_with_ode_plot};
pub use png_copy::png_copy;
pub use scaling_plot::scaling_plot;
pub use series_plot::{series_plot, Series, SeriesAxes, SeriesPoint};
pub use theory_plot::theory_fit_plot;

use plotters::chart::{ChartBuilder, ChartContext, SeriesLabelPosition};
use plotters::coord::CoordTranslate;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::{DrawingBackend, BLACK, WHITE};
use plotters::style::{Color, RGBColor};

use crate::error::AnalysisError;

/// Size of every plot, in pixels.
pub(crate) const PLOT_SIZE: (u32, u32) = (900, 600);

/// Distinct line colors (the "tab10" palette), used in order and cycled.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The `i`-th palette color, cycling.
pub(crate) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Turns a drawing error into an [`AnalysisError::Plot`] for `plot`.
pub(crate) fn plot_error<E: std::fmt::Display>(plot: &'static str) -> impl Fn(E) -> AnalysisError {
    move |e| AnalysisError::Plot { plot, reason: e.to_string() }
}

/// Draws the legend of `chart` in its upper-left corner, in the style shared by every plot.
pub(crate) fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    font_size: u32,
    plot: &'static str,
) -> Result<(), AnalysisError>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", font_size))
        .draw()
        .map_err(plot_error(plot))
}

/// A chart builder on `root` with the title, margin and axis-label areas every plot uses.
pub(crate) fn chart_builder<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_label_area: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(y_label_area);
    builder
}
