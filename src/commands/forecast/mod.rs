//! `vanilla-rnn forecast`, closed loop: start from a window of the series, and feed each
//! prediction back as the next input, for as many steps as asked. Compares with the truth where
//! it is known. Its figure: `figure.rs`.

pub mod figure;

use super::predict::{load_model, series_for, TrainedArgs};
use crate::data::{self, split_point};
use crate::files::atomic::{csv_field, format_num, Csv};
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
    /// First row to generate; the seq_len rows before it start the loop [default: the first row after the training part]
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
}

pub struct Forecast {
    pub from: usize,
    pub names: Vec<String>,
    pub generated: Vec<Generated>,
    /// The rows the loop starts from.
    pub context: Vec<Row>,
    /// The built-in circle, whose truth continues past its last row.
    pub builtin: bool,
}

impl Forecast {
    fn near(&self) -> impl Iterator<Item = bool> + '_ {
        self.generated.iter().map(|g| g.distance.is_some_and(|d| d <= NEAR))
    }

    /// Steps from the start that all stay within NEAR of the truth.
    pub fn horizon(&self) -> usize {
        self.near().take_while(|&n| n).count()
    }

    pub fn within(&self) -> usize {
        self.near().filter(|&n| n).count()
    }

    pub fn with_truth(&self) -> usize {
        self.generated.iter().filter(|g| g.distance.is_some()).count()
    }

    /// `step,index,pred_<f>...,true_<f>...,distance`
    pub fn csv(&self) -> Csv {
        let mut header = vec!["step".to_string(), "index".to_string()];
        header.extend(self.names.iter().map(|n| csv_field(&format!("pred_{n}"))));
        header.extend(self.names.iter().map(|n| csv_field(&format!("true_{n}"))));
        header.push("distance".into());
        let mut csv = Csv::new(&header);
        for (k, g) in self.generated.iter().enumerate() {
            let mut row = vec![(k + 1).to_string(), g.index.to_string()];
            row.extend(g.pred.iter().map(|&v| format_num(v)));
            match &g.truth {
                Some(t) => row.extend(t.iter().map(|&v| format_num(v))),
                None => row.extend(self.names.iter().map(|_| String::new())),
            }
            row.push(g.distance.map(format_num).unwrap_or_default());
            csv.row(&row);
        }
        csv
    }
}

pub fn forecast(args: &ForecastArgs) -> Result<Forecast> {
    let loaded = load_model(&args.trained.weights, &args.trained.model)?;
    let data = args.trained.data.data.as_deref();
    let (series, scaling) = series_for(&loaded, data)?;
    let (seq, f, n) = (loaded.seq_len as usize, series.features(), series.rows.len());
    if n <= seq {
        bail!("the series has {n} rows, which is not longer than the model's seq_len {seq}");
    }
    let from = match args.from {
        Some(i) => i,
        None => split_point(n - seq, loaded.test_fraction())? + seq, // the first row after the training part
    };
    if from < seq || from > n {
        bail!("--from {from}: the forecast needs the {seq} rows before it, so it must be between {seq} and {n}");
    }
    let scaled = data::model_rows(&series, scaling.as_ref());
    let scale = |j: usize, v: f64| scaling.as_ref().map_or(v, |s| s.scale(j, v));
    let unscale = |j: usize, v: f64| scaling.as_ref().map_or(v, |s| s.unscale(j, v));
    let builtin = data.is_none();
    let mut window = Tensor::from_slice(&scaled[(from - seq) * f..from * f]).view([1, seq as i64, f as i64]);
    let mut generated = Vec::with_capacity(args.steps as usize);
    for index in from..from + args.steps as usize {
        let y = loaded.rnn.predict(&window);
        let y_model: Vec<f32> = Vec::try_from(y.view([-1]).to_kind(Kind::Float).to_device(Device::Cpu)).map_err(|e| anyhow!("{e}"))?;
        let truth = match series.rows.get(index) {
            Some(row) => Some(row.clone()),
            None if builtin => Some(data::circle_row(index)),
            None => None,
        };
        let distance = truth.as_ref().map(|t| (0..f).map(|j| (y_model[j] as f64 - scale(j, t[j])).powi(2)).sum::<f64>().sqrt());
        generated.push(Generated { index, pred: (0..f).map(|j| unscale(j, y_model[j] as f64)).collect(), truth, distance });
        window = Tensor::cat(&[window.narrow(1, 1, seq as i64 - 1), y.view([1, 1, f as i64])], 1);
    }
    let context = (from - seq..from).map(|index| Row { index, values: series.rows[index].clone() }).collect();
    Ok(Forecast { from, names: series.names, generated, context, builtin })
}
