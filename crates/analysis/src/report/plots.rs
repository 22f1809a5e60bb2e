//! "Plots": every plot embedded with its caption.

use std::fmt::Write as _;

use crate::report::view::View;

impl View<'_> {
    /// "Plots" (nothing without plots).
    pub(super) fn write_plots(&self, out: &mut String) {
        if self.input.plots.is_empty() {
            return;
        }
        let _ = writeln!(out, "## Plots\n");
        for (caption, path) in self.input.plots {
            let _ = writeln!(out, "![{}]({})\n\n*{}*\n", caption.replace(']', ")"), path, caption);
        }
    }
}
