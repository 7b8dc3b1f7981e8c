//! The commands a user runs, each with its command line: train, predict, forecast, bench (plot
//! is `figures::run::draw_all`, export `files::export`). `Cli` is the whole command line;
//! main.rs parses it and dispatches.

pub mod bench;
pub mod cli;
pub mod forecast;
pub mod predict;
pub mod train;
pub mod trained;

pub use cli::*;
