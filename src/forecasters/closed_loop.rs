//! Who forecasts from a start, and how: the closed loop (a window rolled on by feeding each
//! prediction back as the next input, by the RNN or by its framing alone, `--target linear`'s
//! autoregression, the RNN's output at 0), Theta's forecast, the damped trend's, the drift's, the
//! seasonal naive's, a model's mean with Theta's (and the damped trend's), or the RNN's median
//! with Theta's and the damped trend's (and the seasonal naive's), each in model units from many
//! starts at once.

use super::damped::Damped;
use super::drift;
use super::theta::Theta;
use crate::data::framing::Framing;
use crate::data::scaling::scaled_one;
use crate::data::Windows;
use crate::model::loss::{fed_back, predict_next, predict_next_by};
use crate::model::RNN;
use anyhow::{anyhow, Result};
use tch::{Device, Kind, Tensor};

/// Model-unit values of one row in the series' units (a forecast runs on one series).
pub fn unscaled(w: &Windows, values: &[f32]) -> Vec<f64> {
    w.unscaled(0, values.iter().map(|&v| v as f64))
}

/// Who forecasts a series (`forecast --by`'s values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// the trained model
    Rnn,
    /// `--target linear`'s autoregression alone, without the RNN's correction (what the model
    /// with get_yt at zero predicts), where the held-out tails' closed loops say it does better
    Autoregression,
    /// Theta (theta.rs), on each feature of the series alone
    Theta,
    /// the mean of the RNN's forecast and Theta's
    RnnAndTheta,
    /// the mean of the autoregression's alone and Theta's
    AutoregressionAndTheta,
    /// the random walk with drift (drift.rs): the last value plus h times the mean step from the
    /// series' first value to it; also the fallback of a series too short for the model's window
    Drift,
    /// Holt's damped trend (damped.rs), on each feature of the series alone
    Damped,
    /// the mean of the RNN's forecast, Theta's and the damped trend's
    RnnThetaAndDamped,
    /// the mean of the autoregression's alone, Theta's and the damped trend's
    AutoregressionThetaAndDamped,
    /// the median of the RNN's forecast, Theta's and the damped trend's, at each step: the one
    /// between the other two, so that one of them far off does not pull the forecast
    MedianOfRnnThetaAndDamped,
    /// the median of the RNN's forecast, Theta's, the damped trend's and the seasonal naive's (the
    /// value one season before), at each step: the mean of the middle two, so that neither
    /// extreme pulls the forecast
    MedianOfRnnThetaDampedAndSeasonalNaive,
}

impl Method {
    /// Its name on the command line (`--by`).
    pub fn flag(self) -> String {
        clap::ValueEnum::to_possible_value(&self).map_or_else(String::new, |v| v.get_name().to_string())
    }

    /// What its forecast is made of, in the order `combine` takes their forecasts.
    pub fn parts(self) -> &'static [Part] {
        use Part as P;
        match self {
            Method::Rnn => &[P::Rnn],
            Method::Autoregression => &[P::Autoregression],
            Method::Theta => &[P::Theta],
            Method::RnnAndTheta => &[P::Rnn, P::Theta],
            Method::AutoregressionAndTheta => &[P::Autoregression, P::Theta],
            Method::Drift => &[P::Drift],
            Method::Damped => &[P::Damped],
            Method::RnnThetaAndDamped | Method::MedianOfRnnThetaAndDamped => &[P::Rnn, P::Theta, P::Damped],
            Method::AutoregressionThetaAndDamped => &[P::Autoregression, P::Theta, P::Damped],
            Method::MedianOfRnnThetaDampedAndSeasonalNaive => &[P::Rnn, P::Theta, P::Damped, P::SeasonalNaive],
        }
    }

    /// The model whose closed loop it rolls, if any: the RNN or the autoregression alone.
    pub fn rolls(self) -> Option<Method> {
        self.parts().iter().find_map(|p| match p {
            Part::Rnn => Some(Method::Rnn),
            Part::Autoregression => Some(Method::Autoregression),
            _ => None,
        })
    }

    /// Its parts' forecasts (model units) made one: their median where it is one, else their mean.
    pub fn combine(self, parts: &[&[Vec<f32>]]) -> Vec<Vec<f32>> {
        match self {
            Method::MedianOfRnnThetaAndDamped | Method::MedianOfRnnThetaDampedAndSeasonalNaive => median_of(parts),
            _ => mean_of(parts),
        }
    }

    /// The combinations the forecast chooses among, in the order its summary lists them.
    pub const COMBINATIONS: [Method; 6] = [
        Method::RnnAndTheta,
        Method::RnnThetaAndDamped,
        Method::MedianOfRnnThetaAndDamped,
        Method::MedianOfRnnThetaDampedAndSeasonalNaive,
        Method::AutoregressionAndTheta,
        Method::AutoregressionThetaAndDamped,
    ];
}

