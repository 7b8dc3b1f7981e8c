//! `vanilla-rnn predict`: a trained model's prediction of every window's next point, in the
//! series' own units.

use super::trained::{chosen_series, load_model, series_for, RunSeries, TrainedArgs};
use crate::data::framing::Framing;
use crate::data::scaling::{unscaled, Scaling};
use crate::data::Windows;
use crate::data::{batches_of, for_batches, per_worker, Series, Splits};
use crate::fast;
use crate::files::atomic::atomic_write;
use crate::files::tables::{self, Layout, PredictionRow, Predictions};
use crate::model::loss::predict_next_by;
use crate::model::RNN;
use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};
use tch::{Device, Tensor};

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
        // Beyond one batch, the fast step's forward (a third faster), once it gave libtorch's bits
        // on the first and the last batch.
        let batches: Vec<(i64, i64)> = batches_of(n).collect();
        let fast = batches.len() > 1
            && [batches[0], batches[batches.len() - 1]].iter().all(|&(first, count)| {
                fast::predicts_as_libtorch(rnn, &framing.frame(&x.narrow(0, first, count).to_device(device)).inputs)
            });
        let states = per_worker(device, || (rnn.shallow_clone(), x.shallow_clone()));
        let predict = |(rnn, x): &(RNN, Tensor), first, count| {
            let batch = x.narrow(0, first, count).to_device(device);
            let forward = |inputs: &Tensor| fast.then(|| fast::predict(rnn, inputs)).flatten().unwrap_or_else(|| rnn.predict(inputs));
            Ok(Vec::<f32>::try_from(predict_next_by(framing, &batch, forward).to_device(Device::Cpu).flatten(0, -1))?)
        };
        for_batches(n, states, predict, |batch| {
            model.extend(batch);
            Ok(())
        })?;
        Ok(Predicted { windows, model, only: None })
    }

    /// Window `i`'s prediction, in the series' units.
    pub fn row(&self, i: usize) -> Vec<f64> {
        let f = self.windows.series.features();
        self.windows.unscaled(self.windows.series_of_window(i), self.model[i * f..(i + 1) * f].iter().map(|&v| v as f64))
    }

    /// predictions.csv (files::tables has its format), streamed to `w`: the text of a batch of
    /// rows on each core (a long series' numbers take seconds to format), written in order.
    pub fn write(&self, w: &mut impl Write) -> Result<()> {
        let (windows, lines) = (self.windows, self.lines());
        tables::write_predictions_header(w, &windows.series.names, lines.layout())?;
        let text = |_: &(), first: i64, count: i64| {
            let mut text = Vec::with_capacity(count as usize * 64);
            lines.write(first as usize..(first + count) as usize, &mut text)?;
            Ok(text)
        };
        for_batches(windows.targets.len(), per_worker(Device::Cpu, || ()), text, |text| Ok(w.write_all(&text)?))
    }

    /// predictions.csv's rows (every series') as the figures read them, without time labels,
    /// the predictions kept as the model gave them.
    pub fn into_table(self) -> Predictions {
        let (windows, n) = (self.windows, self.windows.targets.len());
        let names = windows.series.groups.as_ref().map_or(vec![], |g| g.names.clone());
        let mut table = Predictions::of_model(windows.series.features(), names, windows.scaling.clone(), n);
        let many = windows.series.groups.is_some();
        // (the table unscales the predictions as it reads them: none made here)
        let pushed: Result<(), std::convert::Infallible> = Lines { only: None, model: &[], ..self.lines() }.each_row(0..n, |k, row| {
            table.push_row(many.then_some(k as u32), row);
            Ok(())
        });
        let Ok(()) = pushed;
        table.set_model(self.model);
        table
    }

    fn lines(&self) -> Lines<'_> {
        let windows = self.windows;
        Lines {
            series: &windows.series,
            scaling: &windows.scaling,
            targets: &windows.targets,
            splits: windows.splits(),
            model: &self.model,
            only: self.only,
        }
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

/// What the rows of predictions.csv read, without the windows' tensors (which no two threads may
/// share).
struct Lines<'a> {
    series: &'a Series,
    scaling: &'a [Scaling],
    targets: &'a [usize],
    splits: Splits,
    /// [windows x features], in model units.
    model: &'a [f32],
    only: Option<usize>,
}

impl Lines<'_> {
    fn layout(&self) -> Layout {
        Layout { series: self.series.groups.is_some(), time: self.series.time.is_some() }
    }

    /// The rows of the windows `windows`.
    fn write(&self, windows: std::ops::Range<usize>, w: &mut impl Write) -> std::io::Result<()> {
        let layout = self.layout();
        self.each_row(windows, |_, row| tables::write_prediction_row(w, layout, row))
    }

    /// `row(series, the row)` for each window of `windows` (of the series `only`, if said); the
    /// row's predictions empty when `model` is.
    fn each_row<E>(&self, windows: std::ops::Range<usize>, mut row: impl FnMut(usize, &PredictionRow) -> Result<(), E>) -> Result<(), E> {
        let (series, f) = (self.series, self.series.features());
        for i in windows {
            let index = self.targets[i];
            let k = series.series_of(index);
            if self.only.is_some_and(|only| only != k) {
                continue;
            }
            let preds = match self.model.get(i * f..(i + 1) * f) {
                Some(model) => unscaled(self.scaling.get(k), model.iter().map(|&v| v as f64)),
                None => vec![],
            };
            let line = PredictionRow {
                series: series.name_of(k),
                index: index - series.span(k).start,
                time: series.label(index),
                split: self.splits.split_of(i),
                targets: &series.rows[index],
                preds: &preds,
            };
            row(k, &line)?;
        }
        Ok(())
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
            let written = predicted.write(&mut out).and_then(|()| Ok(out.flush()?));
            match written {
                Err(e) if e.downcast_ref::<std::io::Error>().is_none_or(|e| e.kind() != std::io::ErrorKind::BrokenPipe) => return Err(e),
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
