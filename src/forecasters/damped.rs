//! Holt's linear trend, damped (Gardner and McKenzie 1985; ETS(A,Ad,N), one of the models
//! statsforecast's AutoETS chooses among), on the seasonally adjusted series as Theta runs on it
//! (decomposition.rs): a level l and a trend b, each moved by the one-step error e,
//!     l_t = l_{t-1} + phi b_{t-1} + alpha e_t,    b_t = phi b_{t-1} + alpha beta e_t,
//! and the forecast h ahead l_n + (phi + phi^2 + ... + phi^h) b_n, so that a trend runs on and
//! flattens. alpha, beta, phi and the first level and trend are the least one-step squared
//! error's, found by Nelder and Mead's simplex (alpha and beta in [0.0001, 1], phi in
//! [0.8, 0.98], AutoETS's bounds). From the end of a series, one of the forecasts the forecast
//! chooses among.

use super::decomposition::Seasonality;

/// The damped trend fitted on one feature of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Damped {
    pub alpha: f64,
    pub beta: f64,
    pub phi: f64,
    /// The level and the trend before the first value.
    pub level0: f64,
    pub trend0: f64,
    pub season: Seasonality,
}

const SMOOTHING: (f64, f64) = (1e-4, 1.0);
const DAMPING: (f64, f64) = (0.8, 0.98);

/// The level and trend after `y` from `state` (a gap moves them on without an error), and the
/// sum of squared one-step errors.
fn smooth(y: &[f64], [alpha, beta, phi]: [f64; 3], mut state: (f64, f64)) -> ((f64, f64), f64) {
    let mut sse = 0.0;
    for &v in y {
        let (level, trend) = state;
        let e = if v.is_nan() { 0.0 } else { v - (level + phi * trend) };
        sse += e * e;
        state = (level + phi * trend + alpha * e, phi * trend + alpha * beta * e);
    }
    (state, sse)
}

impl Damped {
    /// Fitted on `x` (gaps NaN), with a `season` of rows; none with fewer than three values.
    pub fn fit(x: &[f64], season: Option<usize>) -> Option<Damped> {
        let known: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
        if known.len() < 3 {
            return None;
        }
        let season = Seasonality::of(x, season);
        let y = season.adjusted(x);
        let first: Vec<f64> = y.iter().copied().filter(|v| !v.is_nan()).take(2).collect();
        let within = |v: f64, (lo, hi): (f64, f64)| (lo..=hi).contains(&v);
        let sse = |p: &[f64]| match within(p[0], SMOOTHING) && within(p[1], SMOOTHING) && within(p[2], DAMPING) {
            true => smooth(&y, [p[0], p[1], p[2]], (p[3], p[4])).1,
            false => f64::INFINITY,
        };
        let p = nelder_mead(sse, &[0.5, 0.1, 0.9, first[0], first[1] - first[0]]);
        Some(Damped { alpha: p[0], beta: p[1], phi: p[2], level0: p[3], trend0: p[4], season })
    }

    /// The forecasts `steps` ahead from each of `origins` (each the number of values of `x` before
    /// it, rising), the level and trend run on from the fit's over `x` in one pass.
    pub fn from_each(&self, x: &[f64], origins: &[usize], steps: usize) -> Vec<Vec<f64>> {
        let (mut state, mut seen) = ((self.level0, self.trend0), 0);
        let y = self.season.adjusted(x);
        origins
            .iter()
            .map(|&n| {
                if n > seen {
                    state = smooth(&y[seen..n], [self.alpha, self.beta, self.phi], state).0;
                    seen = n;
                }
                let (level, trend) = state;
                let mut damping = 0.0;
                (1..=steps)
                    .map(|h| {
                        damping += self.phi.powi(h as i32);
                        self.season.restore(n + h - 1, level + damping * trend)
                    })
                    .collect()
            })
            .collect()
    }
}

