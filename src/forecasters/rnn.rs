//! The RNN as a forecaster: its prediction of every window's next point (what predictions.csv
//! and scores.csv hold), and its test loss as the trainer computes it.

use super::forecaster::{Forecaster, TestPredictions};
use crate::data::framing::Framing;
use crate::data::{batches_of, for_batches, per_worker, Windows};
use crate::fast;
use crate::model::loss::{evaluate, predict_next_by};
use crate::model::RNN;
use anyhow::Result;
use tch::{Device, Tensor};

/// The model's prediction of every window's next point, in the series' units: what
/// predictions.csv and scores.csv hold.
pub struct Predicted<'w> {
    pub windows: &'w Windows,
    /// The series whose rows `write` writes (every one when none).
    pub only: Option<usize>,
    /// [windows x features], in model units.
    pub model: Vec<f32>,
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
}

/// The trained RNN, with its predictions of the run's windows.
pub struct Rnn<'a> {
    pub rnn: &'a RNN,
    pub framing: &'a Framing,
    pub predicted: &'a Predicted<'a>,
}

impl Forecaster for Rnn<'_> {
    fn name(&self) -> &'static str {
        "rnn"
    }

    fn test_loss(&self, windows: &Windows) -> Result<f64> {
        let test = windows.test();
        evaluate(self.rnn, self.framing, &test.X, &test.Y)
    }

    /// The run's predictions when `windows` are the run's, else the model's anew.
    fn test_predictions(&self, windows: &Windows) -> Result<TestPredictions> {
        let fresh;
        let predicted = if std::ptr::eq(windows, self.predicted.windows) {
            self.predicted
        } else {
            fresh = Predicted::of(self.rnn, self.framing, windows)?;
            &fresh
        };
        let rows = (windows.test_start()..windows.targets.len()).flat_map(|i| predicted.row(i)).collect();
        Ok(TestPredictions::every(rows, windows.series.features()))
    }
}
