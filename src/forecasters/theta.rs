//! The Theta method, the M3 competition's winner and a benchmark of the M4 (Assimakopoulos and
//! Nikolopoulos 2000, in Hyndman and Billah's form, R's `thetaf`): on the seasonally adjusted
//! series (decomposition.rs), simple exponential smoothing plus half the slope of the straight
//! line fitted to the series, x_{n+h} = l_n + b/2 ((h - 1) + (1 - (1 - alpha)^n) / alpha), with alpha and the initial level chosen by the least one-step squared error (alpha by golden
//! section on [0.1, 0.99]; for each alpha the initial level is the least squares' closed form,
//! since every error is linear in it), then multiplied back by the season. A baseline one step
//! ahead; from the end of a series, one of the forecasts the forecast chooses among.

use super::decomposition::Seasonality;
use super::forecaster::{unit_mse, Baseline, Forecaster, TestPredictions};
use crate::data::Windows;
use anyhow::Result;

/// Theta fitted on one feature of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Theta {
    pub alpha: f64,
    /// The level before the first value.
    pub level0: f64,
    /// The straight line's slope per row, on the adjusted series.
    pub slope: f64,
    pub season: Seasonality,
}

const ALPHAS: (f64, f64) = (0.1, 0.99);

/// Simple exponential smoothing from `level0`: the level after each value (gaps keep it), and
/// the sum of squared one-step errors.
fn smooth(y: &[f64], alpha: f64, level0: f64) -> (f64, f64) {
    let (mut level, mut sse) = (level0, 0.0);
    for &v in y.iter().filter(|v| !v.is_nan()) {
        let e = v - level;
        sse += e * e;
        level += alpha * e;
    }
    (level, sse)
}

/// The initial level with the least squared one-step error at `alpha`: each error is
/// e0_t - d_t level0, e0_t the error from level 0 and d_t = (1 - alpha)^t.
fn best_level0(y: &[f64], alpha: f64) -> f64 {
    let (mut level, mut d, mut e0d, mut dd) = (0.0, 1.0, 0.0, 0.0);
    for &v in y.iter().filter(|v| !v.is_nan()) {
        let e0 = v - level;
        (e0d, dd) = (e0d + e0 * d, dd + d * d);
        level += alpha * e0;
        d *= 1.0 - alpha;
    }
    if dd > 0.0 {
        e0d / dd
    } else {
        0.0
    }
}

/// The least-squares slope of `y` against its row number (gaps passed over; 0 with fewer than two).
fn slope(y: &[f64]) -> f64 {
    let known: Vec<(f64, f64)> = y.iter().enumerate().filter(|(_, v)| !v.is_nan()).map(|(t, &v)| (t as f64, v)).collect();
    let n = known.len() as f64;
    let (mt, my) = (known.iter().map(|p| p.0).sum::<f64>() / n, known.iter().map(|p| p.1).sum::<f64>() / n);
    let (sxy, sxx) = known.iter().fold((0.0, 0.0), |(a, b), (t, v)| (a + (t - mt) * (v - my), b + (t - mt) * (t - mt)));
    if sxx > 0.0 {
        sxy / sxx
    } else {
        0.0
    }
}

impl Theta {
    /// Fitted on `x` (gaps NaN), with a `season` of rows; none with fewer than two values.
    pub fn fit(x: &[f64], season: Option<usize>) -> Option<Theta> {
        if x.iter().filter(|v| !v.is_nan()).count() < 2 {
            return None;
        }
        let season = Seasonality::of(x, season);
        let y = season.adjusted(x);
        let sse = |alpha: f64| smooth(&y, alpha, best_level0(&y, alpha)).1;
        let alpha = golden_section(sse, ALPHAS);
        Some(Theta { alpha, level0: best_level0(&y, alpha), slope: slope(&y), season })
    }

    /// The forecasts `steps` ahead from each of `origins` (each the number of values of `x` before
    /// it, rising), the level smoothed on from the fit's over `x` in one pass.
    pub fn from_each(&self, x: &[f64], origins: &[usize], steps: usize) -> Vec<Vec<f64>> {
        let mut level = self.level0;
        let mut seen = 0;
        origins
            .iter()
            .map(|&n| {
                for (i, &v) in x.iter().enumerate().take(n).skip(seen) {
                    if !v.is_nan() {
                        level += self.alpha * (self.season.adjust(i, v) - level);
                    }
                }
                seen = seen.max(n);
                self.ahead(level, n, steps)
            })
            .collect()
    }

    /// The forecasts after `n` values whose smoothed level is `level`.
    fn ahead(&self, level: f64, n: usize, steps: usize) -> Vec<f64> {
        let (a, b) = (self.alpha, self.slope / 2.0);
        let drift = (1.0 - (1.0 - a).powi(n as i32)) / a;
        (1..=steps).map(|h| self.season.restore(n + h - 1, level + b * ((h - 1) as f64 + drift))).collect()
    }
}

