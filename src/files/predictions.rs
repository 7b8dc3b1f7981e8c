//! predictions.csv: the RNN's prediction of every window (`forecasters::rnn::Predicted`),
//! written as files::tables formats it, and read by the figures as that table.

use super::atomic::atomic_write;
use super::tables::{self, Layout, PredictionRow, Predictions};
use crate::data::scaling::{unscaled, Scaling};
use crate::data::{for_batches, per_worker, Series, Splits};
use crate::forecasters::rnn::Predicted;
use anyhow::Result;
use std::io::Write;
use std::path::Path;
use tch::Device;

/// predictions.csv's rows, written from the predictions.
pub trait Written {
    fn write(&self, w: &mut impl Write) -> Result<()>;
    fn into_table(self) -> Predictions;
    /// predictions.csv at `path`, whole or not at all.
    fn save(&self, path: &Path) -> Result<()>;
}

impl Written for Predicted<'_> {
    fn write(&self, w: &mut impl Write) -> Result<()> {
        let (windows, lines) = (self.windows, lines(self));
        tables::write_predictions_header(w, &windows.series.names, lines.layout())?;
        let text = |_: &(), first: i64, count: i64| {
            let mut text = Vec::with_capacity(count as usize * 64);
            lines.write(first as usize..(first + count) as usize, &mut text)?;
            Ok(text)
        };
        for_batches(windows.targets.len(), per_worker(Device::Cpu, || ()), text, |text| Ok(w.write_all(&text)?))
    }

    fn into_table(self) -> Predictions {
        let (windows, n) = (self.windows, self.windows.targets.len());
        let names = windows.series.groups.as_ref().map_or(vec![], |g| g.names.clone());
        let mut table = Predictions::of_model(windows.series.features(), names, windows.scaling.clone(), n);
        let many = windows.series.groups.is_some();
        // (the table unscales the predictions as it reads them: none made here)
        let pushed: Result<(), std::convert::Infallible> = Lines { only: None, model: &[], ..lines(&self) }.each_row(0..n, |k, row| {
            table.push_row(many.then_some(k as u32), row);
            Ok(())
        });
        let Ok(()) = pushed;
        table.set_model(self.model);
        table
    }

    fn save(&self, path: &Path) -> Result<()> {
        atomic_write(path, |tmp| {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(tmp)?);
            self.write(&mut w)?;
            w.flush()?;
            Ok(())
        })
    }
}

/// What a run's predictions write.
fn lines<'a>(p: &'a Predicted) -> Lines<'a> {
    let windows = p.windows;
    Lines {
        series: &windows.series,
        scaling: &windows.scaling,
        targets: &windows.targets,
        splits: windows.splits(),
        model: &p.model,
        only: p.only,
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
