//! What several commands share, below them: a new run's settings, series and windows (train,
//! bench), a trained run read back with the series to run it on (predict, forecast, export,
//! plot), and the forecast from it.

pub mod flags;
pub mod forecast;
pub mod forecast_output;
pub mod horizons;
pub mod prepare;
pub mod trained;
