//! `cargo xtask bench`: throughput of the ensemble runner on fixed workloads, per compiled
//! backend, beside the reference scripts of bench/peers/ when Python is available.
//!
//! Workloads:
//! - `paper`: the paper's setting, N = 1000, B = 500, linear, 27 runs (9 strengths x 3 seeds;
//!   the runs of one seed share its batch), with full and with projected inputs;
//! - `online-E`: batch-1 online SGD, N = 1024, rank 4, sign teacher and tanh student, E runs
//!   each with its own sample stream.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use burn::tensor::backend::Backend;
use goldilocks_experiment::escape::{plan_ensembles, run_ensemble, EscapeConfig};
use goldilocks_experiment::ExperimentKind;
use serde::Serialize;

use crate::backend::{dispatch, BackendKind, BackendTask};
use crate::cli::BenchArgs;

/// One measured workload on one backend.
#[derive(Debug, Serialize)]
struct Measurement {
    workload: String,
    backend: String,
    runs: usize,
    steps: usize,
    seconds: f64,
    steps_per_second: f64,
    sample_steps_per_second: f64,
}

const PAPER: &str = r#"
name = "bench-paper"
[model]
input_dim = 1000
batch = 500
test_size = 1
[training]
learning_rate = 0.2
max_steps = STEPS
stop_when_finished = false
[sweep]
activations = ["linear"]
mu = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
[[starts]]
name = "random-start"
seeds = 3
[record]
grid = { kind = "list", steps = [0] }
"#;

const ONLINE: &str = r#"
name = "bench-online"
[model]
input_dim = 1024
batch = 1
test_size = 1
source = { kind = "mixed" }
[lora]
init = "gaussian"
alpha = 4.0
[training]
learning_rate = 0.0001953125
max_steps = STEPS
stop_when_finished = false
[sweep]
activations = [{ teacher = "sign", student = "tanh" }]
mu = [0.0]
ranks = [4]
[[starts]]
name = "random-start"
seeds = RUNS
[record]
grid = { kind = "list", steps = [0] }
"#;

/// Runs the benchmarks and writes the table as JSON.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let backends: Vec<BackendKind> = match args.backend {
        Some(kind) => vec![kind],
        None => [BackendKind::Flex, BackendKind::Ndarray]
            .into_iter()
            .filter(|k| k.is_compiled())
            .collect(),
    };
    let mut results = Vec::new();
    for &backend in &backends {
        let paper = PAPER.replace("STEPS", &args.paper_steps.to_string());
        results.push(measure(backend, "paper (N=1000, B=500, 27 runs)", &paper)?);
        let projected = paper.replace("[training]", "[training]\ninputs = \"projected\"");
        results.push(measure(backend, "paper, projected inputs", &projected)?);
        for runs in [1usize, 64, 1024] {
            let online = ONLINE
                .replace("STEPS", &args.online_steps.to_string())
                .replace("RUNS", &runs.to_string());
            results.push(measure(
                backend,
                &format!("online (N=1024, r=4, B=1, {runs} runs)"),
                &online,
            )?);
        }
        let shared = online_shared(args.online_steps, 1024);
        results.push(measure(
            backend,
            "online, one input stream (N=1024, r=4, B=1, 1024 runs)",
            &shared,
        )?);
    }
    println!("{:<38} {:>8} {:>12} {:>18}", "workload", "backend", "steps/s", "sample-steps/s");
    for m in &results {
        println!(
            "{:<38} {:>8} {:>12.1} {:>18.3e}",
            m.workload, m.backend, m.steps_per_second, m.sample_steps_per_second
        );
    }
    let peers = run_peers(&args);
    if !peers.is_empty() {
        println!("\nratio to the reference scripts (sample-steps/s):");
        print_ratios(&results, &peers);
    }
    let path = args.output.clone();
    let json = serde_json::to_string_pretty(&results)?;
    goldilocks_store::write_atomic(&path, json.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("written: {}", path.display());
    Ok(())
}

fn measure(backend: BackendKind, workload: &str, config_text: &str) -> anyhow::Result<Measurement> {
    let config = EscapeConfig::from_toml(config_text, workload)?;
    let measured = dispatch(backend, TimedEnsemble { config: &config })?;
    let (runs, steps, seconds) = measured;
    eprintln!("{workload} on {}: {steps} steps in {seconds:.2} s", backend.feature());
    Ok(Measurement {
        workload: workload.to_string(),
        backend: backend.feature().to_string(),
        runs,
        steps,
        seconds,
        steps_per_second: steps as f64 / seconds,
        sample_steps_per_second: (steps * runs * config.model.batch) as f64 / seconds,
    })
}

