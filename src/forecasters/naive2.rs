//! Naive2, the M competitions' benchmark: the last value, seasonally adjusted where the series is
//! seasonal (decomposition.rs, fitted on the series' rows up to its last training target), and
//! multiplied back by the next row's season. For a series with a season only; where the test
//! finds none, it is persistence.

use super::decomposition::Seasonality;
use super::forecaster::{unit_mse, Baseline, Forecaster, TestPredictions};
use crate::data::Windows;
use anyhow::Result;

pub struct Naive2 {
    /// In rows.
    pub season: usize,
}

impl Naive2 {
    /// Each test window's prediction in the series' units, none where the row before is a gap.
    fn predictions(&self, windows: &Windows) -> Vec<Option<Vec<f64>>> {
        let (series, f) = (&windows.series, windows.series.features());
        let first = windows.test_start();
        let seasons: Vec<Vec<Seasonality>> = (0..series.count())
            .map(|k| (0..f).map(|j| Seasonality::multiplicative(&series.rows.column(windows.in_sample(k), j), Some(self.season))).collect())
            .collect();
        windows.targets[first..]
            .iter()
            .map(|&t| {
                let (k, start) = (series.series_of(t), series.span(series.series_of(t)).start);
                let (i, before) = (t - start, series.rows.get(t.checked_sub(1)?).filter(|_| t > start)?);
                let row: Vec<f64> = (0..f).map(|j| seasons[k][j].restore(i, seasons[k][j].adjust(i - 1, before[j]))).collect();
                row.iter().all(|v| v.is_finite()).then_some(row)
            })
            .collect()
    }
}

impl Baseline for Naive2 {
    fn fit(_: &Windows, season: Option<usize>) -> Result<Option<Naive2>> {
        Ok(season.filter(|&m| m > 1).map(|season| Naive2 { season }))
    }
}

impl Forecaster for Naive2 {
    fn name(&self) -> &'static str {
        "naive2"
    }

    fn label(&self) -> String {
        "Naive2".into()
    }

    /// In model units, over the test windows it predicts.
    fn test_loss(&self, windows: &Windows) -> Result<f64> {
        unit_mse(windows, self.predictions(windows))
    }

    fn test_predictions(&self, windows: &Windows) -> Result<TestPredictions> {
        Ok(TestPredictions::some(self.predictions(windows), windows.series.features()))
    }
}
