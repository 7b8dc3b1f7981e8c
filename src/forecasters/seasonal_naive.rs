//! The seasonal naive, for a series with a season: x_{t+1} = x_{t+1-season}.

use super::forecaster::{earlier_row, model_mse, Baseline, Forecaster, TestPredictions};
use crate::data::{model_rows, Windows};
use anyhow::Result;

pub struct SeasonalNaive {
    /// In rows.
    pub season: usize,
}

impl Baseline for SeasonalNaive {
    fn fit(_: &Windows, season: Option<usize>) -> Result<Option<SeasonalNaive>> {
        Ok(season.map(|season| SeasonalNaive { season }))
    }
}

impl Forecaster for SeasonalNaive {
    fn name(&self) -> &'static str {
        "seasonal_naive"
    }

    fn label(&self) -> String {
        format!("seasonal naive ({})", self.season)
    }

    /// Over the test windows whose target row t has a row t - season without a gap (NaN when
    /// none has).
    fn test_loss(&self, windows: &Windows) -> Result<f64> {
        let rows = model_rows(&windows.series, &windows.scaling);
        let f = windows.series.features();
        let row = |t: usize| rows[t * f..(t + 1) * f].iter().map(|&v| v as f64).collect::<Vec<f64>>();
        let predictions: Vec<Option<Vec<f64>>> = windows.targets[windows.test_start()..]
            .iter()
            .map(|&t| earlier_row(windows, t, self.season).map(row).filter(|r| r.iter().all(|v| !v.is_nan())))
            .collect();
        model_mse(windows, &predictions)
    }

    fn test_predictions(&self, windows: &Windows) -> Result<TestPredictions> {
        Ok(TestPredictions::earlier(windows, self.season))
    }
}
