//! `vanilla-rnn forecast`, closed loop: start from a window of the series (by default its last
//! rows, to forecast the future), and feed each prediction back as the next input, for as many
//! steps as asked, with a band at each horizon (`band.rs`). Compares with the truth where it is
//! known, and scores the closed loop from every start of the test tail. Its figure: `figure.rs`.

pub mod band;
pub mod figure;

use super::trained::{chosen_series, load_model, series_for, Loaded, RunSeries, TrainedArgs};
use crate::data::framing::Framing;
use crate::data::{self, Source, Time, Windows};
use crate::files::tables::{csv_field, format_num, Csv};
use crate::model::loss::{predict_next, predict_next_by};
use crate::model::RNN;
use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tch::{Device, Kind, Tensor};

/// How far a forecast may stray (Euclidean, in the model's [-1, 1] units) and still count.
pub const NEAR: f64 = 0.1;

/// `vanilla-rnn forecast`'s command line.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub trained: TrainedArgs,
    /// How many points to generate [default: one season, when the run's series has one (config.json's season); else as many as the window reads (its seq_len)]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub steps: Option<u64>,
    /// First row to generate, by its time label (`1958-01`) or its row number; the seq_len rows before it start the loop [default: the row after the last, the future]
    #[arg(long, value_name = "LABEL|ROW")]
    pub from: Option<String>,
    /// The band's coverage: conformal on the held-out windows' errors seen before the forecast's start (none without validation windows)
    #[arg(long, default_value_t = 0.9, value_parser = coverage)]
    pub coverage: f64,
    /// How far each test-tail truth moves the band's level: by this step times (the miss rate asked - whether its band missed it), adaptive conformal inference's; 0 keeps --coverage's quantile (plain split conformal)
    #[arg(long, default_value_t = band::ADAPT, value_parser = band_step)]
    pub band_step: f64,
    /// The band at a horizon whose errors are too few for the level's rank (fewer than 9 at 90%, or a level that --band-step has raised): the largest error, or the larger of it and Student's t band from the errors' root mean square, which keeps widening as the level rises
    #[arg(long, default_value_t = band::FewErrors::T, value_enum)]
    pub few_errors: band::FewErrors,
    /// The CSV to write [default: forecast.csv beside the weights]; the plot goes beside it (.png)
    #[arg(long, value_name = "CSV")]
    pub out: Option<PathBuf>,
}

impl ForecastArgs {
    /// What the band is asked.
    fn rule(&self) -> band::Rule {
        band::Rule { coverage: self.coverage, step: self.band_step, few: self.few_errors }
    }
}

/// What --coverage and --band-step allow (the flags' parsers and a forecast.json read back both ask).
fn is_coverage(c: f64) -> bool {
    c > 0.0 && c < 1.0
}

fn is_band_step(s: f64) -> bool {
    (0.0..=1.0).contains(&s)
}

fn band_step(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(s) if is_band_step(s) => Ok(s),
        _ => Err(format!("{v} is not a band step: give a number from 0 to 1, such as {}", band::ADAPT)),
    }
}

fn coverage(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(c) if is_coverage(c) => Ok(c),
        _ => Err(format!("{v} is not a coverage: give a fraction between 0 and 1, such as 0.9")),
    }
}

/// A row of the series: its index, and its values in the user's units.
#[derive(Debug, Clone)]
pub struct Row {
    pub index: usize,
    pub values: Vec<f64>,
}

/// One generated point.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The series row it stands for.
    pub index: usize,
    /// The prediction, in the user's units.
    pub pred: Vec<f64>,
    /// The band around it, when there is one.
    pub lower: Option<Vec<f64>>,
    pub upper: Option<Vec<f64>>,
    /// The true row, when known.
    pub truth: Option<Vec<f64>>,
    /// Distance to the truth in model units, when known.
    pub distance: Option<f64>,
    /// Persistence's distance (the last row before the forecast, held) to the truth, when known.
    pub persistence: Option<f64>,
}