/// The minimum of a function that is unimodal on `(lo, hi)`, to within 1e-8 of the interval.
fn golden_section(f: impl Fn(f64) -> f64, (lo, hi): (f64, f64)) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lo, hi);
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    while b - a > 1e-8 {
        if fc < fd {
            (b, d, fd) = (d, c, fc);
            c = b - g * (b - a);
            fc = f(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    (a + b) / 2.0
}

/// Theta on each feature of each series, fitted on the series' rows up to its last training
/// target (MASE's in-sample rows), as the baseline that predicts each test window's next point.
pub struct ThetaBaseline {
    season: Option<usize>,
}

impl ThetaBaseline {
    /// Each test window's one-step forecast, in the series' units (none where a feature has none).
    fn predictions(&self, windows: &Windows) -> Vec<Option<Vec<f64>>> {
        let (series, f) = (&windows.series, windows.series.features());
        let mut out = vec![Some(vec![0.0; f]); windows.targets.len() - windows.test_start()];
        for k in windows.kept_series() {
            let (span, test) = (series.span(k), windows.of_series(windows.test_start()..windows.targets.len(), k));
            let origins: Vec<usize> = windows.targets[test.clone()].iter().map(|t| t - span.start).collect();
            for j in 0..f {
                let x = windows.series.rows.column(span.clone(), j);
                let fit = Theta::fit(&x[..windows.in_sample(k).len()], self.season);
                let preds = fit.map(|fit| fit.from_each(&x, &origins, 1));
                for (i, w) in test.clone().enumerate() {
                    let p = preds.as_ref().map(|p| p[i][0]);
                    let slot = &mut out[w - windows.test_start()];
                    match (p, slot.as_mut()) {
                        (Some(p), Some(row)) if p.is_finite() => row[j] = p,
                        _ => *slot = None,
                    }
                }
            }
        }
        out
    }
}

impl Baseline for ThetaBaseline {
    fn fit(_: &Windows, season: Option<usize>) -> Result<Option<ThetaBaseline>> {
        Ok(Some(ThetaBaseline { season }))
    }
}

impl Forecaster for ThetaBaseline {
    fn name(&self) -> &'static str {
        "theta"
    }

    fn label(&self) -> String {
        "Theta".into()
    }

    /// In model units, over the test windows it predicts.
    fn test_loss(&self, windows: &Windows) -> Result<f64> {
        unit_mse(windows, self.predictions(windows))
    }

    fn test_predictions(&self, windows: &Windows) -> Result<TestPredictions> {
        Ok(TestPredictions::some(self.predictions(windows), windows.series.features()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straight_line_is_forecast_on_at_its_slope() {
        // SES alone would stay at the last level; Theta adds half the slope twice over (the
        // level lags the line by (1 - alpha) / alpha slopes)
        let x: Vec<f64> = (0..30).map(|i| 5.0 + 2.0 * i as f64).collect();
        let fit = Theta::fit(&x, None).unwrap();
        assert!((fit.slope - 2.0).abs() < 1e-12);
        let f = fit.from_each(&x, &[30], 3).remove(0);
        let steps: Vec<f64> = f.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(steps.iter().all(|s| (s - 1.0).abs() < 1e-9), "half the slope per step ahead: {steps:?}");
        assert!(f[0] > x[29] - 2.0 && f[0] < x[29] + 4.0, "{f:?}");
    }

    #[test]
    fn a_constant_is_forecast_as_itself_and_a_season_is_multiplied_back() {
        let fit = Theta::fit(&[7.0; 20], None).unwrap();
        assert_eq!(fit.from_each(&[7.0; 20], &[20], 2), vec![vec![7.0, 7.0]]);
        let pattern = [0.5, 1.0, 1.5];
        let x: Vec<f64> = (0..30).map(|i| 10.0 * pattern[i % 3]).collect();
        let f = Theta::fit(&x, Some(3)).unwrap().from_each(&x, &[30], 3).remove(0);
        for (got, want) in f.iter().zip([5.0, 10.0, 15.0]) {
            assert!((got - want).abs() < 1e-9, "{f:?}");
        }
    }

    #[test]
    fn the_fit_picks_the_alpha_with_the_least_squared_error() {
        let x: Vec<f64> = (0..60).map(|i| ((i * 37 % 11) as f64) + 0.3 * i as f64).collect();
        let fit = Theta::fit(&x, None).unwrap();
        let sse = |a: f64| smooth(&x, a, best_level0(&x, a)).1;
        for a in [0.1, 0.2, 0.5, 0.8, 0.99] {
            assert!(sse(fit.alpha) <= sse(a) + 1e-9, "alpha {} against {a}", fit.alpha);
        }
        let at = |l0: f64| smooth(&x, fit.alpha, l0).1;
        assert!(at(fit.level0) <= at(fit.level0 + 0.01) && at(fit.level0) <= at(fit.level0 - 0.01));
    }

    #[test]
    fn each_origin_smooths_only_the_values_before_it() {
        let x: Vec<f64> = (0..40).map(|i| (i as f64 * 0.7).sin() * 3.0 + 10.0).collect();
        let fit = Theta::fit(&x[..20], None).unwrap();
        let mut later = x.clone();
        later[30..].iter_mut().for_each(|v| *v = 1e6);
        assert_eq!(fit.from_each(&x, &[25, 30], 2), fit.from_each(&later, &[25, 30], 2));
        assert_ne!(fit.from_each(&x, &[31], 2), fit.from_each(&later, &[31], 2));
    }
}
