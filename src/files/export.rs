//! TorchScript export: a module traced from the trained RNN, loadable without our code as
//! `torch.jit.load("model.pt")(x)`: x [batch, seq_len, features] in the series' own units, and
//! out [batch, features], the next point, in the same units. A CSV run's scaling is part of the
//! module (computed in float64, as predictions.csv is, so the two agree to the bit); a run on the
//! built-in circle, which has none, takes and returns float32 as the model does. With
//! `--transform log` the module takes the log and exponentiates in libtorch, whose `log` and
//! `exp` are not libm's to the last bit: it agrees with predictions.csv to within a few units
//! in the last place.
//!
//! A run on many series (`--series-column`) scaled each series on its own: its module takes the
//! series too, `model(x, series)`, series [batch] int64, each window's index into config.json's
//! `series` list.

use super::atomic::atomic_write;
use crate::data::framing::Framing;
use crate::data::{Scaling, Transform};
use crate::first_line;
use crate::model::RNN;
use anyhow::{anyhow, Result};
use std::path::Path;
use tch::{nn, CModule, Device, Kind, Tensor};

/// Traces the model's loop over `seq_len` steps, with the run's framing and `scaling` (one, one
/// per series, or none) around it, into `path`.
pub fn export_torchscript(rnn: &RNN, seq_len: i64, framing: &Framing, scaling: &[Scaling], path: &Path) -> Result<()> {
    // Constants in a trace must not require grad: trace a frozen CPU copy.
    let mut vs = nn::VarStore::new(Device::Cpu);
    let copy = RNN::new(&vs.root(), rnn.input_length, rnn.hidden_length, rnn.activation);
    copy.copy_parameters(rnn.named_parameters().iter().map(|(_, t)| *t))?;
    vs.freeze();
    let units = (!scaling.is_empty()).then(|| Units::of(scaling));
    let mut examples = vec![Tensor::zeros([2, seq_len, rnn.input_length], (Kind::Float, Device::Cpu))];
    if scaling.len() > 1 {
        examples.push(Tensor::zeros([2], (Kind::Int64, Device::Cpu)));
    }
    // made here, outside the trace, so that the trace holds its values as a constant
    let linear = framing.linear.as_ref().map(|ar| ar.tensor());
    let mut closure = |xs: &[Tensor]| {
        // each window's own series' scaling, [batch or 1, features]
        let units =
            units.as_ref().map(|u| if xs.len() > 1 { u.pick(&xs[1]) } else { u.pick(&Tensor::zeros([1], (Kind::Int64, Device::Cpu))) });
        let inputs = units.as_ref().map_or_else(|| xs[0].shallow_clone(), |u| u.scale(&xs[0]));
        let framed = framing.frame_by(&inputs, linear.as_ref());
        let out = copy.unroll(&framed.inputs, traced_zeros(&inputs, copy.hidden_length)).pop().expect("seq_len >= 1");
        let y = framed.prediction(&out);
        vec![units.as_ref().map_or(y.shallow_clone(), |u| u.unscale(&y))]
    };
    let module = CModule::create_by_tracing("VanillaRNN", "forward", &examples, &mut closure)
        .map_err(|e| anyhow!("tracing the model failed: {}", first_line(e)))?;
    atomic_write(path, |tmp| module.save(tmp).map_err(|e| anyhow!(first_line(e))))
}

/// Scalings as float64 tensor constants, [series, features], applied as `Scaling::scale` and
/// `unscale` apply them.
struct Units {
    min: Tensor,
    range: Tensor,
    /// 1 where the column has a range, 0 where it is constant (which scales to 0).
    varies: Tensor,
    bound: f64,
    transform: Transform,
}

impl Units {
    fn of(scaling: &[Scaling]) -> Units {
        let f = scaling[0].min.len() as i64;
        let stacked = |part: fn(&Scaling) -> &Vec<f64>| {
            Tensor::from_slice(&scaling.iter().flat_map(|s| part(s).clone()).collect::<Vec<f64>>()).view([-1, f])
        };
        let (min, max) = (stacked(|s| &s.min), stacked(|s| &s.max));
        let range = &max - &min;
        let varies = range.gt(0.0).to_kind(Kind::Double);
        Units { min, range, varies, bound: scaling[0].bound, transform: scaling[0].transform }
    }

    /// The scalings of these series (indices), one row each.
    fn pick(&self, series: &Tensor) -> Units {
        let at = |t: &Tensor| t.index_select(0, series);
        Units { min: at(&self.min), range: at(&self.range), varies: at(&self.varies), bound: self.bound, transform: self.transform }
    }

    /// Raw values (any float dtype) [batch, seq_len, features] to the model's float32 inputs.
    fn scale(&self, x: &Tensor) -> Tensor {
        let step = |t: &Tensor| t.unsqueeze(-2); // one scaling for every step of a window
        let safe: Tensor = step(&self.range) + (-step(&self.varies) + 1.0); // a constant column divides by 1, then is zeroed
        let x = self.transform.apply_tensor(x.to_kind(Kind::Double));
        let scaled: Tensor = ((x - step(&self.min)) / safe * 2.0 - 1.0) * self.bound;
        (scaled * step(&self.varies)).to_kind(Kind::Float)
    }

    /// The model's float32 output back to the series' units, in float64.
    fn unscale(&self, y: &Tensor) -> Tensor {
        self.transform.undo_tensor((y.to_kind(Kind::Double) / self.bound + 1.0) / 2.0 * &self.range + &self.min)
    }
}

/// The zero hidden state [batch, hidden], made from the input itself (`zeros_like` of one
/// column, then expand), so that the trace records a batch size that follows its input rather
/// than the example's: the exported module serves any batch size.
fn traced_zeros(inputs: &Tensor, hidden_length: i64) -> Tensor {
    inputs.select(1, 0).narrow(1, 0, 1).zeros_like().expand([-1, hidden_length], false)
}
