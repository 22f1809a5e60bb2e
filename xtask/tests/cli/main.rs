//! The xtask binary as a user runs it, as one test binary: bad input ([`command_line`]),
//! memory planning ([`memory`]) and crash safety with resume ([`resume`]).

mod command_line;
mod memory;
mod resume;

use std::process::Command;

/// The xtask binary built for these tests.
fn xtask() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
}
