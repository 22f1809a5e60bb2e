//! `cargo xtask bench`: throughput of the ensemble runner on fixed workloads, per compiled
//! backend, beside the peer scripts of bench/peers/ (NumPy, PyTorch, JAX) on the same
//! workloads, each where its Python module is installed.
//!
//! Workloads:
//! - `paper`: the paper's setting, N = 1000, B = 500, linear, 27 runs (9 strengths x 3 seeds;
//!   the runs of one seed share its batch), with full and with projected inputs;
//! - `online-E`: batch-1 online SGD, N = 1024, rank 4, sign teacher and tanh student, E runs
//!   each with its own sample stream.

use goldilocks_kernels::EnsembleKernels;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use goldilocks_experiment::escape::{plan_ensembles, run_ensemble, EscapeConfig};
use goldilocks_experiment::ExperimentKind;
use serde::{Deserialize, Serialize};

use crate::backend::{dispatch, BackendKind, BackendTask};
use crate::cli::BenchArgs;

/// One measured workload on one backend.
#[derive(Debug, Serialize, Deserialize)]
struct Measurement {
    workload: String,
    backend: String,
    runs: usize,
    steps: usize,
    seconds: f64,
    steps_per_second: f64,
    sample_steps_per_second: f64,
    /// The peak resident memory of the process that ran the workload alone, in bytes.
    peak_rss_bytes: u64,
    /// (peak RSS - the process's peak before the workload) / runs, in bytes.
    rss_per_run_bytes: f64,
}

/// The line prefix under which a process that runs one workload (`--workload`) prints its
/// measurement as JSON, for the bench that started it.
const MEASUREMENT_LINE: &str = "measurement: ";

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

/// One bench workload: its name (for `--workload`), its row label and its config.
struct Workload {
    name: String,
    label: String,
    config: String,
}

/// The bench's workloads, in table order.
fn workloads(args: &BenchArgs) -> Vec<Workload> {
    let paper = PAPER.replace("STEPS", &args.paper_steps.to_string());
    let mut list = vec![
        Workload {
            name: "paper".into(),
            label: "paper (N=1000, B=500, 27 runs)".into(),
            config: paper.clone(),
        },
        Workload {
            name: "paper-projected".into(),
            label: "paper, projected inputs".into(),
            config: paper.replace("[training]", "[training]\ninputs = \"projected\""),
        },
    ];
    for runs in [1usize, 64, 1024] {
        list.push(Workload {
            name: format!("online-{runs}"),
            label: format!("online (N=1024, r=4, B=1, {runs} runs)"),
            config: ONLINE
                .replace("STEPS", &args.online_steps.to_string())
                .replace("RUNS", &runs.to_string()),
        });
    }
    list.push(Workload {
        name: "online-shared-1024".into(),
        label: "online, one input stream (N=1024, r=4, B=1, 1024 runs)".into(),
        config: online_shared(args.online_steps, 1024),
    });
    list
}

/// Runs the benchmarks and writes the table as JSON; with `--workload`, times that one
/// workload in this process and prints its measurement.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let backends: Vec<BackendKind> = match args.backend {
        Some(kind) => vec![kind],
        None => [BackendKind::Flex, BackendKind::Ndarray]
            .into_iter()
            .filter(|k| k.is_compiled())
            .collect(),
    };
    let all = workloads(&args);
    if let Some(name) = &args.workload {
        let names: Vec<&str> = all.iter().map(|w| w.name.as_str()).collect();
        let workload = all.iter().find(|w| &w.name == name).with_context(|| {
            format!("unknown workload {name:?}; the workloads are {}", names.join(", "))
        })?;
        for &backend in &backends {
            let measured = measure(backend, workload)?;
            println!("{MEASUREMENT_LINE}{}", serde_json::to_string(&measured)?);
        }
        return Ok(());
    }
    let mut results = Vec::new();
    for &backend in &backends {
        for workload in &all {
            results.push(measure_alone(backend, workload, &args)?);
        }
    }
    println!(
        "{:<56} {:>8} {:>10} {:>14} {:>9} {:>12}",
        "workload", "backend", "steps/s", "sample-steps/s", "peak MiB", "KiB per run"
    );
    for m in &results {
        println!(
            "{:<56} {:>8} {:>10.1} {:>14.3e} {:>9.1} {:>12.1}",
            m.workload,
            m.backend,
            m.steps_per_second,
            m.sample_steps_per_second,
            m.peak_rss_bytes as f64 / 1_048_576.0,
            m.rss_per_run_bytes / 1024.0
        );
    }
    let peers = run_peers(&args);
    if !peers.is_empty() {
        println!("\nratio to the peers (sample-steps/s):");
        print_ratios(&results, &peers);
    }
    let path = args.output.clone();
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "goldilocks": results,
        "peers": peers,
    }))?;
    goldilocks_store::write_atomic(&path, json.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("written: {}", path.display());
    Ok(())
}

