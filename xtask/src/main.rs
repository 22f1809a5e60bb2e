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
mod theory;
mod verify;

use clap::Parser;

/// Tensors of several MB are allocated and freed at every training step; mimalloc reuses their
/// memory, and runs the large online ensembles 1.6x to 1.8x faster than the system allocator
/// (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = cli::Cli::parse();
    if let Err(error) = run(cli) {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<()> {
    match cli.command {
        cli::Command::Experiment(args) => experiment::run(args),
        cli::Command::Theory(args) => theory::run(args),
        cli::Command::Bench(args) => bench::run(args),
        cli::Command::Checkpoints(args) => checkpoints::run(args),
        cli::Command::Verify(args) => verify::run(args),
    }
}
