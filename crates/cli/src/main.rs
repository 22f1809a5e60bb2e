//! `goldilocks ...`: the Goldilocks command line for machines without cargo (compute nodes),
//! the same code as `cargo xtask ...`.

fn main() {
    goldilocks_cli::main(goldilocks_cli::FrontDoor::Installed);
}