/// Error at one horizon, over every held-out start whose truth is known there: mean squared
/// error in model units (at h = 1, metrics.csv's test_loss and baselines.csv's persistence).
#[derive(Debug, Clone, PartialEq)]
pub struct HorizonScore {
    pub h: usize,
    pub starts: usize,
    pub rnn: f64,
    pub persistence: f64,
    /// The RNN's MAE in the series' units over the MASE scale (scores.csv's), mean over features.
    pub mase: f64,
    /// The fraction of (start, feature) truths within the band, when there is one.
    pub coverage: Option<f64>,
}

pub struct Forecast {
    /// Its series, in a file of many.
    pub series: Option<String>,
    pub from: usize,
    pub names: Vec<String>,
    pub generated: Vec<Generated>,
    /// The rows the loop starts from.
    pub context: Vec<Row>,
    /// The built-in circle, whose truth continues past its last row.
    pub builtin: bool,
    /// The time column's name and labels, when the series has one.
    pub time: Option<Time>,
    /// The labels after the last row, at the series' step, as far as the forecast goes.
    pub future: Vec<String>,
    /// The closed loop's error at each horizon, from every held-out start.
    pub horizons: Vec<HorizonScore>,
    /// The band at the forecast's start, when the run has validation windows.
    pub band: Option<band::Band>,
    /// Who forecast it.
    pub by: Forecaster,
    /// What chose between the RNN and its autoregression alone (`--target linear`).
    pub choice: Option<Choice>,
}

impl Forecast {
    fn near(&self) -> impl Iterator<Item = bool> + '_ {
        self.generated.iter().map(|g| g.distance.is_some_and(|d| d <= NEAR))
    }

    /// Steps from the start that all stay within NEAR of the truth.
    pub fn steps_near(&self) -> usize {
        self.near().take_while(|&n| n).count()
    }

    pub fn within(&self) -> usize {
        self.near().filter(|&n| n).count()
    }

    pub fn with_truth(&self) -> usize {
        self.generated.iter().filter(|g| g.distance.is_some()).count()
    }

    /// A row's time label, when the series has one: its own, or continued past the end.
    pub fn label(&self, index: usize) -> Option<&str> {
        let labels = &self.time.as_ref()?.labels;
        labels.get(index).or_else(|| self.future.get(index - labels.len()).map(String::as_str))
    }

    /// The closed loop's MASE on the test tail, mean over its horizons.
    pub fn mase(&self) -> Option<f64> {
        let n = self.horizons.len();
        (n > 0).then(|| self.horizons.iter().map(|h| h.mase).sum::<f64>() / n as f64)
    }

    /// The band's coverage on the test tail, over every horizon's (start, feature) truths.
    pub fn coverage_reached(&self) -> Option<f64> {
        let (mut within, mut all) = (0.0, 0.0);
        for h in &self.horizons {
            within += h.coverage? * h.starts as f64;
            all += h.starts as f64;
        }
        (all > 0.0).then(|| within / all)
    }

    /// `[series,]step,index[,time],pred_<f>...[,lower_<f>...,upper_<f>...],true_<f>...,distance,persistence_distance`
    fn csv_header(&self) -> Vec<String> {
        let mut header: Vec<String> = self.series.iter().map(|_| "series".to_string()).collect();
        header.extend(["step".to_string(), "index".to_string()]);
        if self.time.is_some() {
            header.push("time".into());
        }
        let columns = |prefix: &str| self.names.iter().map(move |n| csv_field(&format!("{prefix}_{n}"))).collect::<Vec<_>>();
        header.extend(columns("pred"));
        if self.band.is_some() {
            header.extend(columns("lower").into_iter().chain(columns("upper")));
        }
        header.extend(columns("true"));
        header.extend(["distance".to_string(), "persistence_distance".to_string()]);
        header
    }

    /// Its rows; `banded`: the file has the band's columns (empty where this forecast has no band).
    fn csv_rows(&self, csv: &mut Csv, banded: bool) {
        for (k, g) in self.generated.iter().enumerate() {
            let mut row: Vec<String> = self.series.iter().map(|s| csv_field(s)).collect();
            row.extend([(k + 1).to_string(), g.index.to_string()]);
            if self.time.is_some() {
                row.push(self.label(g.index).map(csv_field).unwrap_or_default());
            }
            row.extend(g.pred.iter().map(|&v| format_num(v)));
            match (&g.lower, &g.upper) {
                (Some(lower), Some(upper)) => row.extend(lower.iter().chain(upper).map(|&v| format_num(v))),
                _ if banded => row.extend(self.names.iter().chain(&self.names).map(|_| String::new())),
                _ => {}
            }
            match &g.truth {
                Some(t) => row.extend(t.iter().map(|&v| format_num(v))),
                None => row.extend(self.names.iter().map(|_| String::new())),
            }
            row.push(g.distance.map(format_num).unwrap_or_default());
            row.push(g.persistence.map(format_num).unwrap_or_default());
            csv.row(&row);
        }
    }

    /// `[series,]h,starts,rnn_mse,persistence_mse,rnn_mase,coverage` (coverage empty without a band)
    fn horizons_rows(&self, csv: &mut Csv) {
        for h in &self.horizons {
            let coverage = h.coverage.map(format_num).unwrap_or_default();
            let mut row: Vec<String> = self.series.iter().map(|s| csv_field(s)).collect();
            row.extend([h.h.to_string(), h.starts.to_string(), format_num(h.rnn), format_num(h.persistence), format_num(h.mase), coverage]);
            csv.row(&row);
        }
    }
}

