//! vanilla-rnn: the blog's from-scratch vanilla RNN ([sin, cos] circle), ported to Rust on
//! libtorch through tch-rs. Read in the blog's order: data, model, trainer; then what serves
//! them: optim (PyTorch's Adam, exactly), checkpoint, interrupt, progress, weights, export,
//! predict, forecast, plots, output.

pub mod backward;
pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod export;
pub mod forecast;
pub mod interrupt;
pub mod model;
pub mod optim;
pub mod output;
pub mod plots;
pub mod predict;
pub mod progress;
pub mod trainer;
pub mod weights;

/// Runs `draw` right after `tch::manual_seed(seed)`, with no other seeded draw in between: tch
/// exposes only libtorch's global generator, and the seeded init and the epoch order are each a
/// seed followed by draws that must see exactly that stream, whichever thread asks.
pub fn seeded<T>(seed: u64, draw: impl FnOnce() -> T) -> T {
    static GLOBAL_GENERATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _only_us = GLOBAL_GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    tch::manual_seed(seed as i64);
    draw()
}
