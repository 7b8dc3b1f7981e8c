//! Errors that forecasters read, of one forecaster (the RNN or a baseline) on the test tail, per
//! feature, in the series' own units and scale-free:
//!
//!   MAE   = mean |y - p|                 RMSE = sqrt(mean (y - p)^2)
//!   MASE  = MAE / (in-sample MAE of the seasonal naive: mean over the training rows of
//!           |y_t - y_{t-m}|, m the season, or 1 without one), as in the M4 competition
//!   sMAPE = mean 200 |y - p| / (|y| + |p|), in percent (a pair of zeros counts 0)

/// One forecaster's errors on one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// In a file of many series: the series, or all of them pooled (`ALL_SERIES`).
    pub series: Option<String>,
    pub forecaster: String,
    pub feature: String,
    /// Test windows scored (the seasonal naive skips those without a row one season back).
    pub windows: usize,
    pub mae: f64,
    pub rmse: f64,
    pub mase: f64,
    pub smape: f64,
}

/// `forecaster`'s scores, one per feature, from (target, prediction) pairs in the series' units.
pub fn score(forecaster: &str, names: &[String], pairs: &[(&[f64], &[f64])], scale: &[f64]) -> Vec<Score> {
    let n = pairs.len() as f64;
    names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let errors: Vec<(f64, f64, f64)> = pairs.iter().map(|(y, p)| (y[j] - p[j], y[j], p[j])).collect();
            let mae = errors.iter().map(|e| e.0.abs()).sum::<f64>() / n;
            let rmse = (errors.iter().map(|e| e.0 * e.0).sum::<f64>() / n).sqrt();
            let smape = errors
                .iter()
                .map(|&(e, y, p)| if y.abs() + p.abs() == 0.0 { 0.0 } else { 200.0 * e.abs() / (y.abs() + p.abs()) })
                .sum::<f64>()
                / n;
            let feature = name.clone();
            Score { series: None, forecaster: forecaster.into(), feature, windows: pairs.len(), mae, rmse, mase: mae / scale[j], smape }
        })
        .collect()
}

/// Each (forecaster, feature)'s scores over every series' test windows, from the per-series
/// scores: means weighted by the windows (MASE, each error scaled by its own series' scale, as
/// M4 averages; RMSE as the root of the pooled mean square).
pub fn pooled(per_series: &[Score], label: &str) -> Vec<Score> {
    let mut out: Vec<Score> = vec![];
    for s in per_series {
        let n = s.windows as f64;
        let sums = [s.mae * n, s.rmse * s.rmse * n, s.mase * n, s.smape * n];
        match out.iter_mut().find(|o| o.forecaster == s.forecaster && o.feature == s.feature) {
            Some(o) => {
                o.windows += s.windows;
                [o.mae, o.rmse, o.mase, o.smape] = [o.mae + sums[0], o.rmse + sums[1], o.mase + sums[2], o.smape + sums[3]];
            }
            None => out.push(Score {
                series: Some(label.to_string()),
                windows: s.windows,
                mae: sums[0],
                rmse: sums[1],
                mase: sums[2],
                smape: sums[3],
                ..s.clone()
            }),
        }
    }
    for o in &mut out {
        let n = o.windows as f64;
        [o.mae, o.rmse, o.mase, o.smape] = [o.mae / n, (o.rmse / n).sqrt(), o.mase / n, o.smape / n];
    }
    out
}

/// The forecaster with the lowest MASE averaged over the features (NaNs lose).
pub fn best(scores: &[Score]) -> Option<(String, f64)> {
    let mut names: Vec<&str> = scores.iter().map(|s| s.forecaster.as_str()).collect();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let own: Vec<f64> = scores.iter().filter(|s| s.forecaster == name).map(|s| s.mase).collect();
            (name.to_string(), own.iter().sum::<f64>() / own.len() as f64)
        })
        .filter(|(_, m)| !m.is_nan())
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mase_divides_the_mae_by_the_scale_given() {
        let names = vec!["a".to_string()];
        let (y1, y2) = ([10.0], [20.0]);
        let s = &score("rnn", &names, &[(&y1, &[11.0]), (&y2, &[17.0])], &[2.0])[0];
        assert_eq!((s.mae, s.mase, s.windows), (2.0, 1.0, 2));
        assert_eq!(s.rmse, 5f64.sqrt());
        assert!((s.smape - (200.0 / 21.0 + 600.0 / 37.0) / 2.0).abs() < 1e-12, "{}", s.smape);
    }

    #[test]
    fn the_best_forecaster_has_the_lowest_mean_mase() {
        let row = |f: &str, mase| Score {
            series: None,
            forecaster: f.into(),
            feature: "a".into(),
            windows: 1,
            mae: 0.0,
            rmse: 0.0,
            mase,
            smape: 0.0,
        };
        let scores = [row("rnn", 0.8), row("persistence", 1.0), row("linear", f64::NAN)];
        assert_eq!(best(&scores), Some(("rnn".to_string(), 0.8)));
    }

    #[test]
    fn pooled_scores_weigh_each_series_by_its_windows() {
        let row = |series: &str, windows, mae, rmse: f64, mase| Score {
            series: Some(series.into()),
            forecaster: "rnn".into(),
            feature: "a".into(),
            windows,
            mae,
            rmse,
            mase,
            smape: mae,
        };
        let all = pooled(&[row("x", 1, 4.0, 4.0, 1.0), row("y", 3, 0.0, 2.0, 3.0)], "all");
        assert_eq!(all.len(), 1);
        let p = &all[0];
        assert_eq!((p.series.as_deref(), p.windows, p.mae, p.mase, p.smape), (Some("all"), 4, 1.0, 2.5, 1.0));
        assert_eq!(p.rmse, ((16.0 + 3.0 * 4.0) / 4.0f64).sqrt());
    }
}
