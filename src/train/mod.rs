//! Training, as the blog runs it: epochs of batches of windows; for each batch the loop over
//! time from a zero hidden state, the MSE, the gradients (autograd, or the same bits from the
//! fast step), Adam. A `Trainer` is built by `start` or `resume`; `run_epochs` is the epoch loop; `Trainer::step`
//! is one optimizer step. Around them, what real runs need: a stop on divergence and on Ctrl-C,
//! and the progress handed back (`save`) so the caller can write it. Files are not written here.

pub mod device;
pub mod interrupt;
pub mod metrics;
pub mod progress;
pub mod settings;
pub mod trainer;

pub use metrics::{EpochMetrics, StepLoss};
pub use trainer::*;
