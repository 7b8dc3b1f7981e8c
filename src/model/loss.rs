//! What training minimises, and how a model is scored: `nn.MSELoss` over the loop's outputs.

use super::{Outputs, Unrolled, RNN};
use serde::{Deserialize, Serialize};
use tch::{Reduction, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LossKind {
    /// MSE of the final step's output against the target (the blog's choice)
    Last,
    /// mean over steps of the MSE of each step's prediction of its next point
    All,
}

impl LossKind {
    /// The outputs the loss reads.
    pub fn outputs(self) -> Outputs {
        match self {
            LossKind::Last => Outputs::Last,
            LossKind::All => Outputs::Every,
        }
    }
}

impl std::fmt::Display for LossKind {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            LossKind::Last => "last",
            LossKind::All => "all",
        })
    }
}

/// The point y_t predicts: the next input, or after the last step the window's target.
pub fn truth(fw: &Unrolled, targets: &Tensor, t: usize) -> Tensor {
    match fw.xs.get(t + 1) {
        Some(next) => next.shallow_clone(),
        None => targets.shallow_clone(),
    }
}

/// The loss of an unrolled batch: the final step's MSE (the blog), or the mean over steps of
/// each step's MSE against its next point (`--loss all`).
pub fn loss(fw: &Unrolled, targets: &Tensor, kind: LossKind) -> Tensor {
    match kind {
        LossKind::Last => fw.last_y().mse_loss(targets, Reduction::Mean),
        LossKind::All => {
            let losses: Vec<Tensor> = (0..fw.steps.len()).map(|t| fw.y(t).mse_loss(&truth(fw, targets, t), Reduction::Mean)).collect();
            Tensor::stack(&losses, 0).mean(None)
        }
    }
}

/// The loss of one batch, from a zero hidden state, recorded for autograd.
pub fn batch_loss(rnn: &RNN, inputs: &Tensor, targets: &Tensor, kind: LossKind) -> Tensor {
    loss(&rnn.unroll(inputs, rnn.zero_hidden(inputs), kind.outputs()), targets, kind)
}

/// One-step-ahead MSE of the final output over a set of windows, in one batch (NaN for none).
pub fn evaluate(rnn: &RNN, inputs: &Tensor, targets: &Tensor) -> f64 {
    if inputs.size()[0] == 0 {
        return f64::NAN;
    }
    f64::try_from(rnn.predict(inputs).mse_loss(targets, Reduction::Mean)).unwrap_or(f64::NAN)
}
