//! `vanilla-rnn predict`: a trained model's prediction of every window's next point, in the
//! series' own units; and the loading of a trained model that predict, forecast and export share.

use crate::data::{self, Series, Windows};
use crate::files::atomic::{csv_field, format_num, Csv};
use crate::files::config::RunConfig;
use crate::files::weights::{read_params, sizes_of};
use crate::model::loss::evaluate;
use crate::model::RNN;
use crate::train::settings::{DataArgs, ModelArgs, Settings};
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use tch::{nn, Device};

/// A trained model and the series to run it on: shared by predict and forecast.
#[derive(Debug, clap::Args)]
pub struct TrainedArgs {
    /// Weights: .safetensors, .pt (torch.save of a state_dict) or .ot; a config.json beside them is read too
    #[arg(long, value_name = "FILE")]
    pub weights: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// `vanilla-rnn predict`'s command line.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    #[command(flatten)]
    pub trained: TrainedArgs,
    /// Write the predictions here [default: standard output]
    #[arg(long, value_name = "CSV")]
    pub out: Option<PathBuf>,
}

/// `index,split,target_<f>...,pred_<f>...`: index is the target's row in the series.
pub fn predictions_csv(rnn: &RNN, windows: &Windows) -> Result<Csv> {
    let preds = rnn.predict(&windows.ds.X.to_device(rnn.get_ht.ws.device()));
    let preds: Vec<f32> = Vec::try_from(preds.to_device(Device::Cpu).flatten(0, -1))?;
    let (series, f) = (&windows.series, windows.series.features());
    let mut header = vec!["index".to_string(), "split".to_string()];
    header.extend(series.names.iter().map(|n| csv_field(&format!("target_{n}"))));
    header.extend(series.names.iter().map(|n| csv_field(&format!("pred_{n}"))));
    let mut csv = Csv::new(&header);
    for i in 0..windows.ds.len() {
        let index = i + windows.ds.seq_length;
        let mut row = vec![index.to_string(), if i < windows.n_train { "train" } else { "test" }.to_string()];
        row.extend(series.rows[index].iter().map(|&v| format_num(v)));
        row.extend((0..f).map(|j| {
            let y = preds[i * f + j] as f64;
            format_num(windows.scaling.as_ref().map_or(y, |s| s.unscale(j, y)))
        }));
        csv.row(&row);
    }
    Ok(csv)
}

/// A model read back from a weights file, with what its run's config.json says about it.
pub struct Loaded {
    _vs: nn::VarStore,
    pub rnn: RNN,
    pub seq_len: i64,
    pub run: Option<RunConfig>,
}

impl Loaded {
    /// The run's held-out fraction (or train's default), which labels each window.
    pub fn test_fraction(&self) -> f64 {
        self.run.as_ref().map_or(Settings::DEFAULT.test_fraction, |r| r.settings.test_fraction)
    }
}

/// Loads weights; sizes come from the tensors, seq_len and activation from the flags, else the
/// config.json beside them, else train's defaults.
pub fn load_model(weights: &Path, model: &ModelArgs) -> Result<Loaded> {
    let params = read_params(weights)?;
    let sizes = sizes_of(weights, &params)?;
    let run = RunConfig::beside(weights)?;
    if let Some(r) = run.as_ref().filter(|r| r.features.len() as i64 != sizes.features) {
        bail!(
            "{} holds a model of {} features, but the config.json beside it names {} ({}): are they from the same run?",
            weights.display(),
            sizes.features,
            r.features.len(),
            r.features.join(", ")
        );
    }
    let saved = run.as_ref().map_or(&Settings::DEFAULT, |r| &r.settings);
    let seq_len = model.seq_len.unwrap_or(saved.seq_len);
    let activation = model.activation.unwrap_or(saved.activation);
    let mut vs = nn::VarStore::new(Device::Cpu);
    let rnn = RNN::new(&vs.root(), sizes.features, sizes.hidden, activation);
    rnn.copy_parameters(params.iter().map(|(_, t)| t))?;
    vs.freeze();
    Ok(Loaded { _vs: vs, rnn, seq_len, run })
}

/// The series to predict on, scaled as the model was trained (the run's scaling when the
/// weights come with one, else fitted on this series).
pub fn series_for(loaded: &Loaded, data: Option<&Path>) -> Result<(Series, Option<data::Scaling>)> {
    let (series, fitted) = data::load(data)?;
    if series.features() as i64 != loaded.rnn.input_length {
        bail!("the model takes {} features, the series has {} ({})", loaded.rnn.input_length, series.features(), series.names.join(", "));
    }
    let run_scaling = loaded.run.as_ref().and_then(|r| r.scaling.clone());
    let scaling = match (fitted, run_scaling) {
        (Some(_), Some(run)) => Some(run),
        (fitted, _) => fitted,
    };
    Ok((series, scaling))
}

/// `vanilla-rnn predict`: the predictions, and their one-step MSE over all windows.
pub fn predict(args: &PredictArgs) -> Result<(Csv, f64)> {
    let loaded = load_model(&args.trained.weights, &args.trained.model)?;
    let (series, scaling) = series_for(&loaded, args.trained.data.data.as_deref())?;
    let windows = Windows::new(series, scaling, loaded.seq_len as usize, loaded.test_fraction())?;
    let mse = evaluate(&loaded.rnn, &windows.ds.X, &windows.ds.Y);
    Ok((predictions_csv(&loaded.rnn, &windows)?, mse))
}
