//! The xtask binary as a user runs it, as one test binary: bad input ([`command_line`]),
//! disk errors ([`disk_errors`]), memory planning ([`memory`]), `--set` and `--dry-run`
//! ([`overrides`]) and crash safety with resume ([`resume`]).

mod command_line;
#[cfg(unix)]
mod disk_errors;
mod memory;
mod overrides;
mod resume;

use std::process::Command;

/// The xtask binary built for these tests.
fn xtask() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
}
