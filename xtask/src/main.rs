//! `cargo xtask ...`: the Goldilocks command line in a checkout (see the goldilocks-cli
//! crate, whose `goldilocks` binary runs the same code).

fn main() {
    goldilocks_cli::main(goldilocks_cli::FrontDoor::Cargo);
}
