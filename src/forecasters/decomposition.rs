//! The classical decomposition behind the M competitions' Naive2 and Theta: where a series is
//! seasonal by the 90% autocorrelation test at its season's lag, each point is divided by its
//! season's index (the mean ratio of the values to their centred moving average, normalised to
//! mean 1), the forecaster runs on the adjusted series, and its forecasts are multiplied back.
//! As statsforecast's Theta does, a series with a value at or below 0 (or an index below 0.01)
//! is decomposed additively instead (differences from the moving average, normalised to mean 0).
//! A series with a gap is left unadjusted. Naive2 takes its indices from the whole series, as the
//! M competitions define it; Theta from the last `RECENT_SEASONS` seasons, since a season drifts
//! (docs/competition_cut.md: on the cut Tourism sets, Theta's MAPE 28.28 monthly and 20.54
//! quarterly with the whole series' indices, 26.53 and 19.79 with the last four seasons').

/// Whether `x` is seasonal at lag `m`: `m` above 1, at least two seasons of values, none a gap,
/// and the autocorrelation at lag m beyond 1.645 of its standard error (Bartlett's, from the lags
/// below m), as the M4 benchmarks and statsforecast's Theta test it.
pub fn is_seasonal(x: &[f64], m: usize) -> bool {
    if m <= 1 || x.len() < 2 * m || x.iter().any(|v| v.is_nan()) {
        return false;
    }
    let acf = autocorrelations(x, m);
    let limit = 1.645 * ((1.0 + 2.0 * acf[..m - 1].iter().map(|a| a * a).sum::<f64>()) / x.len() as f64).sqrt();
    acf[m - 1].abs() > limit
}

/// The multiplicative seasonal indices of `x`, one per position in the season (position i mod
/// `m` from the series' first row), when it is seasonal and every value is above 0.
pub fn seasonal_indices(x: &[f64], m: usize) -> Option<Vec<f64>> {
    (is_seasonal(x, m) && x.iter().all(|&v| v > 0.0)).then(|| around_moving_average(x, m, false))
}

/// The autocorrelations at lags 1..=m.
fn autocorrelations(x: &[f64], m: usize) -> Vec<f64> {
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let d: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let denominator: f64 = d.iter().map(|v| v * v).sum();
    (1..=m).map(|k| d[..d.len() - k].iter().zip(&d[k..]).map(|(a, b)| a * b).sum::<f64>() / denominator).collect()
}

/// Each position's mean ratio of the value to the centred moving average of one season around
/// it (2 x m for an even m), scaled to mean 1; `additive`: the mean difference, less their mean.
fn around_moving_average(x: &[f64], m: usize, additive: bool) -> Vec<f64> {
    let weights: Vec<f64> = match m % 2 {
        0 => std::iter::once(0.5).chain(std::iter::repeat(1.0).take(m - 1)).chain(std::iter::once(0.5)).map(|w| w / m as f64).collect(),
        _ => vec![1.0 / m as f64; m],
    };
    let half = (weights.len() - 1) / 2;
    let (mut sums, mut counts) = (vec![0.0; m], vec![0usize; m]);
    for centre in half..x.len() - half {
        let trend: f64 = weights.iter().zip(&x[centre - half..]).map(|(w, v)| w * v).sum();
        if additive || trend != 0.0 {
            sums[centre % m] += if additive { x[centre] - trend } else { x[centre] / trend };
            counts[centre % m] += 1;
        }
    }
    let none = if additive { 0.0 } else { 1.0 };
    let indices: Vec<f64> = sums.iter().zip(&counts).map(|(s, &c)| if c > 0 { s / c as f64 } else { none }).collect();
    let mean = indices.iter().sum::<f64>() / m as f64;
    indices.iter().map(|i| if additive { i - mean } else { i / mean }).collect()
}

/// A series' seasonal indices, or none: what a forecaster takes out and puts back.
#[derive(Debug, Clone, PartialEq)]
pub struct Seasonality {
    pub indices: Option<Vec<f64>>,
    /// Differences rather than ratios.
    pub additive: bool,
}

/// How many of a series' last seasons Theta's indices come from (their moving average spans
/// one season less): chosen on the cut sets among 3, 4, 5 and 7 and the whole series.
pub const RECENT_SEASONS: usize = 4;

