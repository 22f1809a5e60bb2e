//! Progress display for long experiments: one bar per ensemble (steps, rate, time left, runs
//! finished), drawn on a terminal; plain lines otherwise.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// Progress of a running unit (an ensemble, or a set of runs), reported as it goes.
#[derive(Debug, Clone, Copy)]
pub struct EnsembleProgress {
    /// Steps done.
    pub steps: usize,
    /// Runs that have finished (see the stopping rule).
    pub finished_runs: usize,
    /// Runs in the ensemble.
    pub runs: usize,
}

/// Shows the progress of one ensemble.
pub struct EnsembleBar {
    enabled: bool,
    bar: Option<ProgressBar>,
    label: String,
    started: Instant,
    last_line: Instant,
}

impl EnsembleBar {
    /// A bar for ensemble `index` of `count`, with `runs` runs and a budget of `max_steps`.
    pub fn new(
        enabled: bool,
        index: usize,
        count: usize,
        label: &str,
        runs: usize,
        max_steps: usize,
    ) -> Self {
        let label = format!("[{}/{}] {label} ({runs} runs)", index + 1, count);
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(max_steps as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} steps, {per_sec}, ETA {eta} {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(label.clone());
            bar
        });
        if enabled && bar.is_none() {
            eprintln!("{label}: running");
        }
        Self { enabled, bar, label, started: Instant::now(), last_line: Instant::now() }
    }

    /// Updates the display.
    pub fn update(&mut self, progress: EnsembleProgress) {
        if !self.enabled {
            return;
        }
        let message = format!("{}/{} runs finished", progress.finished_runs, progress.runs);
        match &self.bar {
            Some(bar) => {
                bar.set_position(progress.steps as u64);
                bar.set_message(message);
            }
            None if self.last_line.elapsed().as_secs() >= 10 => {
                let rate = progress.steps as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
                eprintln!("{}: {} steps, {rate:.1} steps/s, {message}", self.label, progress.steps);
                self.last_line = Instant::now();
            }
            None => {}
        }
    }

    /// Ends the display with a one-line account.
    pub fn finish(self, summary: &str) {
        if !self.enabled {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        match self.bar {
            Some(bar) => bar.finish_with_message(format!("{summary} in {elapsed:.1} s")),
            None => eprintln!("{}: {summary} in {elapsed:.1} s", self.label),
        }
    }
}
