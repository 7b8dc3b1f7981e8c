//! The whole command line (`Cli`): each command and its arguments, which main.rs parses and dispatches.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "vanilla-rnn", version, about = "The blog's vanilla RNN on the [sin, cos] circle, trained through libtorch (tch-rs)")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Train the RNN and write config.json, metrics.csv, steps.csv, weights.safetensors, weights.ot, predictions.csv, model.pt, checkpoint.safetensors and plots/*.png into --out
    Train(super::train::TrainArgs),
    /// Predict every window of a trained run's series (RUN, or --weights): the series, window length and activation come from the run's config.json, and the flags override them
    Predict(super::predict::PredictArgs),
    /// Closed-loop forecast from a trained run (RUN, or --weights): feed each prediction back as the next input; writes a CSV and a plot. The series, window length and activation come from the run's config.json, and the flags override them
    Forecast(super::forecast::ForecastArgs),
    /// Time the training step: microseconds per step and windows per second, as one JSON line
    Bench(super::bench::BenchArgs),
    /// Redraw the figures of a run (DIR/plots/*.png) from its files
    Plot {
        /// A directory written by `train`
        dir: PathBuf,
    },
    /// Trace the model into a TorchScript module: torch.jit.load(OUT)(x) takes x [batch, seq_len, features] in the series' own units (a CSV run's scaling is inside) and returns the next point [batch, features] in the same units
    Export(super::export::ExportArgs),
}
