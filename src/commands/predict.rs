//! `vanilla-rnn predict`: a trained model's prediction of every window's next point, in the
//! series' own units.

use super::trained::{load_model, series_for, RunSeries, TrainedArgs};
use crate::data::framing::Framing;
use crate::data::Windows;
use crate::files::tables::Csv;
use crate::files::tables::{self, Prediction};
use crate::model::loss::{evaluate, predict_next};
use crate::model::RNN;
use anyhow::Result;
use std::path::PathBuf;
use tch::Device;

/// `vanilla-rnn predict`'s command line.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    #[command(flatten)]
    pub trained: TrainedArgs,
    /// Write the predictions here [default: standard output]
    #[arg(long, value_name = "CSV")]
    pub out: Option<PathBuf>,
}

/// Each window's target and the model's prediction, in the series' units.
pub fn predictions(rnn: &RNN, framing: Framing, windows: &Windows) -> Result<Vec<Prediction>> {
    let preds = predict_next(rnn, framing, &windows.ds.X.to_device(rnn.get_ht.ws.device()));
    let preds: Vec<f32> = Vec::try_from(preds.to_device(Device::Cpu).flatten(0, -1))?;
    let (series, f) = (&windows.series, windows.series.features());
    let unscale = |j: usize, y: f64| windows.scaling.as_ref().map_or(y, |s| s.unscale(j, y));
    let rows: Vec<Prediction> = windows
        .targets
        .iter()
        .enumerate()
        .map(|(i, &index)| Prediction {
            index,
            time: series.label(index).map(String::from),
            split: windows.split_of(i).to_string(),
            targets: series.rows[index].clone(),
            preds: (0..f).map(|j| unscale(j, preds[i * f + j] as f64)).collect(),
        })
        .collect();
    Ok(rows)
}

/// predictions.csv of `windows` (files::tables has its format).
pub fn predictions_csv(windows: &Windows, rows: &[Prediction]) -> Csv {
    tables::predictions_csv(&windows.series.names, windows.series.time.is_some(), rows)
}

/// `vanilla-rnn predict`: the predictions, and their one-step MSE over all windows.
pub fn predict(args: &PredictArgs) -> Result<(Csv, f64)> {
    let loaded = load_model(&args.trained.weights(), &args.trained.model)?;
    let RunSeries { windows, .. } = series_for(&loaded, &args.trained.data)?;
    let mse = evaluate(&loaded.rnn, loaded.framing, &windows.ds.X, &windows.ds.Y);
    Ok((predictions_csv(&windows, &predictions(&loaded.rnn, loaded.framing, &windows)?), mse))
}