/// forecast.csv: each forecast's rows, series after series (a file of many: a `series` column).
pub fn forecasts_csv(fcs: &[Forecast]) -> Csv {
    // the header of one with a band, where one has it: a fallback's rows leave the band's cells empty
    let first = fcs.iter().find(|fc| fc.band.is_some()).or(fcs.first());
    let banded = first.is_some_and(|fc| fc.band.is_some());
    let mut csv = Csv::new(&first.map(Forecast::csv_header).unwrap_or_default());
    fcs.iter().for_each(|fc| fc.csv_rows(&mut csv, banded));
    csv
}

/// forecast_horizons.csv: each forecast's horizons, series after series.
pub fn horizons_csv(fcs: &[Forecast]) -> Csv {
    let mut header: Vec<String> = fcs.first().and_then(|f| f.series.as_ref()).map(|_| "series".to_string()).into_iter().collect();
    header.extend(["h", "starts", "rnn_mse", "persistence_mse", "rnn_mase", "coverage"].map(String::from));
    let mut csv = Csv::new(&header);
    fcs.iter().for_each(|fc| fc.horizons_rows(&mut csv));
    csv
}

/// The model's rows: the series scaled, and for the circle, continued past its end.
struct Truth<'a> {
    windows: &'a Windows,
    model_rows: Vec<f32>,
    source: &'a Source,
}

impl Truth<'_> {
    /// Row `index` in the user's units, when known (not past the end, not a gap).
    fn row(&self, index: usize) -> Option<Vec<f64>> {
        match self.windows.series.rows.get(index) {
            Some(row) if row.iter().any(|v| v.is_nan()) => None,
            Some(row) => Some(row.to_vec()),
            None => self.source.row_past_the_end(index),
        }
    }

    /// Row `index` in model units, when known.
    fn scaled_row(&self, index: usize) -> Option<Vec<f64>> {
        let scaling = self.windows.scaling_of(0);
        self.row(index).map(|r| r.iter().enumerate().map(|(j, &v)| scaling.map_or(v, |s| s.scale(j, v))).collect())
    }
}

/// Model-unit values of one row in the series' units (a forecast runs on one series).
fn unscaled(w: &Windows, values: &[f32]) -> Vec<f64> {
    w.unscaled(0, values.iter().map(|&v| v as f64))
}

/// Who forecasts a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forecaster {
    /// the trained model
    Rnn,
    /// `--target linear`'s autoregression alone, without the RNN's correction (what the model
    /// with get_yt at zero predicts), where the held-out tails' closed loops say it does better
    Autoregression,
    /// the random walk with drift, for a series too short for the model's window
    Drift,
}

