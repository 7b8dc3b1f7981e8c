//! The forecast, closed loop: start from a window of the series (by default its last rows, to
//! forecast the future), and feed each prediction back as the next input, for as many steps as
//! asked, with a band at each horizon (forecasters/band.rs). Compares with the truth where it is
//! known, and scores the closed loop from every start of the test tail (horizons.rs).

use super::forecast_output::{Asked, Choice, Forecast, Generated, Reason, Row};
use super::horizons::{score_horizons, squares, Scoring, Truth};
use super::trained::{chosen_series, load_model, series_for, Loaded, RunSeries, TrainedArgs};
use crate::data::{self, Source, Time, Transform, Windows};
use crate::forecasters::band;
use crate::forecasters::closed_loop::{roll, unscaled, Method, Part, Roller};
use crate::forecasters::drift;
use crate::forecasters::theta::Theta;
use anyhow::{anyhow, bail, Context, Result};
use std::sync::Arc;
use tch::Tensor;

/// The first row to generate: `--from`'s time label or row number, else the row after the last.
fn start_row(from: Option<&str>, series: &data::Series) -> Result<usize> {
    let Some(from) = from else { return Ok(series.rows.len()) };
    if let Some(i) = series.time.as_ref().and_then(|t| t.labels.iter().position(|l| l == from)) {
        return Ok(i);
    }
    match (from.parse::<usize>(), &series.time) {
        (Ok(row), _) => Ok(row),
        (Err(_), Some(t)) => bail!(
            "--from {from}: no row has that time label (the labels run from {} to {}), and it is not a row number",
            t.labels.first().unwrap_or(""),
            t.labels.last().unwrap_or("")
        ),
        (Err(_), None) => bail!("--from {from}: not a row number (the series has no time column for a label)"),
    }
}

/// The forecast of each series asked for (`--series`, else every one; a file of one series: it).
pub fn forecast(trained: &TrainedArgs, asked: &Asked) -> Result<Vec<Forecast>> {
    let loaded = load_model(&trained.weights()?, &trained.model)?;
    let RunSeries { source, windows } = series_for(&loaded, &trained.data)?;
    let chosen = chosen_series(&windows, asked.series.as_deref())?;
    let steps = horizon(asked.steps, &loaded);
    // the run's own series: its autoregression refit on every window for the future's forecast
    // (another file's forecast is the trained model's alone)
    let own = loaded.run.as_ref().is_some_and(|r| r.series_fingerprint == windows.fingerprint);
    let future = if own { loaded.framing.for_the_future(&windows.ds) } else { loaded.framing.clone() };
    // each series with a window, alone (a file of one series: itself)
    let (singles, many) = match windows.series.groups.is_some() {
        true => (windows.kept_series().map(|k| Ok((k, windows.only(k)?))).collect::<Result<Vec<_>>>()?, Some(windows)),
        false => (vec![(0, windows)], None),
    };
    let (by, choice, rolled) = choose(&loaded, &singles, steps, asked)?;
    let (rnn, members) = (&loaded.rnn, &loaded.members[..]);
    let (held_out, future) = (Roller::of(by, rnn, members, &loaded.framing), Roller::of(by, rnn, members, &future));
    let models = Models { held_out, future, by, choice: choice.as_ref() };
    let all: Vec<(usize, Validated)> =
        singles.into_iter().zip(rolled).map(|((k, w), v)| (k, Validated::of(&loaded, w, v, asked))).collect();
    let Some(windows) = many else {
        let [(_, validated)]: [(usize, Validated); 1] = all.try_into().map_err(|_| anyhow!("one series, one forecast"))?;
        return Ok(vec![forecast_one(&loaded, models, &source, validated, asked, steps, None)?]);
    };
    // Every series, asked for or not, lends its validation errors to the bands.
    let lent: Vec<Vec<Vec<f64>>> = all.iter().filter_map(|(_, v)| v.lent()).collect();
    let pool = band::pool_of(lent.iter(), windows.series.features());
    let mut out = Vec::with_capacity(chosen.len());
    let mut validated: Vec<Option<Validated>> = (0..windows.series.count()).map(|_| None).collect();
    all.into_iter().for_each(|(k, v)| validated[k] = Some(v));
    // chosen: every series, or one; a series too short for the model's window gets Theta's or the drift's
    // forecast from its end (none with --from: no window fits before it)
    let mut wanted = chosen;
    if asked.series.is_none() {
        wanted.extend(&windows.left_out);
        wanted.sort_unstable();
    }
    for k in wanted {
        let name = windows.series.name_of(k).map(String::from);
        let fc = match validated[k].take() {
            Some(v) => forecast_one(&loaded, models, &source, v, asked, steps, Some(pool.clone()))
                .with_context(|| format!("series {}", name.as_deref().unwrap_or_default()))?,
            None if asked.from.is_none() => fallback(&windows.series.only(k), steps, loaded.run.as_ref().and_then(|r| r.season)),
            None if asked.series.is_none() => continue,
            None => return Err(too_short_from(name, asked, windows.series.only(k).rows.len(), loaded.seq_len)),
        };
        out.push(Forecast { series: name, ..fc });
    }
    Ok(out)
}

