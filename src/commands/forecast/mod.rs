//! `vanilla-rnn forecast`, closed loop: start from a window of the series, and feed each
//! prediction back as the next input, for as many steps as asked. Compares with the truth where
//! it is known. Its figure: `figure.rs`.

pub mod figure;

use super::trained::{load_model, series_for, RunSeries, TrainedArgs};
use crate::data::framing::Framing;
use crate::data::{self, Source, Time, Windows};
use crate::files::tables::{csv_field, format_num, Csv};
use crate::model::loss::predict_next;
use crate::model::RNN;
use anyhow::{anyhow, bail, Result};
use std::path::PathBuf;
use tch::{Device, Kind, Tensor};

/// How far a forecast may stray (Euclidean, in the model's [-1, 1] units) and still count.
pub const NEAR: f64 = 0.1;

/// `vanilla-rnn forecast`'s command line.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub trained: TrainedArgs,
    /// How many points to generate
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub steps: u64,
    /// First row to generate; the seq_len rows before it start the loop [default: the first row of the test tail]
    #[arg(long, value_name = "INDEX")]
    pub from: Option<usize>,
    /// The CSV to write [default: forecast.csv beside the weights]; the plot goes beside it (.png)
    #[arg(long, value_name = "CSV")]
    pub out: Option<PathBuf>,
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
}

pub struct Forecast {
    pub from: usize,
    pub names: Vec<String>,
    pub generated: Vec<Generated>,
    /// The rows the loop starts from.
    pub context: Vec<Row>,
    /// The built-in circle, whose truth continues past its last row.
    pub builtin: bool,
    /// The time column's name and labels, when the series has one.
    pub time: Option<Time>,
    /// The closed loop's error at each horizon, from every held-out start.
    pub horizons: Vec<HorizonScore>,
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

    /// A row's time label, when the series has one and the row is in it.
    pub fn label(&self, index: usize) -> Option<&str> {
        self.time.as_ref().and_then(|t| t.labels.get(index)).map(String::as_str)
    }

    /// `step,index[,time],pred_<f>...,true_<f>...,distance,persistence_distance`
    pub fn csv(&self) -> Csv {
        let mut header = vec!["step".to_string(), "index".to_string()];
        if self.time.is_some() {
            header.push("time".into());
        }
        header.extend(self.names.iter().map(|n| csv_field(&format!("pred_{n}"))));
        header.extend(self.names.iter().map(|n| csv_field(&format!("true_{n}"))));
        header.extend(["distance".to_string(), "persistence_distance".to_string()]);
        let mut csv = Csv::new(&header);
        for (k, g) in self.generated.iter().enumerate() {
            let mut row = vec![(k + 1).to_string(), g.index.to_string()];
            if self.time.is_some() {
                row.push(self.label(g.index).map(csv_field).unwrap_or_default());
            }
            row.extend(g.pred.iter().map(|&v| format_num(v)));
            match &g.truth {
                Some(t) => row.extend(t.iter().map(|&v| format_num(v))),
                None => row.extend(self.names.iter().map(|_| String::new())),
            }
            row.push(g.distance.map(format_num).unwrap_or_default());
            row.push(g.persistence.map(format_num).unwrap_or_default());
            csv.row(&row);
        }
        csv
    }

    /// `h,starts,rnn_mse,persistence_mse`
    pub fn horizons_csv(&self) -> Csv {
        let mut csv = Csv::new(&["h", "starts", "rnn_mse", "persistence_mse"].map(String::from));
        for h in &self.horizons {
            csv.row(&[h.h.to_string(), h.starts.to_string(), format_num(h.rnn), format_num(h.persistence)]);
        }
        csv
    }
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
            Some(row) => Some(row.clone()),
            None => self.source.row_past_the_end(index),
        }
    }

    /// Row `index` in model units, when known.
    fn scaled_row(&self, index: usize) -> Option<Vec<f64>> {
        let scaling = self.windows.scaling.as_ref();
        self.row(index).map(|r| r.iter().enumerate().map(|(j, &v)| scaling.map_or(v, |s| s.scale(j, v))).collect())
    }
}