/// Times `workload` on `backend` in a process of its own (this binary with `--workload`), so
/// that the peak RSS it reports is the workload's alone.
fn measure_alone(
    backend: BackendKind,
    workload: &Workload,
    args: &BenchArgs,
) -> anyhow::Result<Measurement> {
    let exe = std::env::current_exe().context("cannot find this binary to time a workload")?;
    let output = Command::new(&exe)
        .args(["bench", "--backend", backend.feature(), "--workload", &workload.name])
        .args(["--paper-steps", &args.paper_steps.to_string()])
        .args(["--online-steps", &args.online_steps.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    if !output.status.success() {
        anyhow::bail!(
            "the {} workload failed on {} ({})",
            workload.name,
            backend.feature(),
            output.status
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix(MEASUREMENT_LINE))
        .with_context(|| format!("the {} workload printed no measurement", workload.name))?;
    Ok(serde_json::from_str(line)?)
}

/// Times `workload` on `backend` in this process.
fn measure(backend: BackendKind, workload: &Workload) -> anyhow::Result<Measurement> {
    let config = EscapeConfig::from_toml(&workload.config, &workload.label)?;
    let before = peak_rss_bytes();
    let (runs, steps, seconds) = dispatch(backend, TimedEnsemble { config: &config })?;
    let peak = peak_rss_bytes();
    eprintln!("{} on {}: {steps} steps in {seconds:.2} s", workload.label, backend.feature());
    Ok(Measurement {
        workload: workload.label.clone(),
        backend: backend.feature().to_string(),
        runs,
        steps,
        seconds,
        steps_per_second: steps as f64 / seconds,
        sample_steps_per_second: (steps * runs * config.model.batch) as f64 / seconds,
        peak_rss_bytes: peak,
        rss_per_run_bytes: peak.saturating_sub(before) as f64 / runs as f64,
    })
}

/// The peak resident memory of this process so far, in bytes (0 where the system does not
/// say).
fn peak_rss_bytes() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes into the zeroed struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            // ru_maxrss is in KiB on Linux.
            return u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
        }
    }
    0
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

    fn run<B: EnsembleKernels>(self, device: &B::Device) -> anyhow::Result<(usize, usize, f64)> {
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

/// The workload a peer script runs, in the peer scripts' own terms (`bench/peers/*.py`
/// state each definition in their docstrings; they match the configs above).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "workload", rename_all = "lowercase")]
enum PeerWorkload {
    /// The paper workload: 27 runs, 3 seeds' batches per step.
    Paper,
    /// The online workload with this many runs, each with its own sample stream.
    Online { runs: usize },
}

/// The peer workload of the same definition as a measurement of this bench; None for the
/// online workload whose runs share one input stream, which no peer runs.
fn peer_workload_of(measurement: &Measurement) -> Option<PeerWorkload> {
    if measurement.workload.starts_with("paper") {
        Some(PeerWorkload::Paper)
    } else if measurement.workload.contains("one input stream") {
        None
    } else {
        Some(PeerWorkload::Online { runs: measurement.runs })
    }
}

/// The peers, each named after the Python module it needs; a peer whose module is missing is
/// skipped.
const PEERS: [&str; 3] = ["numpy", "torch", "jax"];

/// One peer script's result on one workload.
#[derive(Debug, Serialize)]
struct PeerRate {
    peer: &'static str,
    #[serde(flatten)]
    workload: PeerWorkload,
    sample_steps_per_second: f64,
    /// The peer process's peak resident memory (interpreter and libraries included), KiB.
    peak_rss_kib: Option<f64>,
}

/// Runs every peer (`bench/peers/<peer>_peer.py`) whose Python module is installed on every
/// workload: the paper workload, and the online one with 1, 64 and 1024 runs; the NumPy peer,
/// a Python loop over runs, only runs the online workload with 1 run (the NumPy loop). The
/// online workloads run at least 2000 steps: a loop's first hundred steps are several times
/// slower than its steady rate.
fn run_peers(args: &BenchArgs) -> Vec<PeerRate> {
    let online_steps = args.online_steps.max(2000);
    let mut rates = Vec::new();
    for peer in PEERS {
        let script = PathBuf::from("bench/peers").join(format!("{peer}_peer.py"));
        let mut workloads = vec![PeerWorkload::Paper, PeerWorkload::Online { runs: 1 }];
        if peer != "numpy" {
            workloads
                .extend([PeerWorkload::Online { runs: 64 }, PeerWorkload::Online { runs: 1024 }]);
        }
        for workload in workloads {
            let mut command = Command::new("python3");
            command.arg(&script);
            match workload {
                PeerWorkload::Paper => {
                    command.args(["paper", "--steps", &args.paper_steps.to_string()])
                }
                PeerWorkload::Online { runs } => command.args([
                    "online",
                    "--runs",
                    &runs.to_string(),
                    "--steps",
                    &online_steps.to_string(),
                ]),
            };
            match command.output() {
                Ok(output) if output.status.success() => {
                    let text = String::from_utf8_lossy(&output.stdout);
                    print!("peer {peer}: {text}");
                    if let Some(rate) = sample_steps_per_second(&text) {
                        rates.push(PeerRate {
                            peer,
                            workload,
                            sample_steps_per_second: rate,
                            peak_rss_kib: number_before(&text, "KiB"),
                        });
                    }
                }
                Ok(output) => {
                    let reason = String::from_utf8_lossy(&output.stderr);
                    let last = reason.lines().last().unwrap_or("failed");
                    println!("peer {peer}: skipped ({last}; needs the Python module {peer})");
                    break;
                }
                Err(error) => {
                    println!("peer {peer}: skipped (python3: {error})");
                    break;
                }
            }
        }
    }
    rates
}

/// The number before "sample-steps/s" in a peer's output line.
fn sample_steps_per_second(text: &str) -> Option<f64> {
    number_before(text, "sample-steps/s")
}

/// The number just before the first `unit` in `text`.
fn number_before(text: &str, unit: &str) -> Option<f64> {
    let (before, _) = text.split_once(unit)?;
    before.split_whitespace().last()?.trim_end_matches(',').parse().ok()
}

/// Each measurement's rate over every peer's rate on the same workload, and every online
/// measurement's rate over the NumPy loop (one run, batch 1).
fn print_ratios(results: &[Measurement], peers: &[PeerRate]) {
    let numpy_loop = PeerWorkload::Online { runs: 1 };
    for m in results {
        let workload = peer_workload_of(m);
        for peer in peers {
            let same = workload == Some(peer.workload);
            let loop_reference = peer.peer == "numpy"
                && peer.workload == numpy_loop
                && m.workload.starts_with("online");
            if !(same || loop_reference) {
                continue;
            }
            let against = match peer.workload {
                PeerWorkload::Paper => format!("{} paper", peer.peer),
                PeerWorkload::Online { runs } => format!("{} online, {runs} runs", peer.peer),
            };
            println!(
                "{:<58} {:>8} {:>8.2}x {}",
                m.workload,
                m.backend,
                m.sample_steps_per_second / peer.sample_steps_per_second,
                against
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{
        number_before, peer_workload_of, sample_steps_per_second, Measurement, PeerWorkload,
    };

    #[test]
    fn each_workload_is_compared_with_the_peer_workload_of_the_same_definition() {
        let measurement = |workload: &str, runs: usize| Measurement {
            workload: workload.into(),
            backend: "flex".into(),
            runs,
            steps: 1,
            seconds: 1.0,
            steps_per_second: 1.0,
            sample_steps_per_second: 1.0,
            peak_rss_bytes: 0,
            rss_per_run_bytes: 0.0,
        };
        let paper = measurement("paper, projected inputs", 27);
        assert_eq!(peer_workload_of(&paper), Some(PeerWorkload::Paper));
        let online = measurement("online (N=1024, r=4, B=1, 64 runs)", 64);
        assert_eq!(peer_workload_of(&online), Some(PeerWorkload::Online { runs: 64 }));
        let shared = measurement("online, one input stream (N=1024, r=4, B=1, 1024 runs)", 1024);
        assert_eq!(peer_workload_of(&shared), None);
    }

    #[test]
    fn peer_rates_are_read_from_their_output() {
        let numpy = "numpy online runs=1: 31566.1 steps/s, 3.157e+04 sample-steps/s\n";
        assert_eq!(sample_steps_per_second(numpy), Some(3.157e4));
        let jax =
            "jax paper runs=27: 48.6 steps/s, 6.567e+05 sample-steps/s, peak RSS 412345 KiB\n";
        assert_eq!(sample_steps_per_second(jax), Some(6.567e5));
        assert_eq!(number_before(jax, "KiB"), Some(412345.0));
        assert_eq!(sample_steps_per_second("no rate here"), None);
    }
}