/// A forecaster a `Method` is made of: a model rolled on (the RNN, or its autoregression alone),
/// or one forecasting from the series' values (Theta, the damped trend, the seasonal naive, the
/// drift).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Rnn,
    Autoregression,
    Theta,
    Damped,
    SeasonalNaive,
    Drift,
}

impl Part {
    /// Its forecasts `steps` ahead from each of `origins` (rows of a file of one series, rising),
    /// in model units, per horizon, origin after origin (as `roll` gives them), where it forecasts
    /// from the series' values: Theta and the damped trend fitted on the series' first `fitted`
    /// rows, the seasonal naive by the series' season (none without one), the drift from its first
    /// row. None for a model (it rolls on), and where it has no forecast (`why_none`).
    pub fn from_values(self, w: &Windows, season: Option<usize>, fitted: usize, origins: &[usize], steps: usize) -> Option<Vec<Vec<f32>>> {
        match self {
            Part::Rnn | Part::Autoregression => None,
            Part::Theta => theta_ahead(w, season, fitted, origins, steps),
            Part::Damped => damped_ahead(w, season, fitted, origins, steps),
            Part::SeasonalNaive => seasonal_naive_ahead(w, season.filter(|&m| m > 1)?, origins, steps),
            Part::Drift => drift_ahead(w, origins, steps),
        }
    }

    /// Why `from_values` has no forecast from a row.
    pub fn why_none(self) -> &'static str {
        match self {
            Part::Rnn | Part::Autoregression => "a model rolls on from a window",
            Part::Theta | Part::Damped => "too few values before it, or one beyond the scaling's reach",
            Part::SeasonalNaive => "no season, or too few values before it, or one beyond the scaling's reach",
            Part::Drift => "the series' first row or the row before the start is a gap",
        }
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Part::Rnn => "the RNN",
            Part::Autoregression => "the linear autoregression alone",
            Part::Theta => "Theta",
            Part::Damped => "the damped trend",
            Part::SeasonalNaive => "the seasonal naive",
            Part::Drift => "the drift",
        })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            // a forecaster alone, named as its one part
            Method::Rnn | Method::Autoregression | Method::Theta | Method::Drift | Method::Damped => {
                return write!(f, "{}", self.parts()[0])
            }
            Method::RnnAndTheta => "the mean of the RNN and Theta",
            Method::AutoregressionAndTheta => "the mean of the autoregression alone and Theta",
            Method::RnnThetaAndDamped => "the mean of the RNN, Theta and the damped trend",
            Method::AutoregressionThetaAndDamped => "the mean of the autoregression alone, Theta and the damped trend",
            Method::MedianOfRnnThetaAndDamped => "the median of the RNN, Theta and the damped trend",
            Method::MedianOfRnnThetaDampedAndSeasonalNaive => "the median of the RNN, Theta, the damped trend and the seasonal naive",
        })
    }
}

/// A forecaster that rolls a window on: the RNN over its framing (an ensemble's every member,
/// `--ensemble`), or the framing alone.
#[derive(Clone, Copy)]
pub struct Roller<'a> {
    /// None: the framing's prediction alone (the model's output at 0).
    rnn: Option<&'a RNN>,
    /// The ensemble's other members, each rolled on by itself.
    members: &'a [RNN],
    framing: &'a Framing,
}