/// A series asked for by name (`--series`) that is too short for the model's window, with
/// `--from`: no window starts inside it, and only its end has a forecast (Theta's or the drift's).
fn too_short_from(name: Option<String>, asked: &Asked, rows: usize, seq_len: i64) -> anyhow::Error {
    anyhow!(
        "series {}: --from {}: the series is too short for the model's window ({rows} rows; a window takes {seq_len} and a target), so no forecast starts inside it; leave out --from to forecast it from its end",
        name.unwrap_or_default(),
        asked.from.as_deref().unwrap_or_default()
    )
}

/// Who forecasts, as each origin needs it: the held-out tails with the run's fit, the future
/// from the last row with the fit on every window (`Framing::for_the_future`).
#[derive(Clone, Copy)]
struct Models<'a> {
    held_out: Roller<'a>,
    future: Roller<'a>,
    by: Method,
    choice: Option<&'a Choice>,
}

/// The closed loops of one series' held-out windows, `steps` long, and what its band's errors
/// are scaled by to pool (`Windows::band_scale`).
struct HeldOut {
    validation: band::Rolled,
    test: band::Rolled,
    band_scale: Vec<f64>,
}

/// The forecasters the choice is among, each series' held-out closed loops by each: the RNN; with
/// `--target linear`, its autoregression alone; where every series is scaled without a
/// transform, Theta and the damped trend (each fitted on the rows before the first held-out
/// window), their combinations with each model's (`mixtures`; for a series with a season, with the
/// seasonal naive's too), and the drift.
fn candidates(loaded: &Loaded, singles: &[(usize, Windows)], steps: usize) -> Result<Vec<(Method, Loops)>> {
    let season = loaded.run.as_ref().and_then(|r| r.season);
    let by_model = |by: Method| -> Result<(Method, Loops)> {
        let model = Roller::of(by, &loaded.rnn, &loaded.members, &loaded.framing);
        let loops = singles.iter().map(|(_, w)| {
            let test = w.ds.len() - w.test_start();
            Ok([band::Rolled::of(model, w, w.n_train, w.n_val, steps)?, band::Rolled::of(model, w, w.test_start(), test, steps)?])
        });
        Ok((by, loops.collect::<Result<_>>()?))
    };
    let mut out = vec![by_model(Method::Rnn)?];
    if loaded.framing.linear.is_some() {
        out.push(by_model(Method::Autoregression)?);
    }
    let statistical = |part: Part| -> Option<Loops> {
        let each = out[0].1.iter().zip(singles).map(|(loops, (_, w))| {
            let fitted = w.targets.get(w.n_train).copied();
            along(loops, &|r, reach| part.from_values(w, season, fitted?, &r.starts, reach))
        });
        each.collect()
    };
    let scaled = singles.iter().all(|(_, w)| !w.scaling.is_empty() && w.transform() == Transform::None);
    let Some(thetas) = scaled.then(|| statistical(Part::Theta)).flatten() else { return Ok(out) };
    let dampeds = statistical(Part::Damped);
    let drifts = statistical(Part::Drift);
    let snaives = season.filter(|&m| m > 1).and_then(|_| statistical(Part::SeasonalNaive));
    let of = |part: Part| match part {
        Part::Rnn | Part::Autoregression => out.iter().find(|(by, _)| by.parts() == [part]).map(|(_, loops)| loops),
        Part::Theta => Some(&thetas),
        Part::Damped => dampeds.as_ref(),
        Part::SeasonalNaive => snaives.as_ref(),
        Part::Drift => drifts.as_ref(),
    };
    let mixed = mixtures(of);
    out.push((Method::Theta, thetas));
    out.extend(dampeds.map(|d| (Method::Damped, d)));
    out.extend(mixed);
    out.extend(drifts.map(|d| (Method::Drift, d)));
    Ok(out)
}

