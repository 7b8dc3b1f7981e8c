//! What training minimises, and how a model is scored: `nn.MSELoss` over the loop's outputs.

use super::RNN;
use crate::data::framing::Framing;
use crate::data::{batches_of, ONE_BATCH};
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

impl std::fmt::Display for LossKind {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            LossKind::Last => "last",
            LossKind::All => "all",
        })
    }
}

/// The loss of one batch, from a zero hidden state, recorded for autograd: the final step's MSE
/// (the blog), or the mean over steps of each y_t's MSE against the point after x_t.
pub fn batch_loss(rnn: &RNN, inputs: &Tensor, targets: &Tensor, kind: LossKind) -> Tensor {
    let outputs = rnn.unroll(inputs, rnn.zero_hidden(inputs));
    match kind {
        LossKind::Last => outputs.last().expect("a window has at least one step").mse_loss(targets, Reduction::Mean),
        LossKind::All => {
            let steps = outputs.len() as i64;
            let next = |t: i64| if t + 1 < steps { inputs.select(1, t + 1) } else { targets.shallow_clone() };
            let losses: Vec<Tensor> = outputs.iter().zip(0..).map(|(y, t)| y.mse_loss(&next(t), Reduction::Mean)).collect();
            Tensor::stack(&losses, 0).mean(None)
        }
    }
}

/// The model's prediction of each window's next point, `inputs` framed as it was trained on
/// them (data/framing.rs) and the output mapped back: [windows, features], in scaled units.
pub fn predict_next(rnn: &RNN, framing: &Framing, inputs: &Tensor) -> Tensor {
    let framed = framing.frame(inputs);
    framed.prediction(&rnn.predict(&framed.inputs))
}

/// One-step-ahead MSE of the prediction over a set of windows, in scaled units whatever the
/// framing (NaN for none): in one batch, or beyond `ONE_BATCH` windows the squared errors of
/// each batch summed in f64.
pub fn evaluate(rnn: &RNN, framing: &Framing, inputs: &Tensor, targets: &Tensor) -> f64 {
    let n = inputs.size()[0] as usize;
    if n == 0 {
        return f64::NAN;
    }
    if n <= ONE_BATCH {
        return f64::try_from(predict_next(rnn, framing, inputs).mse_loss(targets, Reduction::Mean)).unwrap_or(f64::NAN);
    }
    let mut sum = 0.0;
    for (first, count) in batches_of(n) {
        let (x, y) = (inputs.narrow(0, first, count), targets.narrow(0, first, count));
        let squares = (predict_next(rnn, framing, &x) - y).square().to_kind(tch::Kind::Double).sum(tch::Kind::Double);
        sum += f64::try_from(squares).unwrap_or(f64::NAN);
    }
    sum / (n as f64 * targets.size()[1] as f64)
}
