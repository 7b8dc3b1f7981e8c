//! TorchScript export: a module traced from the trained RNN, loadable without our code as
//! `torch.jit.load("model.pt")(x)`: x [batch, seq_len, features] in the series' own units, and
//! out [batch, features], the next point, in the same units. A CSV run's scaling is part of the
//! module (computed in float64, as predictions.csv is, so the two agree to the bit); a run on the
//! built-in circle, which has none, takes and returns float32 as the model does.

use super::atomic::atomic_write;
use crate::data::framing::Framing;
use crate::data::Scaling;
use crate::first_line;
use crate::model::RNN;
use anyhow::{anyhow, Result};
use std::path::Path;
use tch::{nn, CModule, Device, Kind, Tensor};

/// Traces the model's loop over `seq_len` steps, with the run's framing and `scaling` around it,
/// into `path`.
pub fn export_torchscript(rnn: &RNN, seq_len: i64, framing: Framing, scaling: Option<&Scaling>, path: &Path) -> Result<()> {
    // Constants in a trace must not require grad: trace a frozen CPU copy.
    let mut vs = nn::VarStore::new(Device::Cpu);
    let copy = RNN::new(&vs.root(), rnn.input_length, rnn.hidden_length, rnn.activation);
    copy.copy_parameters(rnn.named_parameters().iter().map(|(_, t)| *t))?;
    vs.freeze();
    let units = scaling.map(Units::of);
    let example = Tensor::zeros([2, seq_len, rnn.input_length], (Kind::Float, Device::Cpu));
    let mut closure = |xs: &[Tensor]| {
        let inputs = units.as_ref().map_or_else(|| xs[0].shallow_clone(), |u| u.scale(&xs[0]));
        let framed = framing.frame(&inputs);
        let out = copy.unroll(&framed.inputs, traced_zeros(&inputs, copy.hidden_length)).pop().expect("seq_len >= 1");
        let y = framed.prediction(&out);
        vec![units.as_ref().map_or(y.shallow_clone(), |u| u.unscale(&y))]
    };
    let module = CModule::create_by_tracing("VanillaRNN", "forward", &[example], &mut closure)
        .map_err(|e| anyhow!("tracing the model failed: {}", first_line(e)))?;
    atomic_write(path, |tmp| module.save(tmp).map_err(|e| anyhow!(first_line(e))))
}

/// A scaling as float64 tensor constants, applied as `Scaling::scale` and `unscale` apply it.
struct Units {
    min: Tensor,
    range: Tensor,
    /// 1 where the column has a range, 0 where it is constant (which scales to 0).
    varies: Tensor,
    bound: f64,
}

impl Units {
    fn of(s: &Scaling) -> Units {
        let (min, max) = (Tensor::from_slice(&s.min), Tensor::from_slice(&s.max));
        let range = &max - &min;
        let varies = range.gt(0.0).to_kind(Kind::Double);
        Units { min, range, varies, bound: s.bound }
    }

    /// Raw values (any float dtype) to the model's float32 inputs.
    fn scale(&self, x: &Tensor) -> Tensor {
        let safe: Tensor = &self.range + (-&self.varies + 1.0); // a constant column divides by 1, then is zeroed
        let scaled: Tensor = ((x.to_kind(Kind::Double) - &self.min) / safe * 2.0 - 1.0) * self.bound;
        (scaled * &self.varies).to_kind(Kind::Float)
    }

    /// The model's float32 output back to the series' units, in float64.
    fn unscale(&self, y: &Tensor) -> Tensor {
        (y.to_kind(Kind::Double) / self.bound + 1.0) / 2.0 * &self.range + &self.min
    }
}

/// The zero hidden state [batch, hidden], made from the input itself (`zeros_like` of one
/// column, then expand), so that the trace records a batch size that follows its input rather
/// than the example's: the exported module serves any batch size.
fn traced_zeros(inputs: &Tensor, hidden_length: i64) -> Tensor {
    inputs.select(1, 0).narrow(1, 0, 1).zeros_like().expand([-1, hidden_length], false)
}
