//! `cargo xtask verify --experiment NAME`: every stored file of a results folder checked
//! against its manifest (size and SHA-256), one line each; exits non-zero when any is
//! damaged, altered or unlisted.

use anyhow::bail;
use goldilocks_experiment::verify::verify_results_folder;

use crate::cli::VerifyArgs;

/// Prints one line per stored file and fails when any has a problem.
pub fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let dir = args.results.join(&args.experiment);
    let checks = verify_results_folder(&dir)?;
    let mut bad = 0;
    for check in &checks {
        match &check.problem {
            None => println!("ok      {}", check.path.display()),
            Some(problem) => {
                bad += 1;
                println!("FAILED  {}: {problem}", check.path.display());
            }
        }
    }
    if bad > 0 {
        bail!(
            "{bad} of {} stored files in {} do not verify; a rerun recomputes them",
            checks.len(),
            dir.display()
        );
    }
    println!("{} stored files verified in {}", checks.len(), dir.display());
    Ok(())
}
