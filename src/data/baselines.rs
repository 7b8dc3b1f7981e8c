//! What the series alone predicts, for the RNN to beat: persistence (the next point is the last
//! one seen), a linear autoregression fitted by least squares on the windows before the test
//! tail (the training and the validation windows), and, when the series has a season, the
//! seasonal naive (the value one season earlier). All are scored as the RNN is, by the MSE on the
//! held-out windows in model units, so that the numbers compare directly.

use super::framing::{design, normal_equations};
use super::batches::{for_batches, map_batches, per_worker, ONE_BATCH};
use super::scaling::model_rows;
use super::windows::{TrignoDS, Windows};
use anyhow::Result;
use tch::{Kind, Reduction, Tensor};

/// The baselines' test losses (NaN when nothing is held out).
#[derive(Debug, Clone, PartialEq)]
pub struct Baselines {
    /// x_{t+1} = x_t.
    pub persistence: f64,
    /// x_{t+1} = W [x_{t-seq_len+1}, ..., x_t, 1], W fitted by least squares on the windows before
    /// the test tail.
    pub linear: f64,
    /// x_{t+1} = x_{t+1-season}, for a series with a season.
    pub seasonal: Option<SeasonalNaive>,
    /// The linear AR's weights, [seq_len * features + 1, features] row-major (none without a test tail).
    pub linear_weights: Vec<f64>,
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
        if windows.test().is_empty() {
            return Self::scored(windows, season, None);
        }
        // a baseline chooses nothing, so it learns from every window before the test tail, as the
        // peers do (scripts/forecast_peers.py): the training windows and the validation windows
        Self::scored(windows, season, Some(&linear_fit(&windows.before_test())?))
    }

    /// The baselines on `windows`' test tail, the linear AR's weights given (fitted on another
    /// set of windows: all series', for one series' scores).
    pub fn scored(windows: &Windows, season: Option<usize>, w: Option<&Tensor>) -> Result<Baselines> {
        let test = windows.test();
        let seasonal = season.map(|season| SeasonalNaive { season, test_loss: seasonal_naive(windows, season) });
        let Some(w) = w.filter(|_| !test.is_empty()) else {
            return Ok(Baselines { persistence: f64::NAN, linear: f64::NAN, seasonal, linear_weights: vec![] });
        };
        let last = test.X.select(1, -1);
        let persistence = f64::try_from(last.mse_loss(&test.Y, Reduction::Mean))?;
        let states = per_worker(w.device(), || (test.X.shallow_clone(), test.Y.shallow_clone(), w.shallow_clone()));
        let batches = map_batches(test.len(), states, |(x, y, w), first, count| {
            let pred = design(&x.narrow(0, first, count)).matmul(w);
            Ok(f64::try_from((pred - y.narrow(0, first, count).to_kind(Kind::Double)).square().sum(Kind::Double))?)
        })?;
        // added in batch order, as one thread would
        let squares = batches.iter().fold(0.0, |sum, s| sum + s);
        let linear = squares / (test.len() * windows.series.features()) as f64;
        Ok(Baselines { persistence, linear, seasonal, linear_weights: Vec::try_from(w.flatten(0, -1))? })
    }

    /// The linear AR's weights, as a tensor again.
    pub fn weights(&self, features: usize) -> Option<Tensor> {
        (!self.linear_weights.is_empty()).then(|| Tensor::from_slice(&self.linear_weights).view([-1, features as i64]))
    }
}

/// libtorch's least-squares driver for the linear AR: the SVD's, which copes with collinear
/// inputs (the circle's). gelsy, which this was until 2026-12-02, gave weights that differed in
/// their last bits from one run of the same command to the next (the Nile's 92 windows: five
/// different fits in six runs), so that two identical runs wrote different scores.csv.
const DRIVER: &str = "gelsd";

