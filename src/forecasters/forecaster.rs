//! What every forecaster is to a run: a name, a fit on the windows before the test tail, and a
//! prediction of each held-out window's next point. baselines.csv, scores.csv, the training
//! summary and loss.png each loop over `baselines`' list; adding a forecaster is a file beside
//! this one and a line in that list.

use super::linear::Linear;
use super::persistence::Persistence;
use super::seasonal_naive::SeasonalNaive;
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

/// The baselines, fitted, in the order the files list them.
pub fn baselines(windows: &Windows, season: Option<usize>) -> Result<Vec<Box<dyn Forecaster>>> {
    let mut list: Vec<Box<dyn Forecaster>> = vec![];
    fitted::<Persistence>(&mut list, windows, season)?;
    fitted::<Linear>(&mut list, windows, season)?;
    fitted::<SeasonalNaive>(&mut list, windows, season)?;
    Ok(list)
}

fn fitted<F: Baseline + 'static>(list: &mut Vec<Box<dyn Forecaster>>, windows: &Windows, season: Option<usize>) -> Result<()> {
    if let Some(f) = F::fit(windows, season)? {
        list.push(Box::new(f));
    }
    Ok(())
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

/// Row `t - lag`, when it is a row of the same series as row `t`.
pub fn earlier_row(windows: &Windows, t: usize, lag: usize) -> Option<usize> {
    let start = windows.series.span(windows.series.series_of(t)).start;
    t.checked_sub(lag).filter(|&i| i >= start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ScalingRule, Series, Split};

    fn windows(rows: Vec<Vec<f64>>) -> Windows {
        let series = Series { names: vec!["a".into()], rows: rows.into(), time: None, gaps: 0, groups: None };
        Windows::new(series, ScalingRule::Unscaled, 2, Split { test_fraction: 0.25, val_fraction: 0.0 }).unwrap()
    }

    fn loss_of(list: &[Box<dyn Forecaster>], name: &str, w: &Windows) -> f64 {
        list.iter().find(|f| f.name() == name).unwrap().test_loss(w).unwrap()
    }

    #[test]
    fn each_baselines_test_predictions_give_its_test_loss() {
        let w = windows((0..40).map(|i| vec![(i % 3) as f64 + 10.0 * (i / 3) as f64 + 0.1 * (i as f64).sin()]).collect());
        let list = baselines(&w, Some(3)).unwrap();
        let names: Vec<&str> = list.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["persistence", "linear", "seasonal_naive"]);
        let test = &w.targets[w.test_start()..];
        for f in &list {
            let p = f.test_predictions(&w).unwrap();
            let mse = (0..test.len()).map(|i| (p.get(i).unwrap()[0] - w.series.rows[test[i]][0] as f32 as f64).powi(2)).sum::<f64>()
                / test.len() as f64;
            let want = f.test_loss(&w).unwrap();
            assert!((mse - want).abs() <= 1e-6 * want, "{}: {mse} against {want}", f.name());
        }
    }

    #[test]
    fn persistence_is_the_last_value_seen() {
        // 0 1 0 1 ...: persistence is always off by one
        let w = windows((0..42).map(|i| vec![(i % 2) as f64]).collect());
        assert_eq!(loss_of(&baselines(&w, None).unwrap(), "persistence", &w), 1.0);
    }

    #[test]
    fn the_seasonal_naive_is_the_value_one_season_earlier_and_only_with_a_season() {
        // a period of 3 with a trend of 10 per period: one season back is off by exactly 10
        let w = windows((0..40).map(|i| vec![(i % 3) as f64 + 10.0 * (i / 3) as f64]).collect());
        let list = baselines(&w, Some(3)).unwrap();
        assert_eq!(loss_of(&list, "seasonal_naive", &w), 100.0);
        assert_eq!(list[2].label(), "seasonal naive (3)");
        assert!(baselines(&w, None).unwrap().iter().all(|f| f.name() != "seasonal_naive"));
    }

    #[test]
    fn the_linear_baseline_learns_an_exact_recurrence() {
        // x_t = 2 cos(0.5) x_{t-1} - x_{t-2} + 1, an undamped oscillation, is linear in its
        // window: the fit is exact but for the float32 rounding of the windows
        let mut rows = vec![vec![1.0], vec![2.0]];
        for t in 2..60 {
            let v = 2.0 * 0.5f64.cos() * rows[t - 1][0] - rows[t - 2][0] + 1.0;
            rows.push(vec![v]);
        }
        let w = windows(rows);
        let list = baselines(&w, None).unwrap();
        assert!(loss_of(&list, "linear", &w) < 1e-10);
        assert!(loss_of(&list, "persistence", &w) > 0.1);
    }
}
