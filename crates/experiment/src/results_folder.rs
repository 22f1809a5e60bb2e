//! Files of a results folder, each written atomically: the resolved config, the outputs and
//! the plots (SVG with a PNG copy).

use std::path::Path;

use crate::{ExperimentError, ExperimentKind};

/// Writes a results file atomically (its folder is created when missing).
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), ExperimentError> {
    goldilocks_store::write_atomic(path, bytes).map_err(|error| ExperimentError::Write {
        path: path.to_path_buf(),
        message: error.to_string(),
    })
}

/// Writes a plot as `path` (SVG) and its PNG copy beside it (the same name ending in
/// `.png`), each atomically; the copy is rendered first, so a plot that cannot be rendered
/// leaves neither file.
pub(crate) fn write_plot(path: &Path, svg: &str) -> Result<(), ExperimentError> {
    let png = goldilocks_analysis::plot::png_copy(svg)?;
    write(path, svg.as_bytes())?;
    write(&path.with_extension("png"), &png)
}

/// Writes the resolved config as `dir/config.toml`.
pub(crate) fn write_config<K: ExperimentKind>(
    dir: &Path,
    config: &K,
) -> Result<(), ExperimentError> {
    write(&dir.join("config.toml"), config.to_toml().as_bytes())
}

/// Removes the temporary files that an interrupted atomic write left in `dir` and in the
/// given sub-folders of it (those that exist).
pub(crate) fn remove_stale_temp_files(dir: &Path, folders: &[&str]) -> Result<(), ExperimentError> {
    let all = std::iter::once(dir.to_path_buf()).chain(folders.iter().map(|f| dir.join(f)));
    for folder in all.filter(|folder| folder.is_dir()) {
        goldilocks_store::remove_stale_temp_files(&folder).map_err(|error| {
            ExperimentError::Write { path: folder.clone(), message: error.to_string() }
        })?;
    }
    Ok(())
}
