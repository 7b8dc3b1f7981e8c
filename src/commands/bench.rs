//! `vanilla-rnn bench`: how long one training step takes, timing only the loop (no process
//! start, no libtorch load, no data preparation). It times `Trainer::step`, the very step
//! `train` runs, with train's settings and flags, on full batches only (as scripts/studies/bench.py).

use crate::exact::optim::AdamPath;
use crate::fast::Backward;
use crate::pipeline::flags::{BackwardArgs, RunArgs};
use crate::pipeline::prepare;
use crate::train::settings::Settings;
use crate::train::{Initial, Laps, Phase, StepOutcome, Trainer};
use anyhow::{bail, Result};
use serde::Serialize;
use std::time::Instant;

/// `vanilla-rnn bench`'s command line: train's settings (but --epochs), and how long to time.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub settings: RunArgs,
    #[command(flatten)]
    pub backward: BackwardArgs,
    /// Timed steps (after the warm-up)
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: u64,
    /// Untimed steps first
    #[arg(long, default_value_t = 50)]
    pub warmup: u64,
    /// Also time the phases of a step: data, forward, backward and optimizer
    #[arg(long)]
    pub profile: bool,
}

/// `vanilla-rnn bench`: the timing, as one JSON line (to standard output).
pub fn run(args: &BenchArgs) -> Result<BenchResult> {
    let (settings, series) = prepare::new_run(|csv| args.settings.new_run(csv))?;
    let windows = prepare::windows(&settings, Some(series), None)?;
    let batch = settings.batch_size as usize;
    if batch > windows.n_train {
        bail!("--batch-size {batch} is larger than the {} training windows", windows.n_train);
    }
    let mut trainer = Trainer::start(&settings, &windows, Initial::Seeded, args.backward.backward)?;
    let (steps, warmup) = (args.steps as usize, args.warmup as usize);
    let per_epoch = windows.n_train / batch;
    let mut laps = Laps::off();
    let mut start = Instant::now();
    let mut epoch_batches = trainer.batches(1);
    for k in 0..warmup + steps {
        if k == warmup {
            start = Instant::now();
            laps = if args.profile { Laps::on() } else { Laps::off() };
        }
        let (epoch, b) = (k / per_epoch + 1, k % per_epoch);
        if b == 0 {
            epoch_batches = trainer.batches(epoch);
        }
        let batch = epoch_batches.get(b);
        laps.lap(Phase::Data);
        if let StepOutcome::Diverged(why) = trainer.step(&batch, &mut laps)? {
            bail!("benchmark run diverged: {why}");
        }
    }
    Ok(BenchResult::of(&trainer, &settings, &laps, start.elapsed().as_secs_f64(), (steps, batch), args.profile))
}

#[derive(Debug, Serialize)]
pub struct BenchResult {
    pub implementation: &'static str,
    /// Who computed the gradients: autograd, or the fast step (where it applied and agreed)
    pub backward: Backward,
    /// Which implementation of Adam's step ran
    pub adam: AdamPath,
    pub hidden: i64,
    pub batch: i64,
    pub seq_len: i64,
    pub threads: i32,
    pub steps: usize,
    pub us_per_step: f64,
    pub windows_per_s: f64,
    /// With --profile: microseconds per step in each phase.
    pub phases_us: Option<PhasesUs>,
}

/// Microseconds per step in each phase of a step.
#[derive(Debug, Serialize)]
pub struct PhasesUs {
    /// The epoch's gather and the batch slice.
    pub data: f64,
    /// The loop over time, to the loss; null with the fast step, whose backward includes it.
    pub forward: Option<f64>,
    /// zero_grad, backward, reading the loss (with the fast step: its forward and backward).
    pub backward: f64,
    /// The finiteness check, clipping and Adam.
    pub optimizer: f64,
}

impl BenchResult {
    /// The timing of `steps` steps of `batch` windows that took `seconds`, and each phase's when profiled.
    fn of(trainer: &Trainer, settings: &Settings, laps: &Laps, seconds: f64, (steps, batch): (usize, usize), profile: bool) -> BenchResult {
        BenchResult {
            implementation: "rust",
            backward: trainer.backward,
            adam: trainer.adam_path(),
            hidden: settings.hidden,
            batch: settings.batch_size,
            seq_len: settings.seq_len,
            threads: settings.threads,
            steps,
            us_per_step: seconds / steps as f64 * 1e6,
            windows_per_s: (steps * batch) as f64 / seconds,
            phases_us: profile.then(|| {
                let us = laps.seconds.map(|s| s / steps as f64 * 1e6);
                PhasesUs {
                    data: us[Phase::Data as usize],
                    forward: (trainer.backward != Backward::Fast).then_some(us[Phase::Forward as usize]),
                    backward: us[Phase::Backward as usize],
                    optimizer: us[Phase::Optimizer as usize],
                }
            }),
        }
    }
}

impl std::fmt::Display for BenchResult {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| std::fmt::Error)?)
    }
}
