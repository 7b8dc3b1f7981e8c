//! The figures, drawn in Rust (plotters) in one house style: a run's (`run`) and a forecast's
//! (commands::forecast::figure). This module holds what they share: colours, the bundled font,
//! the PNG writer, charts and legends.

pub mod chart;
pub mod forecast;
pub mod run;

pub use chart::*;
