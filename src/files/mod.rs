//! The files a run reads and writes: each written whole or not at all (atomic), config.json
//! (config), the checkpoint, the weights in three formats, the TorchScript export, and the run
//! directory's progress files (run_dir), and the CSV tables a run writes, each with its reader
//! (tables).

pub mod atomic;
pub mod checkpoint;
pub mod config;
pub mod export;
pub mod predictions;
pub mod run_dir;
pub mod tables;
pub mod weights;
