//! The Goldilocks command line, one library behind two front doors: `cargo xtask ...` in a
//! checkout (which rebuilds itself with another backend's feature when asked) and the
//! `goldilocks` binary that compute nodes run without a Rust toolchain
//! (`cargo install --path crates/cli`). Commands: `experiment` (whole, or one `--shard`),
//! `merge`, `slurm`, `plan`, `theory tau|ode`, `bench`, `checkpoints`, `verify`, `compare`.
//!
//! It parses flags, picks the burn backend, and calls the library crates.
//!
//! ```
//! use clap::Parser;
//! use goldilocks_cli::cli::Command;
//! use goldilocks_cli::Cli;
//!
//! let cli = Cli::try_parse_from(["goldilocks", "merge", "--config", "c.toml"]).unwrap();
//! assert!(matches!(cli.command, Command::Merge(_)));
//! ```

mod backend;
mod bench;
mod checkpoints;
pub mod cli;
mod compare;
mod experiment;
mod ode;
mod plan;
mod slurm;
mod theory;
mod verify;

use clap::{CommandFactory, FromArgMatches};
use goldilocks_experiment::{interrupt_requested, request_interrupt, ExperimentError};

pub use backend::{BackendKind, FrontDoor};
pub use cli::Cli;

/// Tensors of several MB are allocated and freed at every training step; mimalloc reuses their
/// memory, and runs the large online ensembles 1.6x to 1.8x faster than the system allocator
/// (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Parses the command line (named after `door`: `cargo xtask` or `goldilocks`), runs the
/// command and exits non-zero with one error line when it fails (130 when interrupted).
pub fn main(door: FrontDoor) {
    backend::set_front_door(door);
    let name = match door {
        FrontDoor::Cargo => "cargo xtask",
        FrontDoor::Installed => "goldilocks",
    };
    let matches = Cli::command().name(name).bin_name(name).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    stop_on_signals();
    fail_writes_over_the_file_size_limit();
    end_quietly_when_the_output_closes();
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

/// Rust ignores SIGPIPE, so a print into a pipe whose reader has gone (`goldilocks plan |
/// head`) panics; with the default disposition the process ends quietly there, as other
/// command-line tools do.
fn end_quietly_when_the_output_closes() {
    #[cfg(unix)]
    // SAFETY: as for SIGXFSZ above: a disposition set at start-up, before other threads.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        cli::Command::Experiment(args) => experiment::run(args),
        cli::Command::Theory(args) => theory::run(args),
        cli::Command::Bench(args) => bench::run(args),
        cli::Command::Checkpoints(args) => checkpoints::run(args),
        cli::Command::Verify(args) => verify::run(args),
        cli::Command::Plan(args) => plan::run(args),
        cli::Command::Merge(args) => experiment::merge(args),
        cli::Command::Slurm(args) => slurm::run(args),
        cli::Command::Compare(args) => compare::run(args),
    }
}