/// The minimum of `f` near `start`, by Nelder and Mead's simplex with scipy's defaults: the
/// first simplex 5% from the start along each axis (0.00025 where a coordinate is 0), up to 200
/// iterations per coordinate, until the simplex's values and points lie within 1e-4.
fn nelder_mead(f: impl Fn(&[f64]) -> f64, start: &[f64]) -> Vec<f64> {
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = vec![(start.to_vec(), f(start))];
    for i in 0..n {
        let mut p = start.to_vec();
        p[i] = if p[i] != 0.0 { 1.05 * p[i] } else { 0.00025 };
        simplex.push((p.clone(), f(&p)));
    }
    let along = |a: &[f64], b: &[f64], t: f64| -> Vec<f64> { a.iter().zip(b).map(|(a, b)| a + t * (b - a)).collect() };
    for _ in 0..200 * n {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (&simplex[0], &simplex[n]);
        let spread = simplex.iter().map(|(p, _)| p.iter().zip(&best.0).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)).fold(0.0, f64::max);
        if spread <= 1e-4 && (worst.1 - best.1).abs() <= 1e-4 {
            break;
        }
        let centroid: Vec<f64> = (0..n).map(|j| simplex[..n].iter().map(|(p, _)| p[j]).sum::<f64>() / n as f64).collect();
        let reflected = along(&centroid, &simplex[n].0, -1.0);
        let fr = f(&reflected);
        if fr < simplex[0].1 {
            let expanded = along(&centroid, &simplex[n].0, -2.0);
            let fe = f(&expanded);
            simplex[n] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            let (towards, ft) = if fr < simplex[n].1 { (reflected, fr) } else { (simplex[n].0.clone(), simplex[n].1) };
            let contracted = along(&centroid, &towards, 0.5);
            let fc = f(&contracted);
            if fc <= ft {
                simplex[n] = (contracted, fc);
            } else {
                let best = simplex[0].0.clone();
                for (p, fp) in simplex.iter_mut().skip(1) {
                    *p = along(&best, p, 0.5);
                    *fp = f(p);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_trend_runs_on_and_flattens() {
        // a line with a little noise: the forecast rises, by less each step, and stays below the line
        let x: Vec<f64> = (0..40).map(|i| 100.0 + 2.0 * i as f64 + if i % 2 == 0 { 0.5 } else { -0.5 }).collect();
        let d = Damped::fit(&x, None).expect("fitted");
        assert!((0.8..=0.98).contains(&d.phi) && (1e-4..=1.0).contains(&d.alpha), "{d:?}");
        let f = &d.from_each(&x, &[40], 12)[0];
        let steps: Vec<f64> = f.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(steps.iter().all(|&s| s > 0.0), "rising: {f:?}");
        assert!(steps.windows(2).all(|w| w[1] < w[0]), "by less each step: {steps:?}");
        assert!((f[0] - 180.0).abs() < 1.5, "the next point near the line's 180: {f:?}");
        assert!(f[11] < 100.0 + 2.0 * 51.0, "damped below the line at h=12: {f:?}");
    }

    #[test]
    fn a_flat_series_is_forecast_flat_and_a_season_is_put_back() {
        let flat = vec![7.0; 30];
        let f = &Damped::fit(&flat, None).unwrap().from_each(&flat, &[30], 5)[0];
        assert!(f.iter().all(|v| (v - 7.0).abs() < 1e-6), "{f:?}");
        let pattern = [0.8, 1.0, 1.3, 0.9];
        let x: Vec<f64> = (0..48).map(|i| 50.0 * pattern[i % 4]).collect();
        let f = &Damped::fit(&x, Some(4)).unwrap().from_each(&x, &[48], 8)[0];
        for (h, v) in f.iter().enumerate() {
            assert!((v - 50.0 * pattern[(48 + h) % 4]).abs() < 1e-3, "h={}: {v}", h + 1);
        }
    }

    #[test]
    fn too_few_values_no_fit() {
        assert_eq!(Damped::fit(&[1.0, f64::NAN, 2.0], None), None);
    }

    #[test]
    fn nelder_mead_finds_a_quadratics_minimum() {
        let p = nelder_mead(|p| (p[0] - 3.0).powi(2) + 10.0 * (p[1] + 1.0).powi(2), &[0.0, 0.0]);
        assert!((p[0] - 3.0).abs() < 1e-3 && (p[1] + 1.0).abs() < 1e-3, "{p:?}");
    }
}
