//! What the windows alone predict, for the RNN to beat: persistence (the next point is the last
//! one seen) and a linear autoregression fitted by least squares on the training windows. Both
//! are scored as the RNN is, by the MSE on the held-out windows in model units, so that the three
//! numbers compare directly.

use super::Windows;
use anyhow::Result;
use tch::{Kind, Reduction, Tensor};

/// The baselines' test losses (NaN when nothing is held out).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baselines {
    /// x_{t+1} = x_t.
    pub persistence: f64,
    /// x_{t+1} = W [x_{t-seq_len+1}, ..., x_t, 1], W fitted by least squares on the training windows.
    pub linear: f64,
}

impl Baselines {
    pub fn of(windows: &Windows) -> Result<Baselines> {
        let (train, test) = (windows.training(), windows.test());
        if test.is_empty() {
            return Ok(Baselines { persistence: f64::NAN, linear: f64::NAN });
        }
        let last = test.X.select(1, -1);
        let persistence = f64::try_from(last.mse_loss(&test.Y, Reduction::Mean))?;
        // [window's inputs, flattened | 1] in float64; gelsy copes with collinear inputs (the circle's).
        let design = |x: &Tensor| {
            let flat = x.flatten(1, -1).to_kind(Kind::Double);
            let ones = Tensor::ones([flat.size()[0], 1], (Kind::Double, flat.device()));
            Tensor::cat(&[flat, ones], 1)
        };
        let (w, _, _, _) = design(&train.X).f_linalg_lstsq(&train.Y.to_kind(Kind::Double), None, "gelsy")?;
        let pred = design(&test.X).matmul(&w);
        let linear = f64::try_from((pred - test.Y.to_kind(Kind::Double)).square().mean(None))?;
        Ok(Baselines { persistence, linear })
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
    fn persistence_is_the_last_value_seen() {
        // 0 1 0 1 ...: persistence is always off by one
        let w = windows((0..42).map(|i| vec![(i % 2) as f64]).collect());
        assert_eq!(Baselines::of(&w).unwrap().persistence, 1.0);
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
        let b = Baselines::of(&windows(rows)).unwrap();
        assert!(b.linear < 1e-10, "{b:?}");
        assert!(b.persistence > 0.1, "{b:?}");
    }
}
