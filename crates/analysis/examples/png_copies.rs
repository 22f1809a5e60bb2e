//! Writes the PNG copy of every SVG plot under the given folders (recursively), as the
//! reports do for the plots they write: for results folders written before reports made
//! PNG copies.
//!
//! `cargo run -p goldilocks-analysis --example png_copies -- docs/results`

use std::path::{Path, PathBuf};

use goldilocks_analysis::plot::png_copy;

fn svg_files(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            svg_files(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "svg") {
            found.push(path);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folders: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if folders.is_empty() {
        return Err("usage: png_copies <folder>...".into());
    }
    let mut plots = Vec::new();
    for folder in &folders {
        svg_files(folder, &mut plots).map_err(|e| format!("{}: {e}", folder.display()))?;
    }
    plots.sort();
    for svg in &plots {
        let png = png_copy(&std::fs::read_to_string(svg)?)
            .map_err(|e| format!("{}: {e}", svg.display()))?;
        let target = svg.with_extension("png");
        goldilocks_store::write_atomic(&target, &png)?;
        println!("{}", target.display());
    }
    println!("{} PNG copies", plots.len());
    Ok(())
}