impl std::fmt::Display for Forecaster {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Forecaster::Rnn => "the RNN",
            Forecaster::Autoregression => "the linear autoregression alone",
            Forecaster::Drift => "the drift",
        })
    }
}

/// A forecaster that rolls a window on: the RNN over its framing, or the framing alone.
#[derive(Clone, Copy)]
pub struct Roller<'a> {
    /// None: the framing's prediction alone (the model's output at 0).
    rnn: Option<&'a RNN>,
    framing: &'a Framing,
}

impl<'a> Roller<'a> {
    fn of(by: Forecaster, rnn: &'a RNN, framing: &'a Framing) -> Roller<'a> {
        Roller { rnn: (by == Forecaster::Rnn).then_some(rnn), framing }
    }
}

/// The closed loop on a batch of windows: `steps` predictions each, fed back, in model units.
fn roll(model: Roller, mut window: Tensor, steps: usize) -> Result<Vec<Vec<f32>>> {
    let seq = window.size()[1];
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        let y = match model.rnn {
            Some(rnn) => predict_next(rnn, model.framing, &window),
            None => predict_next_by(model.framing, &window, |x| x.select(1, -1).zeros_like()),
        };
        out.push(Vec::try_from(y.flatten(0, -1).to_kind(Kind::Float).to_device(Device::Cpu)).map_err(|e| anyhow!("{e}"))?);
        window = Tensor::cat(&[window.narrow(1, 1, seq - 1), y.unsqueeze(1)], 1);
    }
    Ok(out)
}

/// Sum over features of the squared differences.
fn squares(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>()
}

/// Mean over features of the squared differences.
fn mse(a: &[f64], b: &[f64]) -> f64 {
    squares(a, b) / a.len() as f64
}

/// What the horizons are scored with: the band's calibration, and MASE's scale per feature
/// (scores.csv's).
struct Scoring<'a> {
    calibration: Option<&'a band::Calibration>,
    mase_scale: Vec<f64>,
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

/// Every start of the test tail (`test`, its closed loops): the closed loop's MSE at each
/// horizon against persistence's, its MASE and the coverage of the band calibrated at that
/// start, as far as the held-out rows reach; and the band at `from`, `steps` long, from the same
/// walk over the test tail's starts.
fn score_horizons(
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
    let scored = sums.into_iter().enumerate().filter(|(_, s)| s.count > 0);
    let horizons = scored
        .map(|(k, s)| {
            let c = s.count as f64;
            HorizonScore {
                h: k + 1,
                starts: s.count,
                rnn: s.rnn / c,
                persistence: s.persistence / c,
                mase: s.scaled_errors / c,
                coverage: scoring.calibration.map(|_| s.within as f64 / (c * f as f64)),
            }
        })
        .collect();
    (horizons, at_from)
}

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
pub fn forecast(args: &ForecastArgs) -> Result<Vec<Forecast>> {
    let loaded = load_model(&args.trained.weights(), &args.trained.model)?;
    let RunSeries { source, windows } = series_for(&loaded, &args.trained.data)?;
    let chosen = chosen_series(&windows, args.trained.series.as_deref())?;
    let steps = horizon(args.steps, &loaded);
    // the run's own series: its autoregression refit on every window for the future's forecast
    // (another file's forecast is the trained model's alone)
    let own = loaded.run.as_ref().is_some_and(|r| r.series_fingerprint == windows.fingerprint);
    let future = if own { loaded.framing.for_the_future(&windows.ds) } else { loaded.framing.clone() };
    // each series with a window, alone (a file of one series: itself)
    let (singles, many) = match windows.series.groups.is_some() {
        true => (windows.kept_series().map(|k| Ok((k, windows.only(k)?))).collect::<Result<Vec<_>>>()?, Some(windows)),
        false => (vec![(0, windows)], None),
    };
    let (by, choice, rolled) = choose(&loaded, &singles, steps, args.rule(), args.from.is_none())?;
    let models =
        Models { held_out: Roller::of(by, &loaded.rnn, &loaded.framing), future: Roller::of(by, &loaded.rnn, &future), by, choice };
    let all: Vec<(usize, Validated)> = singles.into_iter().zip(rolled).map(|((k, w), v)| (k, Validated::of(&loaded, w, v, args))).collect();
    let Some(windows) = many else {
        let [(_, validated)]: [(usize, Validated); 1] = all.try_into().map_err(|_| anyhow!("one series, one forecast"))?;
        return Ok(vec![forecast_one(&loaded, models, &source, validated, args, steps, None)?]);
    };
    // Every series, asked for or not, lends its validation errors to the bands.
    let lent: Vec<Vec<Vec<f64>>> = all.iter().filter_map(|(_, v)| v.lent()).collect();
    let pool = band::pool_of(lent.iter(), windows.series.features());
    let mut out = Vec::with_capacity(chosen.len());
    let mut validated: Vec<Option<Validated>> = (0..windows.series.count()).map(|_| None).collect();
    all.into_iter().for_each(|(k, v)| validated[k] = Some(v));
    // chosen: every series, or one; a series too short for the model's window gets the drift's
    // forecast from its end (none with --from: no window fits before it)
    let mut wanted = chosen;
    if args.trained.series.is_none() {
        wanted.extend(&windows.left_out);
        wanted.sort_unstable();
    }
    for k in wanted {
        let name = windows.series.name_of(k).map(String::from);
        let fc = match validated[k].take() {
            Some(v) => forecast_one(&loaded, models, &source, v, args, steps, Some(pool.clone()))
                .with_context(|| format!("series {}", name.as_deref().unwrap_or_default()))?,
            None if args.from.is_none() => drift(&windows.series.only(k), steps),
            None => continue,
        };
        out.push(Forecast { series: name, ..fc });
    }
    Ok(out)
}

