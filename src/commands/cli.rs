//! The whole command line (`Cli`): each command and its arguments, which main.rs parses and dispatches.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "vanilla-rnn",
    version,
    about = "Train a vanilla RNN on your CSV time series and forecast it from its end, with a band, beside the baselines a forecaster checks first",
    long_about = "Train a vanilla RNN on your CSV time series and forecast it from its end, with a band, beside the baselines a forecaster checks first.\n\nThe model is the blog's (an RNN cell, get_ht and get_yt, trained through libtorch by tch-rs), bitwise PyTorch's; without --data it learns the blog's [sin, cos] circle.\n\n  vanilla-rnn train --data my.csv --out runs/my\n  vanilla-rnn forecast runs/my --steps 12"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Train on a CSV series (--data), score it against the baselines, and write config.json, metrics.csv, steps.csv, weights.safetensors, weights.ot, predictions.csv, model.pt, checkpoint.safetensors and plots/*.png into --out
    ///
    /// Without --data, the blog's series: the [sin, cos] circle.
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
