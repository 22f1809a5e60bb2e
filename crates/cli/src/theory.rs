//! `cargo xtask theory tau`: print tau(mu) for an activation pair; `theory ode` lives in
//! `ode.rs`.

use anyhow::bail;
use goldilocks_experiment::escape::{coefficients_of, tau_of};
use goldilocks_model::{Activation, ActivationPair};
use goldilocks_theory::{exit_time, TauOptions, TauVariant};

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
    let options = TauOptions { variant: args.variant, k_max: args.k_max, nodes: args.nodes };
    let pair = ActivationPair { teacher, student };
    let truncation = match args.variant {
        TauVariant::Published => format!("k_max {}, ", args.k_max),
        TauVariant::Corrected => String::new(),
    };
    println!(
        "# tau(mu), {} variant: teacher {teacher}, student {student}, {truncation}{} nodes",
        args.variant, args.nodes
    );
    println!(
        "{:>8}  {:>14}  {:>16}  {:>13}  {:>13}  {:>10}",
        "mu",
        "tau",
        format!("tau ln({})", args.ratio),
        "A",
        "B",
        "kappa"
    );
    for &mu in &args.mu {
        let c = coefficients_of(pair, mu, &options)?;
        let value = tau_of(pair, mu, &options)?;
        println!(
            "{mu:>8.4}  {value:>14.6}  {:>16.4}  {:>13.6e}  {:>13.6e}  {:>10.4e}",
            exit_time(value, args.ratio, 1.0),
            c.a,
            c.b,
            c.kappa()
        );
    }
    Ok(())
}
