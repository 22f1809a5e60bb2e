//! `cargo xtask checkpoints`: list the checkpoint stores of an experiment and their
//! checkpoints (step, source, metrics, size, checksum), verifying every file.

use std::path::Path;

use anyhow::{bail, Context};
use goldilocks_store::{CheckpointStore, Manifest, MANIFEST_FILE};

use crate::cli::CheckpointsArgs;

/// Prints the listing of every store under `<results>/<experiment>/checkpoints/`.
pub fn run(args: CheckpointsArgs) -> anyhow::Result<()> {
    let root = args.results.join(&args.experiment).join("checkpoints");
    if !root.is_dir() {
        bail!(
            "no checkpoints for experiment {:?}: {} does not exist",
            args.experiment,
            root.display()
        );
    }
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .with_context(|| format!("cannot list {}", root.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join(MANIFEST_FILE).is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        bail!("{} holds no checkpoint store", root.display());
    }
    let mut damaged = 0;
    for dir in dirs {
        let store = open(&dir)?;
        print!("{}", store.listing(true));
        damaged += store.verify_all().len();
        println!();
    }
    if damaged > 0 {
        bail!("{damaged} damaged checkpoint(s); rerun the experiment to recompute them");
    }
    Ok(())
}

fn open(dir: &Path) -> anyhow::Result<CheckpointStore> {
    let manifest = Manifest::read(&dir.join(MANIFEST_FILE))?
        .with_context(|| format!("{} has no manifest", dir.display()))?;
    Ok(CheckpointStore::open(dir, &manifest.config_hash)?)
}