/// Who forecasts, as each origin needs it: the held-out tails with the run's fit, the future
/// from the last row with the fit on every window (`Framing::for_the_future`).
#[derive(Clone, Copy)]
struct Models<'a> {
    held_out: Roller<'a>,
    future: Roller<'a>,
    by: Forecaster,
    choice: Option<Choice>,
}

/// The closed loops of one series' held-out windows, `steps` long, and what its band's errors
/// are scaled by to pool (`Windows::band_scale`).
struct HeldOut {
    validation: band::Rolled,
    test: band::Rolled,
    band_scale: Vec<f64>,
}

/// What the RNN and its autoregression alone err on the held-out tails' closed loops (the mean
/// scaled error that `choose` compares).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    pub rnn: f64,
    pub linear: f64,
}

/// The forecaster whose closed loops from every series' held-out windows, `steps` long, err the
/// least (each error over its series' scale, as the band pools them, mean over every horizon and
/// window): the RNN, or with `--target linear` its autoregression alone, where the RNN's one-step
/// training does not pay over the horizon asked. For the `future` (no `--from`), every held-out
/// truth counts; from an earlier start, as for its band, only those before the test tail. The RNN
/// on a tie or without such truths. With each series' loops of the one chosen.
fn choose(
    loaded: &Loaded,
    singles: &[(usize, Windows)],
    steps: usize,
    rule: band::Rule,
    future: bool,
) -> Result<(Forecaster, Option<Choice>, Vec<HeldOut>)> {
    let season = loaded.run.as_ref().and_then(|r| r.season);
    let scales: Vec<Vec<f64>> = singles.iter().map(|(_, w)| w.band_scale(0, season)).collect();
    let rolled = |by| -> Result<(f64, Vec<HeldOut>)> {
        let model = Roller::of(by, &loaded.rnn, &loaded.framing);
        let (mut sum, mut n, mut all) = (0.0, 0usize, Vec::with_capacity(singles.len()));
        for ((_, w), scale) in singles.iter().zip(&scales) {
            let validation = band::Rolled::of(model, w, w.n_train, w.n_val, steps)?;
            let test = band::Rolled::of(model, w, w.test_start(), w.ds.len() - w.test_start(), steps)?;
            let seen = band::Calibration::without_errors(w, rule).and(w, &validation).and(w, &test);
            let errors = if future { seen.scaled_errors(scale, usize::MAX) } else { seen.scaled_validation_errors(scale) };
            errors.iter().flatten().flatten().for_each(|e| (sum, n) = (sum + e, n + 1));
            all.push(HeldOut { validation, test, band_scale: scale.clone() });
        }
        Ok((sum / n as f64, all))
    };
    let (rnn, by_rnn) = rolled(Forecaster::Rnn)?;
    if loaded.framing.linear.is_none() {
        return Ok((Forecaster::Rnn, None, by_rnn));
    }
    let (linear, by_linear) = rolled(Forecaster::Autoregression)?;
    let choice = Some(Choice { rnn, linear });
    Ok(if linear < rnn { (Forecaster::Autoregression, choice, by_linear) } else { (Forecaster::Rnn, choice, by_rnn) })
}

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
    fn of(loaded: &Loaded, windows: Windows, held_out: HeldOut, args: &ForecastArgs) -> Validated {
        let calibration = band::Calibration::of(&windows, &held_out.validation, args.rule());
        let scale = windows.mase_scale(0, loaded.run.as_ref().and_then(|r| r.season));
        Validated { windows, calibration, test: held_out.test, scale, band_scale: held_out.band_scale }
    }

    /// What this series lends the bands: its validation errors over its scale.
    fn lent(&self) -> Option<Vec<Vec<f64>>> {
        self.calibration.as_ref()?.scaled_validation_errors(&self.band_scale)
    }
}

