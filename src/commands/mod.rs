//! The commands a user runs, each a file: its command line, then `run(args) -> Result<Report>`,
//! the report a summary that main.rs prints. `Cli` is the whole command line. What several
//! commands share lies below them, in `pipeline`; no command imports another.

pub mod bench;
pub mod cli;
pub mod export;
pub mod forecast;
pub mod plot;
pub mod predict;
pub mod train;

pub use cli::*;
