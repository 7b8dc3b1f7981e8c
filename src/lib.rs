//! vanilla-rnn: the blog's from-scratch vanilla RNN ([sin, cos] circle), ported to Rust on
//! libtorch through tch-rs.
//!
//! Below everything, `signals` (the stop Ctrl-C or SIGTERM asks for, which every layer can read).
//! Then read in the blog's order: `data` (TrignoDS; a user's CSV), `model` (the RNN's `forward`, the
//! loop over time, the loss), `train` (the trainer, its settings). What serves training: `exact`
//! (PyTorch's Adam and clipping, bit for bit) and `fast` (the blog's step without autograd's
//! engine, the same bits). Then `forecasters` (persistence, the seasonal naive, the linear
//! autoregression, the drift, Naive2, Theta and the RNN behind one trait, their scores, who
//! forecasts from the end and its band). What serves a run: `files` (config.json, checkpoints, weights, the TorchScript export,
//! the CSVs, atomic writes), `pipeline` (what several commands share: a run prepared, a trained
//! run read back, the forecast) and `figures`. On top, `commands` (train, predict, forecast,
//! bench, plot, export: what `main` runs).
//!
//! Imports point one way: a module imports only from the modules declared before it below (and
//! within its own folder from its siblings, never its parent). scripts/arch.py --check holds the
//! code to that.

/// `Display` for a `clap::ValueEnum`: the value's name as the command line spells it, so that
/// each value is named once, in its enum, and every message and summary reads it as typed.
macro_rules! display_as_flag_value {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                let value = clap::ValueEnum::to_possible_value(self);
                f.write_str(value.as_ref().map_or("", |v| v.get_name()))
            }
        }
    };
}

pub mod signals;

pub mod data;
pub mod model;

pub mod exact;
pub mod fast;
pub mod train;

pub mod forecasters;

pub mod files;
pub mod pipeline;

pub mod figures;

pub mod commands;

/// Runs `draw` right after `tch::manual_seed(seed)`, with no other seeded draw in between: tch
/// exposes only libtorch's global generator, and the seeded init and the epoch order are each a
/// seed followed by draws that must see exactly that stream, whichever thread asks.
pub fn seeded<T>(seed: u64, draw: impl FnOnce() -> T) -> T {
    static GLOBAL_GENERATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _only_us = GLOBAL_GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    tch::manual_seed(seed as i64);
    draw()
}

/// libtorch errors carry a C++ backtrace after the first line; a user needs only the first.
pub fn first_line(e: impl std::fmt::Display) -> String {
    let s = e.to_string();
    s.lines().next().unwrap_or("").trim().to_string()
}
