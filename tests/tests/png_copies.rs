//! The committed results' plots: every SVG has its PNG copy beside it, rendered from it.

use goldilocks_analysis::plot::png_copy;

use crate::{files_under, workspace_path};

#[test]
fn every_committed_plot_has_its_png_copy() {
    let plots = files_under(&workspace_path("docs/results"), "svg");
    assert!(plots.len() > 50, "only {} plots under docs/results", plots.len());
    let stale: Vec<String> = plots
        .iter()
        .filter(|svg| {
            let expected = png_copy(&std::fs::read_to_string(svg).unwrap()).unwrap();
            std::fs::read(svg.with_extension("png")).ok() != Some(expected)
        })
        .map(|svg| svg.display().to_string())
        .collect();
    assert!(
        stale.is_empty(),
        "missing or stale PNG copies (cargo run -p goldilocks-analysis --example png_copies -- \
         docs/results): {stale:?}"
    );
}