impl<'a> Roller<'a> {
    /// `by`'s model: the RNN `rnn` and the ensemble's other `members`, or the framing alone.
    pub fn of(by: Method, rnn: &'a RNN, members: &'a [RNN], framing: &'a Framing) -> Roller<'a> {
        Roller { rnn: (by.rolls() == Some(Method::Rnn)).then_some(rnn), members, framing }
    }
}

/// The closed loop on a batch of windows: `steps` predictions each, fed back, in model units;
/// of an ensemble, each member's loop on its own predictions, and their median at each step.
pub fn roll(model: Roller, window: Tensor, steps: usize) -> Result<Vec<Vec<f32>>> {
    let Some(first) = model.rnn.filter(|_| !model.members.is_empty()) else { return roll_one(model, window, steps) };
    let each = std::iter::once(first).chain(model.members).map(|rnn| {
        let one = Roller { rnn: Some(rnn), members: &[], framing: model.framing };
        roll_one(one, window.shallow_clone(), steps)
    });
    let each = each.collect::<Result<Vec<_>>>()?;
    Ok(median_of(&each.iter().map(|e| &e[..]).collect::<Vec<_>>()))
}

/// The closed loop of one model.
fn roll_one(model: Roller, mut window: Tensor, steps: usize) -> Result<Vec<Vec<f32>>> {
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        let y = match model.rnn {
            Some(rnn) => predict_next(rnn, model.framing, &window),
            None => predict_next_by(model.framing, &window, |x| x.select(1, -1).zeros_like()),
        };
        out.push(Vec::try_from(y.flatten(0, -1).to_kind(Kind::Float).to_device(Device::Cpu)).map_err(|e| anyhow!("{e}"))?);
        window = fed_back(&window, &y);
    }
    Ok(out)
}

/// Theta's forecasts `steps` ahead from each of `origins` (rows of a file of one series, rising),
/// in model units, per horizon, origin after origin (as `roll` gives them): Theta fitted on the
/// series' first `fitted` rows, each feature alone, its level smoothed on to each origin. None
/// where a feature has too few values to fit or a forecast has no value in model units.
fn theta_ahead(w: &Windows, season: Option<usize>, fitted: usize, origins: &[usize], steps: usize) -> Option<Vec<Vec<f32>>> {
    each_feature(w, origins.len(), steps, |x| Some(Theta::fit(&x[..fitted], season)?.from_each(x, origins, steps)))
}

/// The damped trend's forecasts, as `theta_ahead` gives Theta's.
fn damped_ahead(w: &Windows, season: Option<usize>, fitted: usize, origins: &[usize], steps: usize) -> Option<Vec<Vec<f32>>> {
    each_feature(w, origins.len(), steps, |x| Some(Damped::fit(&x[..fitted], season)?.from_each(x, origins, steps)))
}

/// A forecaster's forecasts from `origins` origins, `steps` ahead, in model units, per horizon,
/// origin after origin: `ahead` on each feature's column of the series, each origin's forecasts
/// in the series' units. None where it has none or one has no value in model units.
fn each_feature(w: &Windows, origins: usize, steps: usize, ahead: impl Fn(&[f64]) -> Option<Vec<Vec<f64>>>) -> Option<Vec<Vec<f32>>> {
    let f = w.series.features();
    let mut out = vec![vec![0f32; origins * f]; steps];
    for j in 0..f {
        let x = w.series.rows.column(0..w.series.rows.len(), j);
        for (o, preds) in ahead(&x)?.iter().enumerate() {
            for (h, &p) in preds.iter().enumerate() {
                out[h][o * f + j] = scaled_one(w.scaling_of(0), j, p) as f32;
            }
        }
    }
    out.iter().flatten().all(|v| v.is_finite()).then_some(out)
}

/// Forecasts in model units made one by `one`, each (horizon, origin, feature) alone from the
/// parts' values there, in the parts' order.
fn pointwise(parts: &[&[Vec<f32>]], one: impl Fn(Vec<f32>) -> f32) -> Vec<Vec<f32>> {
    let at = |h: usize, i: usize| one(parts.iter().map(|p| p[h][i]).collect());
    (0..parts[0].len()).map(|h| (0..parts[0][h].len()).map(|i| at(h, i)).collect()).collect()
}

/// The mean of forecasts in model units, each (horizon, origin, feature) alone.
pub fn mean_of(parts: &[&[Vec<f32>]]) -> Vec<Vec<f32>> {
    pointwise(parts, |v| (v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64) as f32)
}

