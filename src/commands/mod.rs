//! The commands a user runs, each with its command line: train, predict, forecast, bench. (plot
//! is `figures::run::draw_all`, export `files::export`; main.rs dispatches.)

pub mod bench;
pub mod forecast;
pub mod predict;
pub mod train;