/// Each series' held-out closed loops (validation, test), by one forecaster.
type Loops = Vec<[band::Rolled; 2]>;

/// Each of `Method::COMBINATIONS` whose every part has loops (`of`), the parts' loops combined.
fn mixtures<'a>(of: impl Fn(Part) -> Option<&'a Loops>) -> Vec<(Method, Loops)> {
    let combine = |by: Method, parts: &[&[band::Rolled; 2]]| -> [band::Rolled; 2] {
        let of = |i: usize| band::Rolled {
            starts: parts[0][i].starts.clone(),
            preds: by.combine(&parts.iter().map(|p| &p[i].preds[..]).collect::<Vec<_>>()),
        };
        [of(0), of(1)]
    };
    let mixed = Method::COMBINATIONS.into_iter().filter_map(|by| {
        let loops: Vec<&Loops> = by.parts().iter().map(|&part| of(part)).collect::<Option<_>>()?;
        let series = (0..loops[0].len()).map(|k| combine(by, &loops.iter().map(|l| &l[k]).collect::<Vec<_>>()));
        Some((by, series.collect()))
    });
    mixed.collect()
}

/// A forecaster's held-out loops from the same starts as a model's `loops` (validation, test),
/// as far as they reach, by `ahead` (its forecasts in model units from the starts); none where it
/// has none.
fn along(loops: &[band::Rolled; 2], ahead: &dyn Fn(&band::Rolled, usize) -> Option<Vec<Vec<f32>>>) -> Option<[band::Rolled; 2]> {
    let of = |r: &band::Rolled| match r.preds.len() {
        0 => Some(band::Rolled { starts: r.starts.clone(), preds: vec![] }),
        reach => Some(band::Rolled { starts: r.starts.clone(), preds: ahead(r, reach)? }),
    };
    Some([of(&loops[0])?, of(&loops[1])?])
}