/// The closed loop on a batch of windows: `steps` predictions each, fed back, in model units.
fn roll(rnn: &RNN, framing: Framing, mut window: Tensor, steps: usize) -> Result<Vec<Vec<f32>>> {
    let seq = window.size()[1];
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        let y = predict_next(rnn, framing, &window);
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

/// Every held-out window as a start: the closed loop's MSE at each horizon against
/// persistence's, as far as the held-out rows reach.
fn score_horizons(rnn: &RNN, framing: Framing, truth: &Truth, steps: usize) -> Result<Vec<HorizonScore>> {
    let w = truth.windows;
    let starts = &w.targets[w.test_start()..];
    let Some(&first) = starts.first() else { return Ok(vec![]) };
    let (n, f) = (w.series.rows.len(), w.series.features());
    let reach = steps.min(n - first);
    let rolled = roll(rnn, framing, w.test().X, reach)?;
    // Each row in model units once (None for a gap); every start and horizon reads them.
    let rows: Vec<Option<Vec<f64>>> = (0..n).map(|i| truth.scaled_row(i)).collect();
    let mut out = Vec::with_capacity(reach);
    for (k, preds) in rolled.iter().enumerate() {
        let (mut rnn_sum, mut held_sum, mut count) = (0.0, 0.0, 0);
        for (i, &s) in starts.iter().enumerate() {
            let (Some(Some(t)), Some(last)) = (rows.get(s + k), &rows[s - 1]) else { continue };
            let p: Vec<f64> = preds[i * f..(i + 1) * f].iter().map(|&v| v as f64).collect();
            rnn_sum += mse(&p, t);
            held_sum += mse(last, t);
            count += 1;
        }
        if count > 0 {
            out.push(HorizonScore { h: k + 1, starts: count, rnn: rnn_sum / count as f64, persistence: held_sum / count as f64 });
        }
    }
    Ok(out)
}

pub fn forecast(args: &ForecastArgs) -> Result<Forecast> {
    let loaded = load_model(&args.trained.weights(), &args.trained.model)?;
    let RunSeries { source, windows } = series_for(&loaded, &args.trained.data)?;
    let builtin = source.is_circle();
    let (seq, f, n) = (loaded.seq_len as usize, windows.series.features(), windows.series.rows.len());
    // the first row of the test tail (after the training and validation windows)
    let from = args.from.unwrap_or_else(|| windows.targets.get(windows.test_start()).copied().unwrap_or(n));
    if from < seq || from > n {
        bail!("--from {from}: the forecast needs the {seq} rows before it, so it must be between {seq} and {n}");
    }
    if let Some(gap) = (from - seq..from).find(|&i| windows.series.has_gap(i)) {
        bail!("--from {from}: row {gap}, among the {seq} rows the forecast starts from, has a gap; choose another --from");
    }
    let truth = Truth { model_rows: data::model_rows(&windows.series, windows.scaling.as_ref()), windows: &windows, source: &source };
    let unscale = |j: usize, v: f64| windows.scaling.as_ref().map_or(v, |s| s.unscale(j, v));
    let window = Tensor::from_slice(&truth.model_rows[(from - seq) * f..from * f]).view([1, seq as i64, f as i64]);
    let last = truth.scaled_row(from - 1).unwrap_or_default();
    let distance = |a: &[f64], t: &[f64]| squares(a, t).sqrt();
    let generated = roll(&loaded.rnn, loaded.framing, window, args.steps as usize)?
        .into_iter()
        .zip(from..)
        .map(|(y, index)| {
            let y: Vec<f64> = y.iter().map(|&v| v as f64).collect();
            let t = truth.scaled_row(index);
            Generated {
                index,
                pred: (0..f).map(|j| unscale(j, y[j])).collect(),
                truth: truth.row(index),
                distance: t.as_ref().map(|t| distance(&y, t)),
                persistence: t.as_ref().map(|t| distance(&last, t)),
            }
        })
        .collect();
    let horizons = score_horizons(&loaded.rnn, loaded.framing, &truth, args.steps as usize)?;
    let context = (from - seq..from).map(|index| Row { index, values: windows.series.rows[index].clone() }).collect();
    Ok(Forecast { from, names: windows.series.names.clone(), generated, context, builtin, time: windows.series.time.clone(), horizons })
}
