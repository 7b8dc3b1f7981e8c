//! Persistence: the next point is the last one seen, x_{t+1} = x_t.

use super::forecaster::{Baseline, Forecaster, TestPredictions};
use crate::data::Windows;
use anyhow::Result;
use tch::Reduction;

pub struct Persistence;

impl Baseline for Persistence {
    fn fit(_: &Windows, _: Option<usize>) -> Result<Option<Persistence>> {
        Ok(Some(Persistence))
    }
}

impl Forecaster for Persistence {
    fn name(&self) -> &'static str {
        "persistence"
    }

    fn test_loss(&self, windows: &Windows) -> Result<f64> {
        let test = windows.test();
        if test.is_empty() {
            return Ok(f64::NAN);
        }
        Ok(f64::try_from(test.X.select(1, -1).mse_loss(&test.Y, Reduction::Mean))?)
    }

    fn test_predictions(&self, windows: &Windows) -> Result<TestPredictions> {
        Ok(TestPredictions::earlier(windows, 1))
    }
}
