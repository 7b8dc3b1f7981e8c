//! `vanilla-rnn predict`: a trained model's prediction of every window's next point, in the
//! series' own units.

use super::trained::{chosen_series, load_model, series_for, RunSeries, TrainedArgs};
use crate::data::batches_of;
use crate::data::framing::Framing;
use crate::data::Windows;
use crate::files::atomic::atomic_write;
use crate::files::tables::{self, Layout, PredictionRow};
use crate::model::loss::predict_next;
use crate::model::RNN;
use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};
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

/// The model's prediction of every window's next point, in the series' units: what
/// predictions.csv and scores.csv hold.
pub struct Predicted<'w> {
    windows: &'w Windows,
    /// The series whose rows `write` writes (every one when none).
    pub only: Option<usize>,
    /// [windows x features], in model units.
    model: Vec<f32>,
}

impl<'w> Predicted<'w> {
    pub fn of(rnn: &RNN, framing: &Framing, windows: &'w Windows) -> Result<Predicted<'w>> {
        let (n, x, device) = (windows.ds.len(), &windows.ds.X, rnn.get_ht.ws.device());
        let mut model = Vec::with_capacity(n * windows.series.features());
        for (first, count) in batches_of(n) {
            let batch = x.narrow(0, first, count).to_device(device);
            model.extend(Vec::<f32>::try_from(predict_next(rnn, framing, &batch).to_device(Device::Cpu).flatten(0, -1))?);
        }
        Ok(Predicted { windows, model, only: None })
    }

    /// Window `i`'s prediction, in the series' units.
    pub fn row(&self, i: usize) -> Vec<f64> {
        let f = self.windows.series.features();
        self.windows.unscaled(self.windows.series_of_window(i), self.model[i * f..(i + 1) * f].iter().map(|&v| v as f64))
    }

    /// predictions.csv (files::tables has its format), streamed to `w`.
    pub fn write(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        let series = &self.windows.series;
        let layout = Layout { series: series.groups.is_some(), time: series.time.is_some() };
        tables::write_predictions_header(w, &series.names, layout)?;
        for (i, &index) in self.windows.targets.iter().enumerate() {
            let k = series.series_of(index);
            if self.only.is_some_and(|only| only != k) {
                continue;
            }
            let preds = self.row(i);
            let row = PredictionRow {
                series: series.name_of(k),
                index: index - series.span(k).start,
                time: series.label(index),
                split: self.windows.split_of(i),
                targets: &series.rows[index],
                preds: &preds,
            };
            tables::write_prediction_row(w, layout, &row)?;
        }
        Ok(())
    }

    /// predictions.csv at `path`, whole or not at all.
    pub fn save(&self, path: &Path) -> Result<()> {
        atomic_write(path, |tmp| {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(tmp)?);
            self.write(&mut w)?;
            w.flush()?;
            Ok(())
        })
    }
}

/// `vanilla-rnn predict`: the predictions, to --out or standard output; their one-step MSE over
/// all windows.
pub fn predict(args: &PredictArgs) -> Result<f64> {
    let loaded = load_model(&args.trained.weights(), &args.trained.model)?;
    let RunSeries { windows, .. } = series_for(&loaded, &args.trained.data)?;
    let chosen = chosen_series(&windows, args.trained.series.as_deref())?;
    let mut predicted = Predicted::of(&loaded.rnn, &loaded.framing, &windows)?;
    predicted.only = args.trained.series.as_ref().map(|_| chosen[0]);
    match &args.out {
        Some(path) => predicted.save(path)?,
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`| head`) is the reader's choice, not an error.
            match predicted.write(&mut out).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
                _ => {}
            }
        }
    }
    Ok(mse_of(&predicted, &windows))
}

/// The one-step MSE in model units over every window written (as `evaluate`, in f64 over the
/// batches).
fn mse_of(predicted: &Predicted, windows: &Windows) -> f64 {
    let y: Vec<f32> = Vec::try_from(windows.ds.Y.flatten(0, -1)).unwrap_or_default();
    let f = windows.series.features();
    let written = |&(i, _): &(usize, _)| predicted.only.is_none_or(|k| windows.series_of_window(i / f) == k);
    let squares: Vec<f64> =
        predicted.model.iter().zip(&y).enumerate().filter(written).map(|(_, (&p, &t))| (p as f64 - t as f64).powi(2)).collect();
    if squares.is_empty() {
        return f64::NAN;
    }
    squares.iter().sum::<f64>() / squares.len() as f64
}
