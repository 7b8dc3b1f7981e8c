//! What the series alone predicts, for the RNN to beat: persistence (the next point is the last
//! one seen), a linear autoregression fitted by least squares on the training windows, and, when
//! the series has a season, the seasonal naive (the value one season earlier). All are scored as
//! the RNN is, by the MSE on the held-out windows in model units, so that the numbers compare
//! directly.

use super::{model_rows, TrignoDS, Windows};
use anyhow::Result;
use tch::{Kind, Reduction, Tensor};

/// The baselines' test losses (NaN when nothing is held out).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baselines {
    /// x_{t+1} = x_t.
    pub persistence: f64,
    /// x_{t+1} = W [x_{t-seq_len+1}, ..., x_t, 1], W fitted by least squares on the training windows.
    pub linear: f64,
    /// x_{t+1} = x_{t+1-season}, for a series with a season.
    pub seasonal: Option<SeasonalNaive>,
}

/// The seasonal naive baseline's season (in rows) and its test loss, over the held-out windows
/// whose target has a row one season earlier, without a gap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeasonalNaive {
    pub season: usize,
    pub test_loss: f64,
}

impl Baselines {
    /// The baselines on `windows`' test tail; the seasonal naive with a `season`.
    pub fn of(windows: &Windows, season: Option<usize>) -> Result<Baselines> {
        let (train, test) = (windows.training(), windows.test());
        let seasonal = season.map(|season| SeasonalNaive { season, test_loss: seasonal_naive(windows, season) });
        if test.is_empty() {
            return Ok(Baselines { persistence: f64::NAN, linear: f64::NAN, seasonal });
        }
        let last = test.X.select(1, -1);
        let persistence = f64::try_from(last.mse_loss(&test.Y, Reduction::Mean))?;
        let pred = design(&test.X).matmul(&linear_fit(&train)?);
        let linear = f64::try_from((pred - test.Y.to_kind(Kind::Double)).square().mean(None))?;
        Ok(Baselines { persistence, linear, seasonal })
    }
}

/// [window's inputs, flattened | 1] in float64.
fn design(x: &Tensor) -> Tensor {
    let flat = x.flatten(1, -1).to_kind(Kind::Double);
    let ones = Tensor::ones([flat.size()[0], 1], (Kind::Double, flat.device()));
    Tensor::cat(&[flat, ones], 1)
}

/// The linear AR's weights, by least squares on the training windows (gelsy copes with
/// collinear inputs, the circle's).
fn linear_fit(train: &TrignoDS) -> Result<Tensor> {
    let (w, _, _, _) = design(&train.X).f_linalg_lstsq(&train.Y.to_kind(Kind::Double), None, "gelsy")?;
    Ok(w)
}

/// One baseline's prediction of each test window's target, in the series' units (None where it
/// has none: the seasonal naive without a row one season back).
pub struct BaselinePredictions {
    pub name: &'static str,
    pub preds: Vec<Option<Vec<f64>>>,
}

/// Every baseline's predictions of the test tail (scores.csv scores them as it scores the RNN).
pub fn test_predictions(windows: &Windows, season: Option<usize>) -> Result<Vec<BaselinePredictions>> {
    let (test, rows) = (windows.test(), &windows.series.rows);
    let targets = &windows.targets[windows.test_start()..];
    // The persistence and the seasonal naive repeat a row of the file as it is; the linear AR's
    // prediction is unscaled.
    let earlier = |lag: usize| -> Vec<Option<Vec<f64>>> {
        targets.iter().map(|&t| t.checked_sub(lag).map(|i| rows[i].clone()).filter(|r| r.iter().all(|v| !v.is_nan()))).collect()
    };
    let linear: Vec<f64> = Vec::try_from(design(&test.X).matmul(&linear_fit(&windows.training())?).flatten(0, -1))?;
    let unscale = |j: usize, v: f64| windows.scaling.as_ref().map_or(v, |s| s.unscale(j, v));
    let f = windows.series.features();
    let linear = linear.chunks(f).map(|r| Some(r.iter().enumerate().map(|(j, &v)| unscale(j, v)).collect())).collect();
    let mut out =
        vec![BaselinePredictions { name: "persistence", preds: earlier(1) }, BaselinePredictions { name: "linear", preds: linear }];
    out.extend(season.map(|season| BaselinePredictions { name: "seasonal_naive", preds: earlier(season) }));
    Ok(out)
}

/// The seasonal naive's MSE over the test windows whose target row t has a row t - season without
/// a gap (NaN when none has), in model units.
fn seasonal_naive(windows: &Windows, season: usize) -> f64 {
    let rows = model_rows(&windows.series, windows.scaling.as_ref());
    let f = windows.series.features();
    let row = |t: usize| &rows[t * f..(t + 1) * f];
    let (mut sum, mut count) = (0.0f64, 0usize);
    for &t in &windows.targets[windows.test_start()..] {
        let Some(earlier) = t.checked_sub(season).map(row).filter(|r| r.iter().all(|v| !v.is_nan())) else { continue };
        sum += earlier.iter().zip(row(t)).map(|(&p, &y)| (p as f64 - y as f64).powi(2)).sum::<f64>();
        count += f;
    }
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ScalingRule, Series, Split, Windows};

    fn windows(rows: Vec<Vec<f64>>) -> Windows {
        let series = Series { names: vec!["a".into()], rows, time: None, gaps: 0 };
        Windows::new(series, ScalingRule::Unscaled, 2, Split { test_fraction: 0.25, val_fraction: 0.0 }).unwrap()
    }

    #[test]
    fn each_baselines_test_predictions_give_its_test_loss() {
        let w = windows((0..40).map(|i| vec![(i % 3) as f64 + 10.0 * (i / 3) as f64 + 0.1 * (i as f64).sin()]).collect());
        let b = Baselines::of(&w, Some(3)).unwrap();
        let test = &w.targets[w.test_start()..];
        for p in test_predictions(&w, Some(3)).unwrap() {
            let mse =
                p.preds.iter().zip(test).map(|(p, &t)| (p.as_ref().unwrap()[0] - w.series.rows[t][0] as f32 as f64).powi(2)).sum::<f64>()
                    / test.len() as f64;
            let want = match p.name {
                "persistence" => b.persistence,
                "linear" => b.linear,
                _ => b.seasonal.unwrap().test_loss,
            };
            assert!((mse - want).abs() <= 1e-6 * want, "{}: {mse} against {want}", p.name);
        }
    }

    #[test]
    fn persistence_is_the_last_value_seen() {
        // 0 1 0 1 ...: persistence is always off by one
        let w = windows((0..42).map(|i| vec![(i % 2) as f64]).collect());
        assert_eq!(Baselines::of(&w, None).unwrap().persistence, 1.0);
    }

    #[test]
    fn the_seasonal_naive_is_the_value_one_season_earlier() {
        // a period of 3 with a trend of 10 per period: one season back is off by exactly 10
        let w = windows((0..40).map(|i| vec![(i % 3) as f64 + 10.0 * (i / 3) as f64]).collect());
        let b = Baselines::of(&w, Some(3)).unwrap();
        assert_eq!(b.seasonal, Some(SeasonalNaive { season: 3, test_loss: 100.0 }));
        assert!(Baselines::of(&w, None).unwrap().seasonal.is_none());
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
        let b = Baselines::of(&windows(rows), None).unwrap();
        assert!(b.linear < 1e-10, "{b:?}");
        assert!(b.persistence > 0.1, "{b:?}");
    }
}
