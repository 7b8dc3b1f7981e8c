//! The closed loop: a window rolled on by feeding each prediction back as the next input, by
//! the RNN or by its framing alone (`--target linear`'s autoregression, the RNN's output at 0).

use crate::data::framing::Framing;
use crate::data::Windows;
use crate::model::loss::{predict_next, predict_next_by};
use crate::model::RNN;
use anyhow::{anyhow, Result};
use tch::{Device, Kind, Tensor};

/// Model-unit values of one row in the series' units (a forecast runs on one series).
pub fn unscaled(w: &Windows, values: &[f32]) -> Vec<f64> {
    w.unscaled(0, values.iter().map(|&v| v as f64))
}

/// Who forecasts a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// the trained model
    Rnn,
    /// `--target linear`'s autoregression alone, without the RNN's correction (what the model
    /// with get_yt at zero predicts), where the held-out tails' closed loops say it does better
    Autoregression,
    /// the random walk with drift, for a series too short for the model's window
    Drift,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Method::Rnn => "the RNN",
            Method::Autoregression => "the linear autoregression alone",
            Method::Drift => "the drift",
        })
    }
}

/// A forecaster that rolls a window on: the RNN over its framing, or the framing alone.
#[derive(Clone, Copy)]
pub struct Roller<'a> {
    /// None: the framing's prediction alone (the model's output at 0).
    rnn: Option<&'a RNN>,
    framing: &'a Framing,
}

impl<'a> Roller<'a> {
    pub fn of(by: Method, rnn: &'a RNN, framing: &'a Framing) -> Roller<'a> {
        Roller { rnn: (by == Method::Rnn).then_some(rnn), framing }
    }
}

/// The closed loop on a batch of windows: `steps` predictions each, fed back, in model units.
pub fn roll(model: Roller, mut window: Tensor, steps: usize) -> Result<Vec<Vec<f32>>> {
    let seq = window.size()[1];
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        let y = match model.rnn {
            Some(rnn) => predict_next(rnn, model.framing, &window),
            None => predict_next_by(model.framing, &window, |x| x.select(1, -1).zeros_like()),
        };
        out.push(Vec::try_from(y.flatten(0, -1).to_kind(Kind::Float).to_device(Device::Cpu)).map_err(|e| anyhow!("{e}"))?);
        window = Tensor::cat(&[window.narrow(1, 1, seq - 1), y.unsqueeze(1)], 1);
    }
    Ok(out)
}
