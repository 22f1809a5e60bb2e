//! The fine-tuning verdict in words: per (source, method) the Goldilocks checkpoint, how sure
//! it is, and whether more pre-training slows fine-tuning, as a markdown section shared by
//! every kind that fine-tunes from checkpoints.

use std::fmt::Write;

use goldilocks_theory::format::trimmed;

use crate::finetune::Goldilocks;

/// One sentence on whether more pre-training slows fine-tuning at some point.
pub fn slowdown_sentence(g: &Goldilocks) -> String {
    match g.slowdown {
        None => "No: fine-tuning never gets slower with more pre-training (on average over seeds).".to_string(),
        Some(rise) if rise.is_significant() => format!(
            "Yes: from step {} to step {} of pre-training, fine-tuning slows from {} to {} steps (+{}, paired 95% interval [{}, {}]).",
            rise.from.0,
            rise.to.0,
            trimmed(rise.from.1, 1),
            trimmed(rise.to.1, 1),
            trimmed(rise.difference.mean, 1),
            trimmed(rise.difference.low(), 1),
            trimmed(rise.difference.high(), 1)
        ),
        Some(rise) => format!(
            "Not established: the largest rise, from step {} to step {} (+{} steps), has a paired 95% interval [{}, {}] that includes 0.",
            rise.from.0,
            rise.to.0,
            trimmed(rise.difference.mean, 1),
            trimmed(rise.difference.low(), 1),
            trimmed(rise.difference.high(), 1)
        ),
    }
}

/// The verdict, under a heading of the caller's: a table with one line per (source, method),
/// then one sentence per method on whether more pre-training slows it.
pub fn verdict_section(goldilocks: &[Goldilocks]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| source | method | Goldilocks checkpoint | steps (95% interval) | fastest in resamples | 90% interval of the fastest checkpoint | does more pre-training slow it? | cheapest pre-training + fine-tuning |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for g in goldilocks {
        if !g.has_fastest() {
            let _ = writeln!(
                out,
                "| {} | {} | none: no run reaches the target | - | - | - | - | - |",
                g.source, g.method
            );
            continue;
        }
        let slower = match g.slowdown {
            None => "no".to_string(),
            Some(rise) => format!(
                "{}: steps {} -> {}, +{} [{}, {}]",
                if rise.is_significant() { "yes" } else { "not significant" },
                rise.from.0,
                rise.to.0,
                trimmed(rise.difference.mean, 1),
                trimmed(rise.difference.low(), 1),
                trimmed(rise.difference.high(), 1)
            ),
        };
        let _ = writeln!(
            out,
            "| {} | {} | step {} | {} [{}, {}] | {}% | steps {} to {} | {} | step {} ({} steps in all) |",
            g.source,
            g.method,
            g.step,
            trimmed(g.steps.mean, 1),
            trimmed(g.steps.low(), 1),
            trimmed(g.steps.high(), 1),
            trimmed(100.0 * g.share, 0),
            g.step_interval.0,
            g.step_interval.1,
            slower,
            g.cheapest_total.0,
            trimmed(g.cheapest_total.1, 1)
        );
    }
    let _ = writeln!(out);
    let sources = sources_of(goldilocks);
    for source in &sources {
        let _ = writeln!(out, "Source `{source}`:\n");
        for g in goldilocks.iter().filter(|g| g.source == *source) {
            if !g.has_fastest() {
                let _ = writeln!(
                    out,
                    "- {}: no run from any checkpoint reaches the target within the budget of {} steps, so no checkpoint is the fastest.",
                    g.method,
                    trimmed(g.last.1, 0)
                );
                continue;
            }
            let _ = writeln!(
                out,
                "- {}: fastest from the checkpoint at step {}. Does more pre-training slow it? {}",
                g.method,
                g.step,
                slowdown_sentence(g)
            );
        }
        let _ = writeln!(out);
    }
    out
}

/// The sources of `goldilocks`, in order of first appearance.
pub(crate) fn sources_of(goldilocks: &[Goldilocks]) -> Vec<&str> {
    let mut sources: Vec<&str> = Vec::new();
    for g in goldilocks {
        if !sources.contains(&g.source.as_str()) {
            sources.push(&g.source);
        }
    }
    sources
}