impl Seasonality {
    /// Of `x`, with a `season` of rows (none: not seasonal), where the test on the whole of `x`
    /// finds it: the indices from its last `RECENT_SEASONS` seasons or more (from a row at a
    /// whole number of seasons, so that positions keep their place), multiplicative where every
    /// value of `x` is above 0 and no index falls below 0.01, else additive.
    pub fn of(x: &[f64], season: Option<usize>) -> Seasonality {
        let Some(m) = season.filter(|&m| is_seasonal(x, m)) else { return Seasonality { indices: None, additive: false } };
        let recent = &x[x.len().saturating_sub(RECENT_SEASONS * m) / m * m..];
        let ratios = x.iter().all(|&v| v > 0.0).then(|| around_moving_average(recent, m, false));
        match ratios.filter(|s| s.iter().all(|&i| i >= 0.01)) {
            Some(indices) => Seasonality { indices: Some(indices), additive: false },
            None => Seasonality { indices: Some(around_moving_average(recent, m, true)), additive: true },
        }
    }

    /// Only the multiplicative indices (Naive2's, as the M competitions define it).
    pub fn multiplicative(x: &[f64], season: Option<usize>) -> Seasonality {
        Seasonality { indices: season.and_then(|m| seasonal_indices(x, m)), additive: false }
    }

    /// Row `i`'s value `v` (i from the series' first row), seasonally adjusted.
    pub fn adjust(&self, i: usize, v: f64) -> f64 {
        match (&self.indices, self.additive) {
            (None, _) => v,
            (Some(s), false) => v / s[i % s.len()],
            (Some(s), true) => v - s[i % s.len()],
        }
    }

    /// An adjusted value `v` at row `i` with its season put back.
    pub fn restore(&self, i: usize, v: f64) -> f64 {
        match (&self.indices, self.additive) {
            (None, _) => v,
            (Some(s), false) => v * s[i % s.len()],
            (Some(s), true) => v + s[i % s.len()],
        }
    }

    /// `x`, seasonally adjusted.
    pub fn adjusted(&self, x: &[f64]) -> Vec<f64> {
        x.iter().enumerate().map(|(i, &v)| self.adjust(i, v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pure_multiplicative_season_is_found_and_its_indices_recovered() {
        let pattern = [0.8, 1.0, 1.3, 0.9];
        let x: Vec<f64> = (0..40).map(|i| 100.0 * pattern[i % 4]).collect();
        let s = seasonal_indices(&x, 4).expect("seasonal");
        for (got, want) in s.iter().zip(pattern) {
            assert!((got - want).abs() < 1e-12, "{got} against {want}");
        }
        assert!(Seasonality::of(&x, Some(4)).adjusted(&x).iter().all(|v| (v - 100.0).abs() < 1e-9), "adjusted: flat");
    }

    #[test]
    fn the_indices_are_the_last_seasons_when_the_season_has_drifted() {
        let (old, new) = ([0.8, 1.0, 1.3, 0.9], [1.2, 1.0, 0.7, 1.1]);
        // 10 seasons of the old pattern, then 4 of the new, after two rows (positions keep their place)
        let x: Vec<f64> = (0..58).map(|i| 100.0 * if i < 42 { old[i % 4] } else { new[i % 4] }).collect();
        let recent = Seasonality::of(&x, Some(4)).indices.expect("seasonal");
        let whole = seasonal_indices(&x, 4).expect("seasonal");
        for ((got, want), was) in recent.iter().zip(new).zip(&whole) {
            assert!((got - want).abs() < 0.05, "{got} against the last seasons' {want} (the whole series': {was})");
        }
    }

    #[test]
    fn no_season_where_the_test_finds_none_or_the_series_cannot_take_it() {
        // a scramble of 0..9 (a step of 5 mod 9): its autocorrelation at lag 4 is -0.04
        let noise: Vec<f64> = (0..40).map(|i| 10.0 + (i * 5 % 9) as f64).collect();
        assert_eq!(seasonal_indices(&noise, 4), None, "no season at lag 4");
        let short: Vec<f64> = (0..7).map(|i| [1.0, 2.0, 3.0, 4.0][i % 4]).collect();
        assert_eq!(seasonal_indices(&short, 4), None, "fewer than two seasons");
        let negative: Vec<f64> = (0..40).map(|i| [-1.0, 2.0, 3.0, 4.0][i % 4]).collect();
        assert_eq!(seasonal_indices(&negative, 4), None, "a value at or below 0: no ratio");
        let additive = Seasonality::of(&negative, Some(4));
        assert!(additive.additive, "but a difference");
        for (got, want) in additive.indices.unwrap().iter().zip([-3.0, 0.0, 1.0, 2.0]) {
            assert!((got - want).abs() < 1e-12, "{got} against {want}");
        }
        assert_eq!(seasonal_indices(&noise, 1), None, "no season");
    }
}
