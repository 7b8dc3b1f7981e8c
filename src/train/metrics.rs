//! What a run records as it trains: each epoch's losses (metrics.csv), each step's (steps.csv).

/// One row of metrics.csv.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochMetrics {
    pub epoch: usize,
    /// The mean of the epoch's batch losses.
    pub train_loss: f64,
    /// One-step-ahead MSE of the validation windows (NaN without them).
    pub val_loss: f64,
    /// One-step-ahead MSE of the held-out tail.
    pub test_loss: f64,
    /// Since training began (across resumes).
    pub seconds: f64,
}

/// One row of steps.csv: an optimizer step's loss, and the epoch it belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepLoss {
    pub epoch: usize,
    pub loss: f64,
}
