//! TorchScript export: a module traced from the trained RNN, loadable without our code as
//! `torch.jit.load("model.pt")(x)`, x: [batch, seq_len, features] -> [batch, features].

use super::atomic::atomic_write;
use crate::first_line;
use crate::model::RNN;
use anyhow::{anyhow, Result};
use std::path::Path;
use tch::{nn, CModule, Device, Kind, Tensor};

/// Traces the model's loop over `seq_len` steps into `path`.
pub fn export_torchscript(rnn: &RNN, seq_len: i64, path: &Path) -> Result<()> {
    // Constants in a trace must not require grad: trace a frozen CPU copy.
    let mut vs = nn::VarStore::new(Device::Cpu);
    let copy = RNN::new(&vs.root(), rnn.input_length, rnn.hidden_length, rnn.activation);
    copy.copy_parameters(rnn.named_parameters().iter().map(|(_, t)| *t))?;
    vs.freeze();
    let example = Tensor::zeros([2, seq_len, rnn.input_length], (Kind::Float, Device::Cpu));
    let mut closure = |xs: &[Tensor]| copy.unroll(&xs[0], traced_zeros(&xs[0], copy.hidden_length)).split_off(seq_len as usize - 1);
    let module = CModule::create_by_tracing("VanillaRNN", "forward", &[example], &mut closure)
        .map_err(|e| anyhow!("tracing the model failed: {}", first_line(e)))?;
    atomic_write(path, |tmp| module.save(tmp).map_err(|e| anyhow!(first_line(e))))
}

/// The zero hidden state [batch, hidden], made from the input itself (`zeros_like` of one
/// column, then expand), so that the trace records a batch size that follows its input rather
/// than the example's: the exported module serves any batch size.
fn traced_zeros(inputs: &Tensor, hidden_length: i64) -> Tensor {
    inputs.select(1, 0).narrow(1, 0, 1).zeros_like().expand([-1, hidden_length], false)
}
