//! What a forecast is: each generated point with its band, the scores of the closed loop at
//! each horizon, and who made it; the files it is written to (forecast.csv,
//! forecast_horizons.csv), and what was asked (forecast.json, for `plot` to redraw it).

use crate::data::Time;
use crate::files::tables::{csv_field, format_num, Csv};
use crate::forecasters::band;
use crate::forecasters::closed_loop::Method;
use anyhow::{anyhow, Result};
use std::path::Path;

/// How far a forecast may stray (Euclidean, in the model's [-1, 1] units) and still count.
pub const NEAR: f64 = 0.1;

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
    pub by: Method,
    /// What chose among the forecasters (`choose`), when there was a choice.
    pub choice: Option<Choice>,
    /// The series is too short for the model's window: `by` is the fallback (Theta or the drift).
    pub too_short: bool,
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

    /// On the test tail, the headline the summary and the figure both give: at how many of its
    /// horizons the closed loop's MSE is below persistence's (the last value held), and its MASE.
    pub fn headline(&self) -> Option<String> {
        let ahead = self.horizons.iter().filter(|h| h.rnn < h.persistence).count();
        let mase = self.mase()?;
        Some(format!("ahead of persistence (the last value held) at {ahead} of {} horizons by MSE; MASE {mase:.3}", self.horizons.len()))
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
    /// --by, when given (none: the forecaster whose held-out closed loops err least).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Method>,
    /// --coverage, --band-step and --few-errors (and `band::FEWEST`).
    #[serde(flatten)]
    pub rule: band::Rule,
}

impl Asked {
    pub fn save(&self, run: &Path) -> Result<()> {
        crate::files::atomic::write_bytes(&run.join("forecast.json"), serde_json::to_string_pretty(self)?.as_bytes())
    }

    /// RUN/forecast.json, when a forecast was made on RUN: a file a user may have edited, so
    /// each value is checked as its flag is.
    pub fn read(run: &Path) -> Result<Option<Asked>> {
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
        Ok(Some(asked))
    }
}

/// What --coverage and --band-step allow (the flags' parsers and a forecast.json read back both ask).
pub fn is_coverage(c: f64) -> bool {
    c > 0.0 && c < 1.0
}

pub fn is_band_step(s: f64) -> bool {
    (0.0..=1.0).contains(&s)
}

/// What each forecaster the choice was among errs on the held-out tails' closed loops (the mean
/// scaled error that `choose` compares), in the order it tried them, and why the one that
/// forecast did.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub errors: Vec<(Method, f64)>,
    pub reason: Reason,
    /// The models the RNN rolls on (`--ensemble`; 1 without one).
    pub models: usize,
}

/// Why a forecaster forecast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    /// `--by` asked for it.
    Asked,
    /// The default for a series with a season, where Theta and the damped trend forecast (`COMBINED`).
    Combined,
    /// It erred least on the held-out tails.
    Least,
}