/// The forecaster whose closed loops from every series' held-out windows, `steps` long, err the
/// least (each error over its series' scale, as the band pools them, mean over every horizon and
/// window), among `candidates`, or the one `--by` asks. For the future (no `--from`), every
/// held-out truth counts; from an earlier start, as for its band, only those before the test
/// tail. The RNN on a tie or without such truths. With each series' loops by the one chosen.
fn choose(loaded: &Loaded, singles: &[(usize, Windows)], steps: usize, asked: &Asked) -> Result<(Method, Option<Choice>, Vec<HeldOut>)> {
    let season = loaded.run.as_ref().and_then(|r| r.season);
    let scales: Vec<Vec<f64>> = singles.iter().map(|(_, w)| w.band_scale(0, season)).collect();
    let error = |loops: &[[band::Rolled; 2]]| {
        let (mut sum, mut n) = (0.0, 0usize);
        for (((_, w), scale), [validation, test]) in singles.iter().zip(&scales).zip(loops) {
            let seen = band::Calibration::without_errors(w, asked.rule).and(w, validation).and(w, test);
            let errors = match asked.from {
                None => seen.scaled_errors(scale, usize::MAX),
                Some(_) => seen.scaled_validation_errors(scale),
            };
            errors.iter().flatten().flatten().for_each(|e| (sum, n) = (sum + e, n + 1));
        }
        sum / n as f64
    };
    let mut all = candidates(loaded, singles, steps)?;
    let errors: Vec<(Method, f64)> = all.iter().map(|(by, loops)| (*by, error(loops))).collect();
    // the damped trend alone forecasts only when asked: on the cut yearly M1 series the choice
    // fell to it and it scored worse than the drift it displaced (16.38 against 15.88)
    let least =
        (0..errors.len()).filter(|&i| errors[i].0 != Method::Damped).fold(0, |best, i| if errors[i].1 < errors[best].1 { i } else { best });
    // the combination, unless the held-out tails say clearly that another forecasts better
    let clearly = |i: usize| errors[i].1 <= CLEARLY * errors[least].1;
    let combined = season.filter(|&m| m > 1).and_then(|_| errors.iter().position(|e| e.0 == COMBINED)).filter(|&i| clearly(i));
    let (best, reason) = match (asked.by, combined) {
        (None, Some(i)) => (i, Reason::Combined),
        (None, None) => (least, Reason::Least),
        (Some(by), _) => (errors.iter().position(|e| e.0 == by).ok_or_else(|| {
            let can: Vec<String> = errors.iter().map(|e| e.0.flag()).collect();
            anyhow!("--by {}: this run cannot forecast by it; it can by {} (Theta and the damped trend need a CSV series without --transform log, the autoregression --target linear)", by.flag(), can.join(", "))
        })?, Reason::Asked),
    };
    let (by, loops) = all.swap_remove(best);
    let held_out = loops.into_iter().zip(scales).map(|([validation, test], band_scale)| HeldOut { validation, test, band_scale });
    let models = loaded.members.len() + 1;
    Ok((by, (errors.len() > 1).then_some(Choice { errors, reason, models }), held_out.collect()))
}

/// The forecast's default for series with a season, where Theta and the damped trend can
/// forecast: the median of the RNN's, Theta's, the damped trend's and the seasonal naive's
/// forecasts at each step (the mean of the middle two), rather than the one that errs least on
/// the held-out tails (unless that one errs clearly less: `CLEARLY`). On M1's and Tourism's
/// histories cut before their test horizons the median of the first three had scored lower than
/// that choice; with the seasonal naive beside them the whole of M1 went from sMAPE 16.95 to 16.64
/// and Tourism from MAPE 21.89 to 21.57 (M1 quarterly 14.06 to 14.28, monthly 18.21 to 17.64;
/// Tourism quarterly 19.70 to 19.24, monthly 26.54 to 25.91); on their yearly ones (no season) the
/// choice forecasts, mostly by the drift (docs/competition_cut.md).
pub const COMBINED: Method = Method::MedianOfRnnThetaDampedAndSeasonalNaive;

/// How much more than the least the combination may err on the held-out tails and still forecast:
/// on the competitions' seasonal histories it erred at most 5% more (and forecast better there);
/// on an hourly series whose Theta errs ten times the RNN's (vega's sf-temps), eight times more.
pub const CLEARLY: f64 = 1.1;

/// `--steps`, or one season of the run's series when it has one, else the window's length: a
/// forecaster's usual horizon, and as far as the window sees.
fn horizon(steps: Option<u64>, loaded: &Loaded) -> usize {
    steps.map_or_else(|| loaded.run.as_ref().and_then(|r| r.season).unwrap_or(loaded.seq_len as usize), |s| s as usize)
}

/// One series' windows, its validation windows' closed-loop errors (none without them), its
/// test tail's closed loops, and what its errors are scaled by (scores.csv's MASE scale).
struct Validated {
    windows: Windows,
    calibration: Option<band::Calibration>,
    test: band::Rolled,
    scale: Vec<f64>,
    /// What its band's errors are scaled by to pool (`Windows::band_scale`).
    band_scale: Vec<f64>,
}

impl Validated {
    fn of(loaded: &Loaded, windows: Windows, held_out: HeldOut, asked: &Asked) -> Validated {
        let calibration = band::Calibration::of(&windows, &held_out.validation, asked.rule);
        let scale = windows.mase_scale(0, loaded.run.as_ref().and_then(|r| r.season));
        Validated { windows, calibration, test: held_out.test, scale, band_scale: held_out.band_scale }
    }

