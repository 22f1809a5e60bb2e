//! `compare`: whether two results folders of one config hold the same runs' numbers, within
//! seed noise (see `goldilocks_analysis::RecordAgreement`).

use anyhow::bail;
use goldilocks_analysis::RecordAgreement;

use crate::cli::CompareArgs;
use crate::ode::stored_records;

/// Prints the agreement of the two folders' runs; an error when a variant's mean escape
/// steps differ by `max_z` standard errors or more.
pub fn run(args: CompareArgs) -> anyhow::Result<()> {
    let first = stored_records(&args.first)?;
    let second = stored_records(&args.second)?;
    let agreement = RecordAgreement::compare(&first, &second)?;
    println!(
        "{} runs: {} with the same escape step, largest m_V difference {:.2e}",
        agreement.runs, agreement.same_escape, agreement.largest_m_v_gap
    );
    for variant in &agreement.variants {
        println!(
            "{:<48} {} seeds: mean escape {:.1} against {:.1} (z = {:.2})",
            variant.variant, variant.seeds, variant.mean_first, variant.mean_second, variant.z
        );
    }
    if !agreement.within_seed_noise(args.max_z) {
        let worst = agreement.worst().expect("a disagreement names a variant");
        bail!(
            "{} and {} disagree beyond seed noise: {} differs by {:.2} standard errors (limit {})",
            args.first.display(),
            args.second.display(),
            worst.variant,
            worst.z,
            args.max_z
        );
    }
    println!("within seed noise (every |z| below {})", args.max_z);
    Ok(())
}
