//! `vanilla-rnn export`: the model traced into TorchScript (model.pt), in the series' units
//! when the run scaled its series.

use crate::files::export::export_torchscript;
use crate::pipeline::flags::ModelArgs;
use crate::pipeline::trained::load_model;
use anyhow::Result;
use std::path::PathBuf;

/// `vanilla-rnn export`'s command line.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Weights: .safetensors, .pt or .ot; a config.json beside them is read too
    #[arg(long, value_name = "FILE")]
    pub weights: PathBuf,
    /// The TorchScript file to write
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: &ExportArgs) -> Result<Report> {
    let loaded = load_model(&args.weights, &args.model)?;
    let scaling = loaded.run.as_ref().map(|r| r.scalings()).unwrap_or_default();
    export_torchscript(&loaded.rnn, loaded.seq_len, &loaded.framing, &scaling, &args.out)?;
    let units = match scaling.len() {
        0 => "float32, as the model",
        1 => "in the series' units, float64 out",
        _ => "in each series' units, float64 out; model(x, series) takes each window's series index, config.json's series order",
    };
    Ok(Report { out: args.out.clone(), seq_len: loaded.seq_len, features: loaded.rnn.input_length, units })
}

/// What was written: the file, its input's shape and its units.
pub struct Report {
    out: PathBuf,
    seq_len: i64,
    features: i64,
    units: &'static str,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "wrote {} (TorchScript: input [batch, {}, {}] -> the next point [batch, {}], {})",
            self.out.display(),
            self.seq_len,
            self.features,
            self.features,
            self.units
        )
    }
}
