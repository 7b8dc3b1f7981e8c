//! What every forecaster is to a run: a name, a fit on the windows before the test tail, and a
//! prediction of each held-out window's next point. baselines.csv, scores.csv, the training
//! summary and loss.png each loop over list.rs's list; adding a forecaster is a file beside
//! this one and a line in that list.

use crate::data::Windows;
use anyhow::Result;

/// A forecaster of a run's series, fitted: the RNN (trained by train's loop) or a baseline.
pub trait Forecaster {
    /// Its name in baselines.csv and scores.csv.
    fn name(&self) -> &'static str;

    /// Its name in a sentence (the summary line, loss.png's legend).
    fn label(&self) -> String {
        self.name().replace('_', " ")
    }

    /// Its MSE on `windows`' test tail, in model units, as the RNN's test loss is (NaN where it
    /// predicts none). `windows` may be one series' of the windows it was fitted on.
    fn test_loss(&self, windows: &Windows) -> Result<f64>;

    /// Its prediction of each of `windows`' test windows, in the series' units.
    fn test_predictions(&self, windows: &Windows) -> Result<TestPredictions>;
}

/// A forecaster that learns from the series alone, fitted here.
pub trait Baseline: Forecaster {
    /// Fitted on `windows` (a series with a `season`): none where it does not apply (the
    /// seasonal naive without a season).
    fn fit(windows: &Windows, season: Option<usize>) -> Result<Option<Self>>
    where
        Self: Sized;
}

/// One forecaster's prediction of each test window's target, in the series' units (none where it
/// has none: the seasonal naive without a row one season back), in one buffer.
pub struct TestPredictions {
    /// [test windows x features], row after row (NaN where it has none).
    values: Vec<f64>,
    features: usize,
    has: Vec<bool>,
}

impl TestPredictions {
    /// Predictions for every window, `values` row after row.
    pub fn every(values: Vec<f64>, features: usize) -> TestPredictions {
        let has = vec![true; values.len() / features.max(1)];
        TestPredictions { values, features, has }
    }

    /// Predictions for the windows that have one, none for the rest.
    pub fn some(rows: Vec<Option<Vec<f64>>>, features: usize) -> TestPredictions {
        let has = rows.iter().map(Option::is_some).collect();
        let values = rows.into_iter().flat_map(|r| r.unwrap_or_else(|| vec![f64::NAN; features])).collect();
        TestPredictions { values, features, has }
    }

    /// Test window `i`'s prediction, when there is one.
    pub fn get(&self, i: usize) -> Option<&[f64]> {
        self.has[i].then(|| &self.values[i * self.features..(i + 1) * self.features])
    }

    /// Each test window's target's row `lag` rows earlier, as the file has it, where it is a row
    /// of the same series and has no gap (persistence: 1, the seasonal naive: the season).
    pub fn earlier(windows: &Windows, lag: usize) -> TestPredictions {
        let (rows, f) = (&windows.series.rows, windows.series.features());
        let targets = &windows.targets[windows.test_start()..];
        let mut out = TestPredictions { values: Vec::with_capacity(targets.len() * f), features: f, has: vec![] };
        for &t in targets {
            let row = earlier_row(windows, t, lag).map(|i| &rows[i]).filter(|r| r.iter().all(|v| !v.is_nan()));
            out.values.extend_from_slice(row.unwrap_or(&vec![f64::NAN; f]));
            out.has.push(row.is_some());
        }
        out
    }
}

/// The MSE in model units of one prediction per test window (none where a forecaster has
/// none) against the windows' targets, over the windows that have one (NaN when none has):
/// the test loss of a baseline that predicts row by row.
pub fn model_mse(windows: &Windows, predictions: &[Option<Vec<f64>>]) -> Result<f64> {
    let f = windows.series.features();
    let targets: Vec<f32> = Vec::try_from(windows.test().Y.flatten(0, -1))?;
    let (mut sum, mut count) = (0.0f64, 0usize);
    for (i, p) in predictions.iter().enumerate() {
        let Some(p) = p else { continue };
        sum += p.iter().zip(&targets[i * f..(i + 1) * f]).map(|(p, &y)| (p - y as f64).powi(2)).sum::<f64>();
        count += f;
    }
    Ok(if count == 0 { f64::NAN } else { sum / count as f64 })
}

/// `model_mse` of predictions in the series' units, each brought to model units (as float32,
/// as the windows hold them) by its series' scaling (none where it has no value there).
pub fn unit_mse(windows: &Windows, predictions: Vec<Option<Vec<f64>>>) -> Result<f64> {
    let first = windows.test_start();
    let scaled = predictions.into_iter().enumerate().map(|(i, p)| {
        let s = windows.scaling_of(windows.series_of_window(first + i));
        p.map(|p| p.iter().enumerate().map(|(j, &v)| s.map_or(v, |s| s.scale(j, v) as f32 as f64)).collect::<Vec<f64>>())
            .filter(|p| p.iter().all(|v| v.is_finite()))
    });
    model_mse(windows, &scaled.collect::<Vec<_>>())
}

/// Row `t - lag`, when it is a row of the same series as row `t`.
pub fn earlier_row(windows: &Windows, t: usize, lag: usize) -> Option<usize> {
    let start = windows.series.span(windows.series.series_of(t)).start;
    t.checked_sub(lag).filter(|&i| i >= start)
}