/// The median of forecasts in model units, each (horizon, origin, feature) alone: the middle
/// one, or the mean of the middle two.
pub fn median_of(parts: &[&[Vec<f32>]]) -> Vec<Vec<f32>> {
    pointwise(parts, |mut v| {
        v.sort_by(f32::total_cmp);
        let n = v.len();
        match n % 2 {
            1 => v[n / 2],
            _ => ((v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0) as f32,
        }
    })
}

/// The seasonal naive's forecasts `steps` ahead from each of `origins`, in model units, as
/// `theta_ahead` gives them: h steps ahead, the value of the last season before the origin at the
/// same place in the season (past a gap there, the one a season earlier; where the series has none
/// there yet, the last value). None where a feature has no value before an origin.
fn seasonal_naive_ahead(w: &Windows, season: usize, origins: &[usize], steps: usize) -> Option<Vec<Vec<f32>>> {
    let at = |x: &[f64], t: usize, h: usize| {
        let same_place = (1..).map(|back| (t + h % season).checked_sub(back * season)).map_while(|r| r.filter(|&r| r < t));
        let last = (0..t).rev();
        same_place.chain(last).map(|r| x[r]).find(|v| !v.is_nan()).unwrap_or(f64::NAN)
    };
    each_feature(w, origins.len(), steps, |x| Some(origins.iter().map(|&t| (0..steps).map(|h| at(x, t, h)).collect()).collect()))
}

/// The drift's forecasts `steps` ahead from each of `origins` (rows of a file of one series), in
/// model units, as `theta_ahead` gives them: from the series' first row to the row before each
/// origin. None where either is a gap.
fn drift_ahead(w: &Windows, origins: &[usize], steps: usize) -> Option<Vec<Vec<f32>>> {
    let from = |x: &[f64], t: usize| drift::ahead(&[x[0]], &[x[t - 1]], t, steps).into_iter().map(|row| row[0]).collect();
    each_feature(w, origins.len(), steps, |x| Some(origins.iter().map(|&t| from(x, t)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each (horizon, origin, feature) alone: the middle of three, whichever part it comes from,
    /// and the mean of the middle two of four.
    #[test]
    fn the_median_is_taken_at_each_point_alone() {
        let (a, b, c) =
            (vec![vec![1.0f32, 9.0], vec![5.0, -1.0]], vec![vec![2.0f32, 3.0], vec![4.0, 0.0]], vec![vec![3.0f32, 4.0], vec![6.0, 2.0]]);
        assert_eq!(median_of(&[&a, &b, &c]), vec![vec![2.0, 4.0], vec![5.0, 0.0]]);
        assert_eq!(median_of(&[&a, &b, &c, &a]), vec![vec![1.5, 6.5], vec![5.0, -0.5]]);
        assert_eq!(Method::MedianOfRnnThetaAndDamped.combine(&[&a, &b, &c]), median_of(&[&a, &b, &c]));
        assert_eq!(Method::RnnThetaAndDamped.combine(&[&a, &b, &c]), vec![vec![2.0, 16.0 / 3.0], vec![5.0, 1.0 / 3.0]]);
    }

    /// From each origin, the last season's value at each place in it, a season earlier past a
    /// gap; where the season has no value yet at a place, the last value.
    #[test]
    fn the_seasonal_naive_repeats_the_last_season_past_its_gaps() {
        use crate::data::{ScalingRule, Series, Split};
        // a season of 4: row i is 10 (i mod 4) + i; row 9 a gap
        let mut rows: Vec<f64> = (0..12).map(|i| (i % 4) as f64 * 10.0 + i as f64).collect();
        rows[9] = f64::NAN;
        let rows = rows.into_iter().map(|v| vec![v]).collect::<Vec<_>>().into();
        let series = Series { names: vec!["a".into()], rows, time: None, gaps: 1, groups: None };
        let w = Windows::new(series, ScalingRule::Unscaled, 2, Split { test_fraction: 0.25, val_fraction: 0.0 }).unwrap();
        let got = seasonal_naive_ahead(&w, 4, &[12, 3], 6).unwrap();
        let from_12: Vec<f32> = got.iter().map(|h| h[0]).collect();
        assert_eq!(from_12, vec![8.0, 15.0, 30.0, 41.0, 8.0, 15.0], "rows 8, 5 (row 9 a gap), 10, 11, then again");
        let from_3: Vec<f32> = got.iter().map(|h| h[1]).collect();
        assert_eq!(from_3, vec![22.0, 0.0, 11.0, 22.0, 22.0, 0.0], "rows 4 to 6 as rows 0 to 2; rows 3 and 7 have none: the last value");
    }
}