    /// What this series lends the bands: its validation errors over its scale.
    fn lent(&self) -> Option<Vec<Vec<f64>>> {
        self.calibration.as_ref()?.scaled_validation_errors(&self.band_scale)
    }
}

/// The fallback for a series too short for the model's window, from its last row, without a
/// band: Theta (forecasters/theta.rs) on each feature where each has `SHORT_THETA` values or
/// more, else the drift (forecasters/drift.rs).
fn fallback(series: &data::Series, steps: usize, season: Option<usize>) -> Forecast {
    let n = series.rows.len();
    let columns: Vec<Vec<f64>> = (0..series.features()).map(|j| series.rows.column(0..n, j)).collect();
    let long_enough = |x: &[f64]| x.iter().filter(|v| !v.is_nan()).count() >= SHORT_THETA;
    let thetas: Option<Vec<Theta>> = columns.iter().map(|x| long_enough(x).then(|| Theta::fit(x, season)).flatten()).collect();
    let (by, ahead) = match thetas {
        Some(thetas) => {
            let each: Vec<Vec<f64>> = thetas.iter().zip(&columns).map(|(t, x)| t.from_each(x, &[n], steps).remove(0)).collect();
            (Method::Theta, (0..steps).map(|h| each.iter().map(|f| f[h]).collect()).collect())
        }
        None => (Method::Drift, drift::ahead(&series.rows[0], &series.rows[n - 1], n, steps)),
    };
    let generated = ahead
        .into_iter()
        .enumerate()
        .map(|(h, pred)| Generated { index: n + h, pred, lower: None, upper: None, truth: None, distance: None, persistence: None })
        .collect();
    let future = future_labels(series.time.as_ref(), steps);
    Forecast {
        series: None,
        from: n,
        names: series.names.clone(),
        generated,
        context: (0..n).map(|index| Row { index, values: series.rows[index].to_vec() }).collect(),
        builtin: false,
        time: series.time.clone(),
        future,
        horizons: vec![],
        band: None,
        by,
        choice: None,
        too_short: true,
    }
}

/// The fewest values for Theta's fallback (statsforecast's Theta refuses three or fewer).
const SHORT_THETA: usize = 4;

/// The `count` time labels after the series' last, at its step in their own form (from its last
/// thousand labels); none without a time column or a step to go on with.
fn future_labels(time: Option<&Time>, count: usize) -> Vec<String> {
    let tail = |t: &Time| t.labels.strings(t.labels.len().saturating_sub(1000)..t.labels.len());
    time.and_then(|t| data::season::continue_labels(&tail(t), count)).unwrap_or_default()
}

/// The row the forecast starts from (`--from`, else the end): with `seq_len` rows before it,
/// none a gap.
fn checked_start(asked: &Asked, series: &data::Series, seq: usize) -> Result<usize> {
    let (from, n) = (start_row(asked.from.as_deref(), series)?, series.rows.len());
    if from < seq || from > n {
        bail!("--from {from}: the forecast needs the {seq} rows before it, so it must be between {seq} and {n}");
    }
    if let Some(gap) = (from - seq..from).find(|&i| series.has_gap(i)) {
        bail!("--from {from}: row {gap}, among the {seq} rows the forecast starts from, has a gap; choose another --from");
    }
    Ok(from)
}