/// The fallback for a series too short for the model's window: the random walk with drift
/// (Hyndman's `rwf(drift = TRUE)`), the last row plus h times the mean step between the first row
/// and the last (persistence with one row), without a band.
fn drift(series: &data::Series, steps: usize) -> Forecast {
    let n = series.rows.len();
    let (first, last) = (&series.rows[0], &series.rows[n - 1]);
    let slope: Vec<f64> = first.iter().zip(last).map(|(a, b)| if n > 1 { (b - a) / (n - 1) as f64 } else { 0.0 }).collect();
    let generated = (1..=steps)
        .map(|h| Generated {
            index: n + h - 1,
            pred: last.iter().zip(&slope).map(|(l, s)| l + h as f64 * s).collect(),
            lower: None,
            upper: None,
            truth: None,
            distance: None,
            persistence: None,
        })
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
        by: Forecaster::Drift,
        choice: None,
    }
}

/// The `count` time labels after the series' last, at its step in their own form (from its last
/// thousand labels); none without a time column or a step to go on with.
fn future_labels(time: Option<&Time>, count: usize) -> Vec<String> {
    let tail = |t: &Time| t.labels.strings(t.labels.len().saturating_sub(1000)..t.labels.len());
    time.and_then(|t| data::season::continue_labels(&tail(t), count)).unwrap_or_default()
}

/// From the last row, the forecast is `models.future`'s, fitted on every window; from an earlier
/// row, the run's, which never saw the rows after it.
fn forecast_one(
    loaded: &Loaded,
    models: Models,
    source: &Source,
    validated: Validated,
    args: &ForecastArgs,
    steps: usize,
    pool: Option<Arc<Vec<Vec<Vec<f64>>>>>,
) -> Result<Forecast> {
    let Validated { windows, calibration, test, scale, band_scale } = validated;
    let (seq, n) = (loaded.seq_len as usize, windows.series.rows.len());
    let from = start_row(args.from.as_deref(), &windows.series)?;
    if from < seq || from > n {
        bail!("--from {from}: the forecast needs the {seq} rows before it, so it must be between {seq} and {n}");
    }
    if let Some(gap) = (from - seq..from).find(|&i| windows.series.has_gap(i)) {
        bail!("--from {from}: row {gap}, among the {seq} rows the forecast starts from, has a gap; choose another --from");
    }
    let truth = Truth { model_rows: data::model_rows(&windows.series, &windows.scaling), windows: &windows, source };
    // the test tail's closed loops (`test`): scored, and, after the validation's, calibrating the
    // band; a series of many too short for validation windows of its own: the pool calibrates it
    let pooled = pool.filter(|p| p.iter().flatten().any(|errors| !errors.is_empty()));
    let calibration = calibration.or_else(|| pooled.as_ref().map(|_| band::Calibration::without_errors(&windows, args.rule())));
    let calibration = calibration.map(|c| c.and(&windows, &test)).map(|c| match pooled {
        Some(pool) => c.pooled(band_scale, pool),
        None => c,
    });
    let scoring = Scoring { calibration: calibration.as_ref(), mase_scale: scale };
    let (horizons, band) = score_horizons(&truth, &test, &scoring, from, steps);
    let model = if from == n { models.future } else { models.held_out };
    let generated = generate(loaded, model, &truth, from, steps, band.as_ref())?;
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
        choice: models.choice,
    })
}