/// The linear AR's weights, by least squares on the windows `train` (`DRIVER`). Beyond
/// `ONE_BATCH` windows: by the normal equations (X'X) w = X'y, each summed over the batches in
/// f64, then solved the same way.
fn linear_fit(train: &TrignoDS) -> Result<Tensor> {
    if train.len() <= ONE_BATCH {
        let (w, _, _, _) = design(&train.X).f_linalg_lstsq(&train.Y.to_kind(Kind::Double), None, DRIVER)?;
        return Ok(w);
    }
    let (xtx, xty) = normal_equations(&train.X, &train.Y)?.expect("more than one batch of windows");
    let (w, _, _, _) = xtx.f_linalg_lstsq(&xty, None, DRIVER)?;
    Ok(w)
}

/// One baseline's prediction of each test window's target, in the series' units (none where it
/// has none: the seasonal naive without a row one season back), in one buffer.
pub struct BaselinePredictions {
    pub name: &'static str,
    /// [test windows x features], row after row (NaN where it has none).
    values: Vec<f64>,
    features: usize,
    has: Vec<bool>,
}

impl BaselinePredictions {
    /// Test window `i`'s prediction, when there is one.
    pub fn get(&self, i: usize) -> Option<&[f64]> {
        self.has[i].then(|| &self.values[i * self.features..(i + 1) * self.features])
    }
}

/// Every baseline's predictions of the test tail (scores.csv scores them as it scores the RNN),
/// the linear AR's with the weights `fitted` found.
pub fn test_predictions(windows: &Windows, fitted: &Baselines) -> Result<Vec<BaselinePredictions>> {
    let season = fitted.seasonal.map(|s| s.season);
    let (test, rows, f) = (windows.test(), &windows.series.rows, windows.series.features());
    let targets = &windows.targets[windows.test_start()..];
    // The persistence and the seasonal naive repeat a row of the file as it is; the linear AR's
    // prediction is unscaled.
    let earlier = |name: &'static str, lag: usize| {
        let mut out = BaselinePredictions { name, values: Vec::with_capacity(targets.len() * f), features: f, has: vec![] };
        for &t in targets {
            let row = earlier_row(windows, t, lag).map(|i| &rows[i]).filter(|r| r.iter().all(|v| !v.is_nan()));
            out.values.extend_from_slice(row.unwrap_or(&vec![f64::NAN; f]));
            out.has.push(row.is_some());
        }
        out
    };
    let w = Tensor::from_slice(&fitted.linear_weights).view([-1, f as i64]);
    let mut linear: Vec<f64> = Vec::with_capacity(test.len() * f);
    let states = per_worker(w.device(), || (test.X.shallow_clone(), w.shallow_clone()));
    let predict =
        |(x, w): &(Tensor, Tensor), first, count| Ok(Vec::<f64>::try_from(design(&x.narrow(0, first, count)).matmul(w).flatten(0, -1))?);
    for_batches(test.len(), states, predict, |batch| {
        linear.extend(batch);
        Ok(())
    })?;
    let first = windows.test_start();
    for (i, r) in linear.chunks_mut(f).enumerate() {
        let k = windows.series_of_window(first + i);
        let unscaled = windows.unscaled(k, r.iter().copied());
        r.copy_from_slice(&unscaled);
    }
    let linear = BaselinePredictions { name: "linear", values: linear, features: f, has: vec![true; targets.len()] };
    let mut out = vec![earlier("persistence", 1), linear];
    out.extend(season.map(|season| earlier("seasonal_naive", season)));
    Ok(out)
}

/// Row `t - lag`, when it is a row of the same series as row `t`.
fn earlier_row(windows: &Windows, t: usize, lag: usize) -> Option<usize> {
    let start = windows.series.span(windows.series.series_of(t)).start;
    t.checked_sub(lag).filter(|&i| i >= start)
}

