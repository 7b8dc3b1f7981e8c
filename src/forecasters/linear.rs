//! The linear autoregression: x_{t+1} = W [x_{t-seq_len+1}, ..., x_t, 1], W fitted by least
//! squares on every window before the test tail (the training and the validation windows: a
//! baseline chooses nothing, so the validation windows are history to it, as they are to the
//! peers of scripts/studies/forecast_peers.py).

use super::forecaster::{Baseline, Forecaster, TestPredictions};
use crate::data::autoregression::{design, normal_equations, own_design, predict_double, reads_own_lags, MAX_AR_INPUTS};
use crate::data::{for_batches, map_batches, per_worker, TrignoDS, Windows, ONE_BATCH};
use anyhow::Result;
use tch::{Kind, Tensor};

pub struct Linear {
    /// [seq_len * features + 1, features], or each column on its own lags [seq_len + 1,
    /// features] as `--target linear`'s (`reads_own_lags`); none without a test tail to score.
    pub w: Option<Tensor>,
}

/// libtorch's least-squares driver for the linear AR: the SVD's, which copes with collinear
/// inputs (the circle's). gelsy, which this was until 2026-12-02, gave weights that differed in
/// their last bits from one run of the same command to the next (the Nile's 92 windows: five
/// different fits in six runs), so that two identical runs wrote different scores.csv.
const DRIVER: &str = "gelsd";

/// The linear AR's weights, by least squares on the windows `train` (`DRIVER`; with `own`,
/// every column's system in one batched call). Beyond `ONE_BATCH` windows: by the normal
/// equations (X'X) w = X'y, each summed over the batches in f64, then solved the same way.
fn linear_fit(train: &TrignoDS, own: bool) -> Result<Tensor> {
    let (x, y) = if train.len() <= ONE_BATCH {
        let y = train.Y.to_kind(Kind::Double);
        if own {
            (own_design(&train.X), y.transpose(0, 1).unsqueeze(2))
        } else {
            (design(&train.X), y)
        }
    } else {
        normal_equations(&train.X, &train.Y, own)?.expect("more than one batch of windows")
    };
    let (w, _, _, _) = x.f_linalg_lstsq(&y, None, DRIVER)?;
    // own lags: [columns, d, 1] to W's [d, columns]
    Ok(if own { w.squeeze_dim(2).transpose(0, 1).contiguous() } else { w })
}

impl Baseline for Linear {
    /// Each column on its own lags where `--target linear`'s would be (`reads_own_lags`, on the
    /// training windows); none for one column's window over `MAX_AR_INPUTS` rows.
    fn fit(windows: &Windows, _: Option<usize>) -> Result<Option<Linear>> {
        let (rows, f) = (windows.seq_len, windows.series.features());
        let own = reads_own_lags(rows, f, windows.n_train);
        if !own && rows * f > MAX_AR_INPUTS {
            return Ok(None);
        }
        let w = if windows.test().is_empty() { None } else { Some(linear_fit(&windows.before_test(), own)?) };
        Ok(Some(Linear { w }))
    }
}

impl Forecaster for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }

    fn test_loss(&self, windows: &Windows) -> Result<f64> {
        let test = windows.test();
        let Some(w) = self.w.as_ref().filter(|_| !test.is_empty()) else { return Ok(f64::NAN) };
        let states = per_worker(w.device(), || (test.X.shallow_clone(), test.Y.shallow_clone(), w.shallow_clone()));
        let batches = map_batches(test.len(), states, |(x, y, w), first, count| {
            let pred = predict_double(w, &x.narrow(0, first, count));
            Ok(f64::try_from((pred - y.narrow(0, first, count).to_kind(Kind::Double)).square().sum(Kind::Double))?)
        })?;
        // added in batch order, as one thread would
        let squares = batches.iter().fold(0.0, |sum, s| sum + s);
        Ok(squares / (test.len() * windows.series.features()) as f64)
    }

    /// Unscaled from the model's units.
    fn test_predictions(&self, windows: &Windows) -> Result<TestPredictions> {
        let (test, f) = (windows.test(), windows.series.features());
        // a row-major copy, as these predictions have always multiplied by (the last bits of a
        // product follow the layout: the test loss keeps the weights as LAPACK returns them)
        let w = match &self.w {
            Some(w) => w.contiguous(),
            None => Tensor::from_slice::<f64>(&[]).view([-1, f as i64]),
        };
        let mut linear: Vec<f64> = Vec::with_capacity(test.len() * f);
        let states = per_worker(w.device(), || (test.X.shallow_clone(), w.shallow_clone()));
        let predict = |(x, w): &(Tensor, Tensor), first, count| {
            Ok(Vec::<f64>::try_from(predict_double(w, &x.narrow(0, first, count)).flatten(0, -1))?)
        };
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
        Ok(TestPredictions::every(linear, f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ScalingRule, Series, Split};

    fn weights(l: &Linear) -> Vec<f64> {
        Vec::try_from(l.w.as_ref().unwrap().flatten(0, -1)).unwrap()
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
        let (a, b) = (Linear::fit(&none, None).unwrap().unwrap(), Linear::fit(&some, None).unwrap().unwrap());
        // (to rounding: LAPACK's sums may follow where the tensors lie in memory)
        let near = |x: &[f64], y: &[f64]| x.iter().zip(y).all(|(x, y)| (x - y).abs() <= 1e-12 * (1.0 + y.abs()));
        assert!(near(&weights(&a), &weights(&b)), "{:?} against {:?}", weights(&a), weights(&b));
        assert!(near(&[a.test_loss(&none).unwrap()], &[b.test_loss(&some).unwrap()]));
        let train_only: Vec<f64> = Vec::try_from(linear_fit(&some.training(), false).unwrap().flatten(0, -1)).unwrap();
        assert!(!near(&weights(&b), &train_only), "the validation windows change the fit, so the test above can tell");
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
        let series = Series { names: vec!["a".into()], rows: rows.into(), time: None, gaps: 0, groups: None };
        let w = Windows::new(series, ScalingRule::Unscaled, 2, Split { test_fraction: 0.25, val_fraction: 0.0 }).unwrap();
        let train = w.training();
        assert!(train.len() > ONE_BATCH);
        let batched: Vec<f64> = Vec::try_from(linear_fit(&train, false).unwrap().flatten(0, -1)).unwrap();
        let (whole, _, _, _) = design(&train.X).linalg_lstsq(&train.Y.to_kind(Kind::Double), None, DRIVER);
        let whole: Vec<f64> = Vec::try_from(whole.flatten(0, -1)).unwrap();
        for (a, b) in batched.iter().zip(&whole) {
            assert!((a - b).abs() < 1e-9, "{batched:?} against {whole:?}");
        }
        assert!((whole[1] - 0.6).abs() < 0.02 && (whole[0] + 0.3).abs() < 0.02, "it finds the recurrence: {whole:?}");
    }
}
