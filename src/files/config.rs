//! config.json: a run's settings, and what a later `predict`, `forecast`, `plot` or `--resume`
//! needs to read its weights and its series.

use crate::data::autoregression::LinearAr;
use crate::data::{Gaps, Reading, Scaling, ScalingRule, Series, Source};
use crate::exact::optim::AdamPath;
use crate::fast::Backward;
use crate::train::settings::Settings;
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunConfig {
    pub settings: Settings,
    /// Who computed the gradients: "autograd" or "fast" (older files: absent, read as autograd;
    /// "manual", read as fast).
    #[serde(default)]
    pub backward: Backward,
    /// Which implementation of Adam's step ran (older files: absent).
    #[serde(default)]
    pub adam: Option<AdamPath>,
    /// Where it trained: "cpu" or "cuda(0)".
    pub device: String,
    pub features: Vec<String>,
    /// The CSV's absolute path when the run began (settings.data is as typed, relative to where
    /// train ran); older files: absent.
    #[serde(default)]
    pub data_file: Option<std::path::PathBuf>,
    /// The CSV's time column, as given or found (older files: absent).
    #[serde(default)]
    pub time_column: Option<String>,
    /// A CSV series' scaling into the model's range; none for the built-in circle, nor for a file
    /// of many series (`series` has theirs).
    pub scaling: Option<Scaling>,
    /// A file of many series (`--series-column`): each series' name and scaling, in the order
    /// their windows were laid out (model.pt's series index); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<SeriesScaling>,
    /// `--target linear`: the autoregression fitted on the training windows, whose prediction
    /// the model corrects (predict, forecast and export need it); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_ar: Option<LinearAr>,
    /// What was done with the series' gaps (older files: absent, none were allowed).
    #[serde(default)]
    pub gaps: Gaps,
    pub windows: usize,
    pub train_windows: usize,
    /// The season (rows) of the seasonal naive baseline: --season, or the time column's calendar
    /// frequency; none without one (older files: absent).
    #[serde(default)]
    pub season: Option<usize>,
    /// The validation windows after them (older files: absent, none).
    #[serde(default)]
    pub val_windows: usize,
    /// The epoch whose weights the run's outputs hold: the lowest validation loss with
    /// --val-fraction, else the last (older files: absent).
    #[serde(default)]
    pub kept_epoch: Option<usize>,
    /// data::fingerprint of the series as the model saw it
    #[serde(default)]
    pub series_fingerprint: String,
    pub versions: Versions,
}

/// One series of a long-format file, and its scaling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesScaling {
    pub name: String,
    pub scaling: Scaling,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Versions {
    pub vanilla_rnn: String,
    pub tch: String,
    pub libtorch: String,
}

impl Versions {
    pub fn current() -> Versions {
        Versions {
            vanilla_rnn: env!("CARGO_PKG_VERSION").into(),
            tch: env!("VANILLA_RNN_TCH_VERSION").into(),
            libtorch: env!("VANILLA_RNN_LIBTORCH_VERSION").into(),
        }
    }
}

impl RunConfig {
    /// The config.json beside a weights file, when there is one.
    pub fn beside(weights: &Path) -> Result<Option<RunConfig>> {
        RunConfig::in_dir(weights.parent().unwrap_or(Path::new(".")))
    }

    /// The config.json of a run directory, when there is one.
    pub fn in_dir(dir: &Path) -> Result<Option<RunConfig>> {
        let path = dir.join("config.json");
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let run: RunConfig = match serde_json::from_str(&text) {
            Ok(c) => c,
            Err(e) => bail!("{}: not a vanilla-rnn config.json: {e}", path.display()),
        };
        run.validate().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(Some(run))
    }

