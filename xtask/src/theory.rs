//! `cargo xtask theory tau`: print tau(mu) for an activation pair; `theory ode` lives in
//! `ode.rs`.

use anyhow::bail;
use goldilocks_experiment::escape::tau_of;
use goldilocks_model::{Activation, ActivationPair};
use goldilocks_theory::{exit_time, TauOptions};

use crate::cli::{TauArgs, TheoryArgs, TheoryCommand};

/// Runs a theory subcommand.
pub fn run(args: TheoryArgs) -> anyhow::Result<()> {
    match args.command {
        TheoryCommand::Tau(args) => print_tau(args),
        TheoryCommand::Ode(args) => crate::ode::run(args),
    }
}

fn print_tau(args: TauArgs) -> anyhow::Result<()> {
    let student: Activation = args.activation.parse()?;
    let teacher: Activation = match &args.teacher {
        Some(name) => name.parse()?,
        None => student,
    };
    if !student.is_differentiable() {
        bail!("--activation {student} has no derivative: use it as --teacher only");
    }
    if let Some(mu) = args.mu.iter().find(|mu| !(**mu > 0.0 && **mu < 1.0)) {
        bail!("--mu values must be in (0, 1), got {mu}");
    }
    let options = TauOptions { k_max: args.k_max, nodes: args.nodes };
    let pair = ActivationPair { teacher, student };
    println!(
        "# tau(mu): teacher {teacher}, student {student}, k_max {}, {} nodes",
        args.k_max, args.nodes
    );
    println!("{:>8}  {:>14}  {:>16}", "mu", "tau", format!("tau ln({})", args.ratio));
    for &mu in &args.mu {
        let value = tau_of(pair, mu, &options)?;
        println!("{mu:>8.4}  {value:>14.6}  {:>16.4}", exit_time(value, args.ratio, 1.0));
    }
    Ok(())
}
