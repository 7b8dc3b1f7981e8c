//! vanilla-rnn: the blog's from-scratch vanilla RNN ([sin, cos] circle), ported to Rust on
//! libtorch through tch-rs. Read in the blog's order: data, model, trainer; then what serves
//! them: optim (PyTorch's Adam, exactly), checkpoint, interrupt, progress, weights, export,
//! predict, forecast, plots, output.

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