/// The seasonal naive's MSE over the test windows whose target row t has a row t - season without
/// a gap (NaN when none has), in model units.
fn seasonal_naive(windows: &Windows, season: usize) -> f64 {
    let rows = model_rows(&windows.series, &windows.scaling);
    let f = windows.series.features();
    let row = |t: usize| &rows[t * f..(t + 1) * f];
    let (mut sum, mut count) = (0.0f64, 0usize);
    for &t in &windows.targets[windows.test_start()..] {
        let Some(earlier) = earlier_row(windows, t, season).map(row).filter(|r| r.iter().all(|v| !v.is_nan())) else { continue };
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
        let series = Series { names: vec!["a".into()], rows: rows.into(), time: None, gaps: 0, groups: None };
        Windows::new(series, ScalingRule::Unscaled, 2, Split { test_fraction: 0.25, val_fraction: 0.0 }).unwrap()
    }

    #[test]
    fn each_baselines_test_predictions_give_its_test_loss() {
        let w = windows((0..40).map(|i| vec![(i % 3) as f64 + 10.0 * (i / 3) as f64 + 0.1 * (i as f64).sin()]).collect());
        let b = Baselines::of(&w, Some(3)).unwrap();
        let test = &w.targets[w.test_start()..];
        for p in test_predictions(&w, &b).unwrap() {
            let mse = (0..test.len()).map(|i| (p.get(i).unwrap()[0] - w.series.rows[test[i]][0] as f32 as f64).powi(2)).sum::<f64>()
                / test.len() as f64;
            let want = match p.name {
                "persistence" => b.persistence,
                "linear" => b.linear,
                _ => b.seasonal.unwrap().test_loss,
            };
            assert!((mse - want).abs() <= 1e-6 * want, "{}: {mse} against {want}", p.name);
        }
    }

    /// A baseline chooses nothing, so the validation windows are history to it: it learns from
    /// every window before the test tail, and the same one whatever --val-fraction.
    #[test]
    fn the_linear_baseline_learns_from_every_window_before_the_test_tail() {
        let rows: Vec<Vec<f64>> = (0..60).map(|i| vec![(0.7 * i as f64).sin() + 0.2 * ((i * i) % 7) as f64]).collect();
        let split = |val_fraction| {
            let series = Series { names: vec!["a".into()], rows: rows.clone().into(), time: None, gaps: 0, groups: None };
            Windows::new(series, ScalingRule::Unscaled, 3, Split { test_fraction: 0.2, val_fraction }).unwrap()
        };
        let (none, some) = (split(0.0), split(0.3));
        assert!(some.n_val > 0 && some.test_start() == none.test_start());
        let (a, b) = (Baselines::of(&none, None).unwrap(), Baselines::of(&some, None).unwrap());
        // (to rounding: LAPACK's sums may follow where the tensors lie in memory)
        let near = |x: &[f64], y: &[f64]| x.iter().zip(y).all(|(x, y)| (x - y).abs() <= 1e-12 * (1.0 + y.abs()));
        assert!(near(&a.linear_weights, &b.linear_weights), "{:?} against {:?}", a.linear_weights, b.linear_weights);
        assert!(near(&[a.linear], &[b.linear]));
        let train_only: Vec<f64> = Vec::try_from(linear_fit(&some.training()).unwrap().flatten(0, -1)).unwrap();
        assert!(!near(&b.linear_weights, &train_only), "the validation windows change the fit, so the test above can tell");
    }

    #[test]
    fn a_long_series_linear_fit_by_its_normal_equations_is_the_least_squares_one() {
        // an AR(2) with noise, long enough for the batched normal equations
        let mut rows = vec![vec![0.3], vec![-0.1]];
        let mut state = 7u64;
        for t in 2..(2 * ONE_BATCH) {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            let noise = ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.1;
            let v = 0.6 * rows[t - 1][0] - 0.3 * rows[t - 2][0] + noise;
            rows.push(vec![v]);
        }
        let w = windows(rows);
        let train = w.training();
        assert!(train.len() > ONE_BATCH);
        let batched: Vec<f64> = Vec::try_from(linear_fit(&train).unwrap().flatten(0, -1)).unwrap();
        let (whole, _, _, _) = design(&train.X).linalg_lstsq(&train.Y.to_kind(Kind::Double), None, DRIVER);
        let whole: Vec<f64> = Vec::try_from(whole.flatten(0, -1)).unwrap();
        for (a, b) in batched.iter().zip(&whole) {
            assert!((a - b).abs() < 1e-9, "{batched:?} against {whole:?}");
        }
        assert!((whole[1] - 0.6).abs() < 0.02 && (whole[0] + 0.3).abs() < 0.02, "it finds the recurrence: {whole:?}");
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