/// The online workload with `runs` runs that share one seed's input stream: one data group
/// whose runs differ in mu (the frozen weight's strength), as the runs of one seed do in
/// every experiment.
fn online_shared(steps: usize, runs: usize) -> String {
    let mu: Vec<String> = (0..runs).map(|i| format!("{}", i as f64 / runs as f64)).collect();
    ONLINE
        .replace("STEPS", &steps.to_string())
        .replace("RUNS", "1")
        .replace("mu = [0.0]", &format!("mu = [{}]", mu.join(", ")))
}

/// The config's single ensemble, run once and timed: (runs, steps, seconds).
struct TimedEnsemble<'a> {
    config: &'a EscapeConfig,
}

impl BackendTask for TimedEnsemble<'_> {
    type Output = (usize, usize, f64);

    fn run<B: Backend>(self, device: &B::Device) -> anyhow::Result<(usize, usize, f64)> {
        let plan = plan_ensembles(self.config)
            .into_iter()
            .next()
            .context("a bench config has one ensemble")?;
        let started = Instant::now();
        let records = run_ensemble::<B>(self.config, &plan, device, &mut |_| {})?;
        let seconds = started.elapsed().as_secs_f64();
        Ok((records.len(), self.config.training.max_steps, seconds))
    }
}

/// One reference script's result: its workload and measured sample-steps per second.
struct PeerRate {
    script: &'static str,
    sample_steps_per_second: f64,
}

/// The reference scripts, when python3 (with numpy, and torch for the torch peers) is present.
/// The NumPy loop runs at least 2000 steps: its first hundred steps are several times slower
/// than its steady rate.
fn run_peers(args: &BenchArgs) -> Vec<PeerRate> {
    let peers = PathBuf::from("bench/peers");
    let numpy_steps = args.online_steps.max(2000).to_string();
    let runs: [(&'static str, Vec<String>); 3] = [
        ("numpy_lora_sgd.py", vec!["1024".into(), "4".into(), numpy_steps]),
        (
            "torch_lora_sgd.py",
            vec![
                "cpu".into(),
                "1024".into(),
                "1024".into(),
                "4".into(),
                args.online_steps.to_string(),
            ],
        ),
        (
            "torch_paper_ensemble.py",
            vec![
                "cpu".into(),
                "1000".into(),
                "500".into(),
                "27".into(),
                args.paper_steps.to_string(),
            ],
        ),
    ];
    let mut rates = Vec::new();
    for (script, script_args) in runs {
        match Command::new("python3").arg(peers.join(script)).args(&script_args).output() {
            Ok(output) if output.status.success() => {
                let text = String::from_utf8_lossy(&output.stdout);
                print!("peer {script}: {text}");
                if let Some(rate) = sample_steps_per_second(&text) {
                    rates.push(PeerRate { script, sample_steps_per_second: rate });
                }
            }
            Ok(output) => {
                let reason = String::from_utf8_lossy(&output.stderr);
                println!("peer {script}: skipped ({})", reason.lines().last().unwrap_or("failed"));
            }
            Err(error) => println!("peer {script}: skipped (python3: {error})"),
        }
    }
    rates
}

/// The number before "sample-steps/s" in a peer's output line.
fn sample_steps_per_second(text: &str) -> Option<f64> {
    let before = text.split("sample-steps/s").next()?;
    before.split_whitespace().last()?.trim_end_matches(',').parse().ok()
}

/// Each measurement's rate over the peer that runs its workload: online workloads against the
/// NumPy single-run loop and the torch ensemble, the paper workload against the torch ensemble.
fn print_ratios(results: &[Measurement], peers: &[PeerRate]) {
    for peer in peers {
        let online = peer.script != "torch_paper_ensemble.py";
        for m in results.iter().filter(|m| m.workload.starts_with("online") == online) {
            println!(
                "{:<58} {:>8} {:>8.2}x {}",
                m.workload,
                m.backend,
                m.sample_steps_per_second / peer.sample_steps_per_second,
                peer.script
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sample_steps_per_second;

    #[test]
    fn peer_rates_are_read_from_their_output() {
        let numpy = "numpy d=1024 r=4: 46.1 us/step, 2.169e+04 sample-steps/s\n";
        assert_eq!(sample_steps_per_second(numpy), Some(2.169e4));
        let torch = "torch-paper cpu N=1000 B=500 E=27: 12.5 steps/s, 1.688e+05 sample-steps/s, overlap 0.031\n";
        assert_eq!(sample_steps_per_second(torch), Some(1.688e5));
        assert_eq!(sample_steps_per_second("no rate here"), None);
    }
}
