//! The random walk with drift (Hyndman's `rwf(drift = TRUE)`): the last value seen plus h times
//! the mean step between the series' first value and it, x_{T+h} = x_T + h (x_T - x_1) / (T - 1)
//! (persistence with one value). A baseline one step ahead, and the fallback forecast of a
//! series too short for the model's window.

use super::forecaster::{model_mse, Baseline, Forecaster, TestPredictions};
use crate::data::{model_rows, Windows};
use anyhow::Result;

pub struct Drift;

/// `steps` points after `rows` (each a row of features): the drift from the first to the last.
pub fn ahead(first: &[f64], last: &[f64], rows: usize, steps: usize) -> Vec<Vec<f64>> {
    let slope: Vec<f64> = first.iter().zip(last).map(|(a, b)| if rows > 1 { (b - a) / (rows - 1) as f64 } else { 0.0 }).collect();
    (1..=steps).map(|h| last.iter().zip(&slope).map(|(l, s)| l + h as f64 * s).collect()).collect()
}

impl Drift {
    /// Each test window's one-step drift in model units, from its series' first row to the
    /// row before its target (none where either is a gap).
    fn model_predictions(windows: &Windows) -> Vec<Option<Vec<f64>>> {
        let (rows, f) = (model_rows(&windows.series, &windows.scaling), windows.series.features());
        let row = |t: usize| rows[t * f..(t + 1) * f].iter().map(|&v| v as f64).collect::<Vec<f64>>();
        let known = |r: &Vec<f64>| r.iter().all(|v| !v.is_nan());
        windows.targets[windows.test_start()..]
            .iter()
            .map(|&t| {
                let start = windows.series.span(windows.series.series_of(t)).start;
                let (first, last) = (row(start), row(t - 1));
                (known(&first) && known(&last)).then(|| ahead(&first, &last, t - start, 1).remove(0))
            })
            .collect()
    }
}

impl Baseline for Drift {
    fn fit(_: &Windows, _: Option<usize>) -> Result<Option<Drift>> {
        Ok(Some(Drift))
    }
}

impl Forecaster for Drift {
    fn name(&self) -> &'static str {
        "drift"
    }

    /// Over the test windows it predicts (NaN when none).
    fn test_loss(&self, windows: &Windows) -> Result<f64> {
        model_mse(windows, &Self::model_predictions(windows))
    }

    /// Unscaled from the model's units.
    fn test_predictions(&self, windows: &Windows) -> Result<TestPredictions> {
        let first = windows.test_start();
        let f = windows.series.features();
        let rows = Self::model_predictions(windows)
            .into_iter()
            .enumerate()
            .map(|(i, p)| p.map(|p| windows.unscaled(windows.series_of_window(first + i), p.into_iter())))
            .collect::<Vec<_>>();
        Ok(TestPredictions::some(rows, f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ScalingRule, Series, Split};

    fn windows(rows: Vec<f64>) -> Windows {
        let series = Series {
            names: vec!["a".into()],
            rows: rows.into_iter().map(|v| vec![v]).collect::<Vec<_>>().into(),
            time: None,
            gaps: 0,
            groups: None,
        };
        Windows::new(series, ScalingRule::Unscaled, 2, Split { test_fraction: 0.25, val_fraction: 0.0 }).unwrap()
    }

    #[test]
    fn the_drift_goes_on_at_the_mean_step_from_the_first_value() {
        assert_eq!(ahead(&[1.0], &[7.0], 4, 3), vec![vec![9.0], vec![11.0], vec![13.0]], "(7 - 1) / 3 = 2 a step");
        assert_eq!(ahead(&[5.0], &[5.0], 1, 2), vec![vec![5.0], vec![5.0]], "one value: persistence");
    }

    #[test]
    fn a_straight_line_is_the_drifts_exactly_and_not_persistences() {
        let w = windows((0..40).map(|i| 3.0 + 0.5 * i as f64).collect());
        assert_eq!(Drift.test_loss(&w).unwrap(), 0.0);
        let p = Drift.test_predictions(&w).unwrap();
        let first = w.targets[w.test_start()];
        assert_eq!(p.get(0).unwrap(), &[3.0 + 0.5 * first as f64]);
        let zigzag = windows((0..40).map(|i| (i % 2) as f64).collect());
        assert!(Drift.test_loss(&zigzag).unwrap() > 0.5, "a series without a trend: the drift is near persistence");
    }
}