    /// What a run wrote, checked as if a user had edited it: the settings pass the command
    /// line's checks, and the features, scaling and windows agree with each other.
    pub fn validate(&self) -> Result<(), String> {
        self.settings.validate()?;
        let f = self.features.len();
        if f == 0 {
            return Err("features is empty".into());
        }
        for s in self.scaling.iter().chain(self.series.iter().map(|s| &s.scaling)) {
            if s.min.len() != f || s.max.len() != f {
                return Err(format!("scaling has {} minima and {} maxima for {f} features", s.min.len(), s.max.len()));
            }
            if s.transform != self.settings.transform {
                return Err(format!("scaling.transform is {}, but settings.transform is {}", s.transform, self.settings.transform));
            }
            if !(s.bound > 0.0 && s.bound <= 1.0) {
                return Err(format!("scaling.bound {} is not in (0, 1]", s.bound));
            }
            if let Some(j) = (0..f).find(|&j| !(s.min[j].is_finite() && s.max[j].is_finite() && s.min[j] <= s.max[j])) {
                return Err(format!(
                    "scaling of feature {} ({}) is [{}, {}], not a finite range",
                    j + 1,
                    self.features[j],
                    s.min[j],
                    s.max[j]
                ));
            }
        }
        self.check_linear_ar(f)?;
        if self.train_windows == 0 || self.train_windows + self.val_windows > self.windows {
            return Err(format!(
                "train_windows {} and val_windows {} do not fit windows {}",
                self.train_windows, self.val_windows, self.windows
            ));
        }
        Ok(())
    }

    /// `--target linear`'s autoregression, where the settings ask for one: every lag of every
    /// column, or each column's own lags, in finite weights.
    fn check_linear_ar(&self, f: usize) -> Result<(), String> {
        let rows = self.settings.seq_len as usize;
        // every lag of every column, or each column's own lags
        let want = |ar: &LinearAr| if ar.own_lags { (rows + 1) * f } else { (rows * f + 1) * f };
        match (&self.linear_ar, self.settings.target) {
            (None, crate::data::framing::Target::Linear) => {
                Err("settings.target is linear, but linear_ar (its fitted autoregression) is missing".into())
            }
            (Some(ar), _) if ar.features != f || ar.weights.len() != want(ar) || !ar.weights.iter().all(|w| w.is_finite()) => Err(format!(
                "linear_ar holds {} weights for {} features; a window of {rows} rows of {f} features needs {} finite ones",
                ar.weights.len(),
                ar.features,
                want(ar)
            )),
            _ => Ok(()),
        }
    }

    /// The run's CSV: where it was when the run began, or as typed when that is gone (or unknown).
    pub fn series_path(&self) -> Option<std::path::PathBuf> {
        match (&self.data_file, &self.settings.data) {
            (Some(abs), _) if abs.exists() => Some(abs.clone()),
            (_, typed) => typed.clone(),
        }
    }

    /// How to read the run's series again: the time column and features it used, and its gap rule.
    pub fn reading(&self) -> Reading {
        let csv = self.settings.data.is_some();
        Reading {
            time_column: self.time_column.clone(),
            // (a melted run's one feature is no column of the file: its columns are the settings')
            columns: csv
                .then(|| if self.settings.columns_as_series { self.settings.columns.clone() } else { Some(self.features.clone()) })
                .flatten(),
            missing: self.settings.missing,
            series_column: self.settings.series_column.clone(),
            columns_as_series: self.settings.columns_as_series,
        }
    }

    /// Every scaling the run saved: its one, or each series' in order.
    pub fn scalings(&self) -> Vec<Scaling> {
        self.scaling.iter().cloned().chain(self.series.iter().map(|s| s.scaling.clone())).collect()
    }

    /// The run's scaling of `series` (the run's own, or another file of the same columns): one
    /// scaling, or each series' by its name; none for the circle.
    pub fn scaling_of(&self, series: &Series) -> Result<ScalingRule> {
        let Some(groups) = &series.groups else {
            return Ok(self.scaling.clone().map_or(ScalingRule::Unscaled, |s| ScalingRule::Given(vec![s])));
        };
        let known = || crate::data::listed(&self.series.iter().map(|s| s.name.clone()).collect::<Vec<_>>());
        let scaling = groups
            .names
            .iter()
            .map(|name| match self.series.iter().find(|s| &s.name == name) {
                Some(s) => Ok(s.scaling.clone()),
                None => bail!("the series {name} is not one the run was trained on, so it has no scaling (the run's series: {})", known()),
            })
            .collect::<Result<_>>()?;
        Ok(ScalingRule::Given(scaling))
    }

    /// The run's series, read again as it was read: the circle, or its CSV (`series_path`).
    pub fn source(&self) -> Source {
        Source::new(self.series_path(), self.reading())
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        super::atomic::write_bytes(&dir.join("config.json"), (serde_json::to_string_pretty(self)? + "\n").as_bytes())
    }
}
