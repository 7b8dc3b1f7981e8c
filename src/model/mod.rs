//! The model: the blog's `RNN`. `forward` is one time step; the loop over time stays outside it,
//! in `unroll`, as in the blog's training loop.
//!
//!   data = [h_{t-1} : x_t]
//!   h_t = f(get_ht(data))      f = tanh (or relu with --activation relu)
//!   y_t = tanh(get_yt(data))   y_t predicts the point after x_t
//!
//! Every path runs this loop: training under autograd, evaluation, predict, forecast and the
//! TorchScript export. (The fast step, in src/fast/, computes the same bits from the weights
//! without it, and is checked against it on every run.) `loss` is what training minimises.

pub mod loss;
pub mod rnn;

pub use rnn::*;