/// From the last row, the forecast is `models.future`'s, fitted on every window; from an earlier
/// row, the run's, which never saw the rows after it.
fn forecast_one(
    loaded: &Loaded,
    models: Models,
    source: &Source,
    validated: Validated,
    asked: &Asked,
    steps: usize,
    pool: Option<Arc<Vec<Vec<Vec<f64>>>>>,
) -> Result<Forecast> {
    let Validated { windows, calibration, test, scale, band_scale } = validated;
    let (seq, n) = (loaded.seq_len as usize, windows.series.rows.len());
    let from = checked_start(asked, &windows.series, seq)?;
    let truth = Truth { model_rows: data::model_rows(&windows.series, &windows.scaling), windows: &windows, source };
    // the test tail's closed loops (`test`): scored, and, after the validation's, calibrating the
    // band; a series of many too short for validation windows of its own: the pool calibrates it
    let pooled = pool.filter(|p| p.iter().flatten().any(|errors| !errors.is_empty()));
    let calibration = calibration.or_else(|| pooled.as_ref().map(|_| band::Calibration::without_errors(&windows, asked.rule)));
    let calibration = calibration.map(|c| c.and(&windows, &test)).map(|c| match pooled {
        Some(pool) => c.pooled(band_scale, pool),
        None => c,
    });
    let scoring = Scoring { calibration: calibration.as_ref(), mase_scale: scale };
    let (horizons, band) = score_horizons(&truth, &test, &scoring, from, steps);
    let ahead = ahead(loaded, models, &truth, from, steps)?;
    let generated = generate(&truth, ahead, from, band.as_ref());
    // The history shown before the forecast: three times its length, at least the window.
    let shown = (3 * steps).max(seq).min(from);
    let context = (from - shown..from).map(|index| Row { index, values: windows.series.rows[index].to_vec() }).collect();
    let time = windows.series.time.clone();
    let future = future_labels(time.as_ref(), (from + steps).saturating_sub(n));
    Ok(Forecast {
        series: None,
        from,
        names: windows.series.names.clone(),
        generated,
        context,
        builtin: source.is_circle(),
        time,
        future,
        horizons,
        band,
        by: models.by,
        choice: models.choice.cloned(),
        too_short: false,
    })
}

/// The forecast from `from`, `steps` long, in model units, by the method chosen: the closed loop
/// from the `seq_len` rows before it, Theta's forecast, the damped trend's, the drift's, or the
/// mean of those it names. From the last row, the model fitted on every window (`models.future`)
/// and Theta and the damped trend on every row; from an earlier row, the run's model, and Theta
/// and the damped trend on the rows before the first held-out window (and before `from`).
fn ahead(loaded: &Loaded, models: Models, truth: &Truth, from: usize, steps: usize) -> Result<Vec<Vec<f32>>> {
    let (seq, f, w) = (loaded.seq_len as usize, truth.windows.series.features(), truth.windows);
    let n = w.series.rows.len();
    let season = loaded.run.as_ref().and_then(|r| r.season);
    let fitted = if from == n { n } else { w.targets.get(w.n_train).map_or(from, |&t| t.min(from)) };
    let mut parts = vec![];
    for &part in models.by.parts() {
        parts.push(match part {
            Part::Rnn | Part::Autoregression => {
                let window = Tensor::from_slice(&truth.model_rows[(from - seq) * f..from * f]).view([1, seq as i64, f as i64]);
                roll(if from == n { models.future } else { models.held_out }, window, steps)?
            }
            _ => part
                .from_values(w, season, fitted, &[from], steps)
                .ok_or_else(|| anyhow!("{part} has no forecast from row {from}: {}", part.why_none()))?,
        });
    }
    Ok(models.by.combine(&parts.iter().map(|p| &p[..]).collect::<Vec<_>>()))
}

/// Each point of the forecast `ahead` (model units) from `from`, with its band and, where known,
/// the truth and the distances to it.
fn generate(truth: &Truth, ahead: Vec<Vec<f32>>, from: usize, band: Option<&band::Band>) -> Vec<Generated> {
    let last = truth.scaled_row(from - 1).unwrap_or_default();
    let distance = |a: &[f64], t: &[f64]| squares(a, t).sqrt();
    let generated = ahead.into_iter().zip(from..).enumerate().map(|(k, (y, index))| {
        let pred = unscaled(truth.windows, &y);
        let edges = band.map(|b| b.edges(k + 1, &pred));
        let y: Vec<f64> = y.iter().map(|&v| v as f64).collect();
        let t = truth.scaled_row(index);
        Generated {
            index,
            lower: edges.as_ref().map(|e| e.0.clone()),
            upper: edges.map(|e| e.1),
            pred,
            truth: truth.row(index),
            distance: t.as_ref().map(|t| distance(&y, t)),
            persistence: t.as_ref().map(|t| distance(&last, t)),
        }
    });
    generated.collect()
}