/// The closed loop from the `seq_len` rows before `from`, `steps` long, each point with its band
/// and, where known, the truth and the distances to it.
fn generate(loaded: &Loaded, model: Roller, truth: &Truth, from: usize, steps: usize, band: Option<&band::Band>) -> Result<Vec<Generated>> {
    let (seq, f) = (loaded.seq_len as usize, truth.windows.series.features());
    let window = Tensor::from_slice(&truth.model_rows[(from - seq) * f..from * f]).view([1, seq as i64, f as i64]);
    let last = truth.scaled_row(from - 1).unwrap_or_default();
    let distance = |a: &[f64], t: &[f64]| squares(a, t).sqrt();
    let rolled = roll(model, window, steps)?;
    let generated = rolled.into_iter().zip(from..).enumerate().map(|(k, (y, index))| {
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
    Ok(generated.collect())
}

/// What `forecast RUN` was asked, kept as RUN/forecast.json so that `plot RUN` can redraw
/// RUN/plots/forecast.png (the forecast is computed again: the same weights give the same numbers).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Asked {
    /// --series (a run on many series), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// --steps, when given (none: the default horizon, found again from the run).
    pub steps: Option<u64>,
    pub from: Option<String>,
    /// --coverage, --band-step and --few-errors.
    #[serde(flatten)]
    pub rule: band::Rule,
}

impl Asked {
    pub fn of(args: &ForecastArgs) -> Asked {
        Asked { series: args.trained.series.clone(), steps: args.steps, from: args.from.clone(), rule: args.rule() }
    }

    pub fn save(&self, run: &Path) -> Result<()> {
        crate::files::atomic::write_bytes(&run.join("forecast.json"), serde_json::to_string_pretty(self)?.as_bytes())
    }
}

/// Redraws RUN/plots/forecast.png from RUN/forecast.json, when a forecast was made on RUN.
pub fn redraw(run: &Path) -> Result<Option<PathBuf>> {
    let path = run.join("forecast.json");
    if !path.exists() {
        return Ok(None);
    }
    let bad = |why: String| anyhow!("{}: {why} (run forecast on {} again, or delete the file)", path.display(), run.display());
    let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    let asked: Asked = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if asked.steps.is_some_and(|s| s == 0 || s > 10_000_000) || !is_coverage(asked.rule.coverage) || !is_band_step(asked.rule.step) {
        return Err(bad("steps must be 1 to 10000000, coverage between 0 and 1 and band_step from 0 to 1".into()));
    }
    let trained = TrainedArgs {
        run: Some(run.to_path_buf()),
        weights: None,
        series: asked.series,
        data: Default::default(),
        model: Default::default(),
    };
    let args = ForecastArgs {
        trained,
        steps: asked.steps,
        from: asked.from,
        coverage: asked.rule.coverage,
        band_step: asked.rule.step,
        few_errors: asked.rule.few,
        out: None,
    };
    let plot = run.join("plots").join("forecast.png");
    figure::draw(&forecast(&args)?, &plot)?;
    Ok(Some(plot))
}
