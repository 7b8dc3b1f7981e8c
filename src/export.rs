//! TorchScript export: a module traced from the trained RNN, loadable without our code as
//! `torch.jit.load("model.pt")(x)`, x: [batch, seq_len, features] -> [batch, features].

use crate::model::{unroll_from, zero_hidden, Activation, RNN};
use crate::output::atomic_write;
use crate::weights::first_line;
use anyhow::{anyhow, Result};
use std::path::Path;
use tch::{nn, CModule, Device, Kind, Tensor};

/// Traces the model's loop over `seq_len` steps. The hidden state's zeros take their shape from
/// the input (see `model::zero_hidden`), so the trace serves any batch size, not only the traced one.
pub fn export_torchscript(
    params: &[(&str, &Tensor)],
    input: i64,
    hidden: i64,
    activation: Activation,
    seq_len: i64,
    path: &Path,
) -> Result<()> {
    // Constants in a trace must not require grad: trace a frozen CPU copy.
    let mut vs = nn::VarStore::new(Device::Cpu);
    let rnn = RNN::new(&vs.root(), input, hidden, input, activation);
    rnn.copy_parameters(params.iter().map(|(_, t)| *t))?;
    vs.freeze();
    let example = Tensor::zeros([2, seq_len, input], (Kind::Float, Device::Cpu));
    let mut closure = |xs: &[Tensor]| vec![unroll_from(&rnn, &xs[0], zero_hidden(&xs[0], hidden), false).pop().expect("seq_len >= 1")];
    let module = CModule::create_by_tracing("VanillaRNN", "forward", &[example], &mut closure)
        .map_err(|e| anyhow!("tracing the model failed: {}", first_line(e)))?;
    atomic_write(path, |tmp| module.save(tmp).map_err(|e| anyhow!(first_line(e))))
}

pub fn export_rnn(rnn: &RNN, seq_len: i64, path: &Path) -> Result<()> {
    export_torchscript(&rnn.named_parameters(), rnn.input_length, rnn.hidden_length, rnn.activation, seq_len, path)
}
