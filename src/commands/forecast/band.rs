//! Prediction intervals by split conformal prediction: the closed loop runs from every
//! validation window, and at each horizon h the band's half-width is the empirical quantile of
//! its absolute errors (per feature, in the series' units) at `--coverage`: the
//! ceil((n + 1) coverage)-th smallest of the n errors, the largest when too few. No row of the
//! test tail is read: a validation start's errors stop where the test targets begin. Horizons
//! beyond the validation's reach keep the widest half-width reached.

use super::{roll, unscaled};
use crate::data::framing::Framing;
use crate::data::Windows;
use crate::model::RNN;
use anyhow::Result;

/// Half-widths at each horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub coverage: f64,
    /// Per horizon (h = 1, 2, ...), per feature, in the series' units.
    pub half: Vec<Vec<f64>>,
    /// Per horizon, the validation errors each half-width was taken from.
    pub errors: Vec<usize>,
}

impl Band {
    /// The half-widths at horizon `h` (1-based).
    pub fn at(&self, h: usize) -> &[f64] {
        &self.half[(h - 1).min(self.half.len() - 1)]
    }

    /// Whether `truth` lies within the band around `pred` at horizon `h`, feature by feature.
    pub fn covers(&self, h: usize, pred: &[f64], truth: &[f64]) -> Vec<bool> {
        self.at(h).iter().zip(pred.iter().zip(truth)).map(|(q, (p, t))| (t - p).abs() <= *q).collect()
    }
}

/// The split-conformal quantile of `errors` (absolute, any order) at `coverage`.
pub fn conformal_quantile(mut errors: Vec<f64>, coverage: f64) -> f64 {
    errors.sort_by(f64::total_cmp);
    let n = errors.len();
    let k = (((n + 1) as f64) * coverage).ceil() as usize;
    errors[k.clamp(1, n) - 1]
}

/// The band from the validation windows' closed loops, `steps` horizons long (None without
/// validation windows).
pub fn calibrate(rnn: &RNN, framing: &Framing, w: &Windows, steps: usize, coverage: f64) -> Result<Option<Band>> {
    if w.n_val == 0 {
        return Ok(None);
    }
    let f = w.series.features();
    let starts = &w.targets[w.n_train..w.test_start()];
    // The first row the test tail predicts: nothing from there on calibrates.
    let limit = w.targets.get(w.test_start()).copied().unwrap_or(w.series.rows.len());
    let reach = steps.min(limit - starts[0]);
    let rolled = roll(rnn, framing, w.validation().X, reach)?;
    let mut half: Vec<Vec<f64>> = Vec::with_capacity(steps);
    let mut counts = Vec::with_capacity(steps);
    for (k, preds) in rolled.iter().enumerate() {
        let mut errors: Vec<Vec<f64>> = vec![vec![]; f];
        for (i, &s) in starts.iter().enumerate() {
            let row = s + k;
            if row >= limit || w.series.has_gap(row) {
                continue;
            }
            let pred = unscaled(w, &preds[i * f..(i + 1) * f]);
            for j in 0..f {
                errors[j].push((w.series.rows[row][j] - pred[j]).abs());
            }
        }
        if errors[0].is_empty() {
            break;
        }
        counts.push(errors[0].len());
        half.push(errors.into_iter().map(|e| conformal_quantile(e, coverage)).collect());
    }
    if half.is_empty() {
        return Ok(None);
    }
    // Past the validation's reach: the widest half-width reached, feature by feature.
    let widest: Vec<f64> = (0..f).map(|j| half.iter().map(|q| q[j]).fold(0.0, f64::max)).collect();
    while half.len() < steps {
        half.push(widest.clone());
        counts.push(0);
    }
    Ok(Some(Band { coverage, half, errors: counts }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conformal_quantile_is_the_ceil_n_plus_1_coverage_th_error() {
        let errors: Vec<f64> = (1..=19).map(f64::from).rev().collect();
        assert_eq!(conformal_quantile(errors.clone(), 0.9), 18.0, "ceil(20 * 0.9) = 18th of 19");
        assert_eq!(conformal_quantile(errors.clone(), 0.5), 10.0);
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(conformal_quantile(ten, 0.9), 10.0, "ceil(11 * 0.9) = 10th of 10, not the 9th");
        assert_eq!(conformal_quantile(vec![3.0, 1.0], 0.9), 3.0, "too few errors: the largest");
    }

    #[test]
    fn a_band_covers_feature_by_feature_and_holds_its_last_width() {
        let band = Band { coverage: 0.9, half: vec![vec![1.0, 2.0], vec![3.0, 4.0]], errors: vec![5, 5] };
        assert_eq!(band.covers(1, &[0.0, 0.0], &[1.0, 2.5]), [true, false]);
        assert_eq!(band.at(7), [3.0, 4.0]);
    }
}
