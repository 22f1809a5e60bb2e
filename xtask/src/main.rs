//! The Goldilocks command line: `cargo xtask experiment`, `cargo xtask theory tau|ode`,
//! `cargo xtask bench`, `cargo xtask checkpoints`.
//!
//! A thin binary: it parses flags, picks the burn backend, and calls the library crates.

mod backend;
mod bench;
mod checkpoints;
mod cli;
mod experiment;
mod ode;
mod plan;
mod theory;
mod verify;

use clap::Parser;
use goldilocks_experiment::{interrupt_requested, request_interrupt, ExperimentError};

/// Tensors of several MB are allocated and freed at every training step; mimalloc reuses their
/// memory, and runs the large online ensembles 1.6x to 1.8x faster than the system allocator
/// (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = cli::Cli::parse();
    stop_on_signals();
    fail_writes_over_the_file_size_limit();
    if let Err(error) = run(cli) {
        eprintln!("error: {error:#}");
        let interrupted =
            matches!(error.downcast_ref::<ExperimentError>(), Some(ExperimentError::Interrupted));
        std::process::exit(if interrupted { 130 } else { 1 });
    }
}

/// SIGINT, SIGTERM (and SIGHUP): the first asks the running experiment to stop at its next
/// check, keeping every finished unit; a second one ends the process at once (files are
/// written atomically, so even that leaves no partial file).
fn stop_on_signals() {
    let handler = ctrlc::set_handler(|| {
        if interrupt_requested() {
            eprintln!("\nsecond interrupt: stopping now");
            std::process::exit(130);
        }
        eprintln!("\ninterrupt: stopping after the current step; interrupt again to stop now");
        request_interrupt();
    });
    if let Err(error) = handler {
        eprintln!("warning: no interrupt handler ({error}); an interrupt stops at once");
    }
}

/// A write past the file-size limit (`ulimit -f`) raises SIGXFSZ, which by default kills the
/// process without a word; ignored, the write fails with EFBIG and the run ends with one
/// error naming the file, its temporary file removed.
fn fail_writes_over_the_file_size_limit() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN at start-up, before any thread that
    // could rely on it starts, has no memory-safety conditions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<()> {
    match cli.command {
        cli::Command::Experiment(args) => experiment::run(args),
        cli::Command::Theory(args) => theory::run(args),
        cli::Command::Bench(args) => bench::run(args),
        cli::Command::Checkpoints(args) => checkpoints::run(args),
        cli::Command::Verify(args) => verify::run(args),
        cli::Command::Plan(args) => plan::run(args),
    }
}
