//! The closed loop scored at each horizon, from every start of the test tail whose truth is
//! known there, and the band's coverage of those truths.

use super::forecast_output::HorizonScore;
use crate::data::{Source, Windows};
use crate::forecasters::band;
use crate::forecasters::closed_loop::unscaled;

/// The model's rows: the series scaled, and for the circle, continued past its end.
pub struct Truth<'a> {
    pub windows: &'a Windows,
    pub model_rows: Vec<f32>,
    pub source: &'a Source,
}

impl Truth<'_> {
    /// Row `index` in the user's units, when known (not past the end, not a gap).
    pub fn row(&self, index: usize) -> Option<Vec<f64>> {
        match self.windows.series.rows.get(index) {
            Some(row) if row.iter().any(|v| v.is_nan()) => None,
            Some(row) => Some(row.to_vec()),
            None => self.source.row_past_the_end(index),
        }
    }

    /// Row `index` in model units, when known.
    pub fn scaled_row(&self, index: usize) -> Option<Vec<f64>> {
        let scaling = self.windows.scaling_of(0);
        self.row(index).map(|r| r.iter().enumerate().map(|(j, &v)| scaling.map_or(v, |s| s.scale(j, v))).collect())
    }
}

/// Sum over features of the squared differences.
pub fn squares(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>()
}

/// Mean over features of the squared differences.
fn mse(a: &[f64], b: &[f64]) -> f64 {
    squares(a, b) / a.len() as f64
}

/// What the horizons are scored with: the band's calibration, and MASE's scale per feature
/// (scores.csv's).
pub struct Scoring<'a> {
    pub calibration: Option<&'a band::Calibration>,
    pub mase_scale: Vec<f64>,
}

/// One horizon's sums over the test tail's starts.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    rnn: f64,
    persistence: f64,
    scaled_errors: f64,
    within: usize,
    count: usize,
}

impl Sums {
    /// Horizon `h`'s means over its starts (and the band's coverage, when there is a band).
    fn scored(self, h: usize, banded: bool, features: usize) -> HorizonScore {
        let c = self.count as f64;
        HorizonScore {
            h,
            starts: self.count,
            rnn: self.rnn / c,
            persistence: self.persistence / c,
            mase: self.scaled_errors / c,
            coverage: banded.then(|| self.within as f64 / (c * features as f64)),
        }
    }
}

/// Every start of the test tail (`test`, its closed loops): the closed loop's MSE at each
/// horizon against persistence's, its MASE and the coverage of the band calibrated at that
/// start, as far as the held-out rows reach; and the band at `from`, `steps` long, from the same
/// walk over the test tail's starts.
pub fn score_horizons(
    truth: &Truth,
    test: &band::Rolled,
    scoring: &Scoring,
    from: usize,
    steps: usize,
) -> (Vec<HorizonScore>, Option<band::Band>) {
    let w = truth.windows;
    let (n, f) = (w.series.rows.len(), w.series.features());
    // Each row in model units once (None for a gap); every start and horizon reads them.
    let rows: Vec<Option<Vec<f64>>> = (0..n).map(|i| truth.scaled_row(i)).collect();
    let mut sums = vec![Sums::default(); test.preds.len()];
    let mut score = |i: usize, band: Option<&band::Band>| {
        let s = test.starts[i];
        for (k, preds) in test.preds.iter().enumerate() {
            let (Some(Some(t)), Some(last)) = (rows.get(s + k), &rows[s - 1]) else { continue };
            let p: Vec<f64> = preds[i * f..(i + 1) * f].iter().map(|&v| v as f64).collect();
            let sum = &mut sums[k];
            sum.rnn += mse(&p, t);
            sum.persistence += mse(last, t);
            let (pred, row) = (unscaled(w, &preds[i * f..(i + 1) * f]), &w.series.rows[s + k]);
            sum.scaled_errors += (0..f).map(|j| (row[j] - pred[j]).abs() / scoring.mase_scale[j]).sum::<f64>() / f as f64;
            sum.within += band.map_or(0, |b| b.covers(k + 1, &pred, row).iter().filter(|&&c| c).count());
            sum.count += 1;
        }
    };
    let mut at_from = None;
    match scoring.calibration {
        Some(c) => {
            let mut origins = test.starts.clone();
            if let Err(at) = origins.binary_search(&from) {
                origins.insert(at, from);
            }
            c.along(&origins, steps, |i, band| {
                if origins[i] == from {
                    at_from = band.cloned();
                }
                if let Ok(start) = test.starts.binary_search(&origins[i]) {
                    score(start, band);
                }
            });
        }
        None => (0..test.starts.len()).for_each(|i| score(i, None)),
    }
    let banded = scoring.calibration.is_some();
    let horizons = sums.into_iter().enumerate().filter(|(_, s)| s.count > 0).map(|(k, s)| s.scored(k + 1, banded, f)).collect();
    (horizons, at_from)
}
