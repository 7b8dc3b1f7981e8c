//! Every setting of a run, declared once, as candle's examples declare theirs: the `Settings`
//! struct derives clap's `Args`, so each field's doc comment is its flag's help, its attribute
//! its default and its check (the value parser), and its help heading which commands take it:
//!
//! - `Model`: the model's shape a weights file does not hold (train, bench, predict, forecast, export);
//! - `Data`: the series (train, bench, predict, forecast);
//! - `Training`: how a model is trained (train, bench);
//! - `How long` (`LENGTH`): how long to train (train only, and the one setting `--resume` may change: it may grow).
//!
//! `Settings::default()` is an empty command line's settings (the circle's: the blog's model);
//! a CSV series' own defaults are `csv_defaults`, beside it. The settings are saved in
//! config.json and the checkpoint, and a resumed run keeps them whole. The command lines' use
//! of them (which flags each command takes, what was typed, the resume rule) is
//! pipeline/flags.rs.

use crate::data::autoregression::{ArFit, RidgeChoice};
use crate::data::framing::{Framing, Target, WindowNorm};
use crate::data::{Missing, Reading, Source, Split, Transform, Windows};
use crate::model::loss::LossKind;
use crate::model::{Activation, YtInit};
use clap::{Args, CommandFactory, Parser};
use serde::{Deserialize, Serialize};
use std::fmt::Display;
use std::path::PathBuf;
use std::sync::LazyLock;

/// The help headings: which commands take a setting.
pub const MODEL: &str = "Model";
pub const DATA: &str = "Data";
pub const TRAINING: &str = "Training";
pub const LENGTH: &str = "How long";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DeviceArg {
    Cpu,
    Cuda,
    /// CUDA when a GPU is available, else the CPU
    Auto,
}

impl Display for DeviceArg {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            DeviceArg::Cpu => "cpu",
            DeviceArg::Cuda => "cuda",
            DeviceArg::Auto => "auto",
        })
    }
}

/// What a run computes with. Serialized as config.json's `settings`, in this order (older files
/// also hold the controls `out`, `backward` and `checkpoint_every` there; they are read and
/// ignored). A field added after 0.1 reads as its default from a file that lacks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Args)]
pub struct Settings {
    /// Length of the hidden state h_t
    #[arg(long, default_value_t = 32, value_parser = checked(check::hidden), help_heading = TRAINING)]
    pub hidden: i64,
    /// Past points the model reads to predict the next one (a CSV series: two seasons, or 8 rows without a season)
    ///
    /// The blog's seq_length.
    #[arg(long, default_value_t = 4, value_parser = checked(check::seq_len), help_heading = MODEL)]
    pub seq_len: i64,
    /// Windows per optimizer step
    #[arg(long, default_value_t = 16, value_parser = checked(check::batch_size), help_heading = TRAINING)]
    pub batch_size: i64,
    /// Passes over the training windows; 0 writes the initial model and its outputs
    #[arg(long, default_value_t = 40, value_parser = checked(check::epochs), help_heading = LENGTH)]
    pub epochs: i64,
    /// Adam's learning rate (its other settings are PyTorch's defaults)
    #[arg(long, default_value_t = 3e-3, value_parser = checked(check::lr), help_heading = TRAINING)]
    pub lr: f64,
    /// Seed of the initial weights (as torch.manual_seed) and of the batch order
    #[arg(long, default_value_t = 42, value_parser = checked(any::<u64>), help_heading = TRAINING)]
    pub seed: u64,
    /// Train N models, from --seed, --seed + 1, ...; the forecast rolls each on and takes the median of their forecasts at each step (the outputs of train and predict are the first's)
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = checked(check::ensemble), help_heading = TRAINING)]
    pub ensemble: u64,
    /// Train for the forecast's closed loop over N steps: each training window rolled on N times on its own predictions, as `forecast` rolls it, the loss the mean of every step's MSE (backpropagation through the rollout) and the validation loss the same loop's; the test loss stays one step ahead (1: one step ahead)
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = checked(check::rollout), help_heading = TRAINING)]
    pub rollout: u64,
    /// Keep the windows in order instead of shuffling them each epoch
    #[arg(long, help_heading = TRAINING)]
    pub no_shuffle: bool,
    /// Start from these weights (.safetensors, torch.save .pt, or tch .ot) instead of --seed's
    #[arg(long, value_name = "FILE", help_heading = TRAINING)]
    pub init: Option<PathBuf>,
    /// Which outputs the loss reads
    #[arg(long, value_enum, default_value_t, help_heading = TRAINING)]
    pub loss: LossKind,
    /// Non-linearity of the hidden state (the output keeps tanh)
    #[arg(long, value_enum, default_value_t, help_heading = MODEL)]
    pub activation: Activation,
    /// Rescale gradients whose global L2 norm exceeds this (torch.nn.utils.clip_grad_norm_) [default: no clipping]
    #[arg(long, value_name = "F", value_parser = checked(check::clip_grad_norm), help_heading = TRAINING)]
    pub clip_grad_norm: Option<f64>,
    /// Fraction of the windows, at the end of the series, held out for the test loss
    #[arg(long, default_value_t = 0.2, value_parser = checked(check::test_fraction), help_heading = TRAINING)]
    pub test_fraction: f64,
    /// Fraction of the windows, just before the test tail, held out for validation: the epoch with the lowest validation loss is the one kept
    #[serde(default)]
    #[arg(long, default_value_t = 0.0, value_parser = checked(check::test_fraction), help_heading = TRAINING)]
    pub val_fraction: f64,
    /// The series' season in rows, for the seasonal naive baseline (0: from the time column's calendar frequency: monthly 12, quarterly 4, weekly 52, daily 7, hourly 24, half-hourly 48; none without one)
    #[serde(default)]
    #[arg(long, default_value_t = 0, value_parser = checked(any::<u64>), help_heading = TRAINING)]
    pub season: u64,
    /// What the model predicts: the next point; its change from the window's last point (then an untrained model is persistence); or what a linear autoregression on the window, fitted by least squares (on the windows --ar-fit names), leaves (the prediction is the autoregression's plus the model's)
    #[serde(default)]
    #[arg(long, value_enum, default_value_t, help_heading = TRAINING)]
    pub target: Target,
    /// Each window's inputs shifted by their last point, or standardised by their own mean and deviation (RevIN), and the output mapped back
    #[serde(default)]
    #[arg(long, value_enum, default_value_t, help_heading = TRAINING)]
    pub window_norm: WindowNorm,
    /// How the validation windows choose --target linear's ridge (how far its fit is shrunk towards persistence): the lowest validation error, the largest ridge within one standard error of it, or none (the bare least-squares fit)
    #[serde(default)]
    #[arg(long, value_enum, default_value_t, help_heading = TRAINING)]
    pub ridge_choice: RidgeChoice,
    /// Which windows --target linear's autoregression is fitted on: the training windows, or every window before the test tail (the validation windows too, as the linear baseline is), at the ridge that fits on the training windows chose
    #[serde(default)]
    #[arg(long, value_enum, default_value_t, help_heading = TRAINING)]
    pub ar_fit: ArFit,
    /// How the output layer's weights start with --seed: as nn.Linear's, or at zero, so that the untrained model predicts what --target alone does (persistence with change, the autoregression with linear)
    ///
    /// The output layer is the blog's get_yt.
    #[serde(default)]
    #[arg(long, value_enum, default_value_t, conflicts_with = "init", help_heading = TRAINING)]
    pub yt_init: YtInit,
    /// With --val-fraction: stop after this many epochs without a lower validation loss (0: train every epoch)
    #[serde(default)]
    #[arg(long, default_value_t = 0, value_parser = checked(any::<u64>), help_heading = TRAINING)]
    pub patience: u64,
    /// Your own series: a CSV (`,` `;` or tab) with a header row, one numeric column per feature, and maybe a time column [default: the built-in circle]
    #[arg(long, value_name = "FILE", help_heading = DATA)]
    pub data: Option<PathBuf>,
    /// The CSV's time column: labels the outputs, never a feature [default: the first column, when its values are not numbers]
    #[serde(default)]
    #[arg(long, value_name = "NAME", value_parser = checked_text(check::time_column), help_heading = DATA)]
    pub time_column: Option<String>,
    /// The CSV's columns to learn, in this order [default: every column but the time column]
    #[serde(default)]
    #[arg(long, value_name = "A,B,...", value_delimiter = ',', num_args = 1.., value_parser = checked_text(check::time_column), help_heading = DATA)]
    pub columns: Option<Vec<String>>,
    /// A file of many series, one row per series and time (long format): the column naming each row's series. One model trains across them; each series is split and scaled on its own [default: one series]
    #[serde(default)]
    #[arg(long, value_name = "NAME", value_parser = checked_text(check::time_column), help_heading = DATA)]
    pub series_column: Option<String>,
    /// A wide file's columns as many series: each column one series (windowed, split and scaled on its own, as --series-column does for a long file), one model across them; the outputs in the long layout, each row's series the column's name
    #[serde(default)]
    #[arg(long, conflicts_with = "series_column", help_heading = DATA)]
    pub columns_as_series: bool,
    /// What a missing cell (empty, NA, NaN) becomes
    #[serde(default)]
    #[arg(long, value_enum, default_value_t, help_heading = DATA)]
    pub missing: Missing,
    /// A CSV's training rows are scaled onto [-B, B]; below 1, the tanh output can reach held-out values beyond them
    #[serde(default = "crate::data::scaling::bound_before_0_2")]
    #[arg(long, value_name = "B", default_value_t = 0.6, value_parser = checked(check::scale_bound), help_heading = TRAINING)]
    pub scale_bound: f64,
    /// What a CSV's values become before they are scaled, and are again after: as they are, or their log (every value above 0; for a season or noise that grows with the level)
    #[serde(default)]
    #[arg(long, value_enum, default_value_t, help_heading = TRAINING)]
    pub transform: Transform,
    /// libtorch intra-op threads (1 is fastest at the default size, and bitwise reproducible)
    ///
    /// The default size is the blog's (a hidden state of 32).
    #[arg(long, default_value_t = 1, value_parser = checked(check::threads), help_heading = TRAINING)]
    pub threads: i32,
    /// Where to train
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu, help_heading = TRAINING)]
    pub device: DeviceArg,
}

/// An empty command line: every setting's flag alone, parsed.
#[derive(Parser)]
#[command(name = "settings", allow_negative_numbers = true)]
pub struct Flags {
    #[command(flatten)]
    pub settings: Settings,
}

/// The defaults (README, "Why these defaults"): the blog's model (hidden 32, seq_len 4, tanh,
/// loss of the last step), with Adam at lr 3e-3 on batches of 16 for 40 epochs.
static DEFAULT: LazyLock<Settings> =
    LazyLock::new(|| Flags::try_parse_from(["settings"]).expect("the defaults pass their checks").settings);

impl Default for Settings {
    fn default() -> Settings {
        DEFAULT.clone()
    }
}

impl Settings {
    /// The defaults, shared.
    pub fn defaults() -> &'static Settings {
        &DEFAULT
    }

    /// Runs every setting's check (its flag's parser) on settings read back from config.json or
    /// a checkpoint, which a user may have edited, naming the first field that fails.
    pub fn validate(&self) -> Result<(), String> {
        let mut line = vec!["settings".to_string()];
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(self) else { return Err("settings: not an object".into()) };
        let optional: Vec<String> = Flags::command()
            .get_arguments()
            .filter(|a| a.get_action().takes_values() && a.get_default_values().is_empty())
            .map(|a| a.get_id().to_string())
            .collect();
        let defaults = serde_json::to_value(Settings::default()).unwrap_or_default();
        // (a default passes its check; and --init with --yt-init's default is no clash)
        for (field, value) in fields.into_iter().filter(|(field, value)| defaults[field] != *value) {
            let flag = format!("--{}", field.replace('_', "-"));
            match value {
                // JSON has no NaN nor infinity: serde writes them as null
                serde_json::Value::Null if !optional.contains(&field) => return Err(format!("settings.{field}: not a finite number")),
                serde_json::Value::Null | serde_json::Value::Bool(false) => {}
                serde_json::Value::Bool(true) => line.push(flag),
                // `--flag=value`: a value may begin with a dash (a column named `-x`)
                serde_json::Value::Array(items) => line.extend(items.iter().map(|v| format!("{flag}={}", shown(v)))),
                v => line.push(format!("{flag}={}", shown(&v))),
            }
        }
        if let Err(e) = Flags::try_parse_from(&line) {
            return Err(match (e.get(clap::error::ContextKind::InvalidArg), std::error::Error::source(&e)) {
                (Some(arg), Some(why)) => {
                    let field = arg.to_string().trim_start_matches("--").split([' ', '=']).next().unwrap_or("").replace('-', "_");
                    format!("settings.{field}: {why}")
                }
                _ => format!("settings: {}", crate::first_line(e).trim_start_matches("error: ")),
            });
        }
        self.together().map_err(|e| format!("settings.{e}"))
    }

    /// The checks that read two settings at once, or every value of a list: "field: why".
    pub fn together(&self) -> Result<(), String> {
        if self.target != Target::Level && self.loss == LossKind::All {
            return Err(format!("target: --target {} predicts the step after the window only: it needs --loss last", self.target));
        }
        if self.rollout > 1 && self.loss == LossKind::All {
            return Err(format!("rollout: --rollout {} scores the closed loop from the window's end: it needs --loss last", self.rollout));
        }
        if self.transform != Transform::None && self.data.is_none() {
            return Err(format!(
                "transform: --transform {} is for a CSV series (--data FILE): the built-in circle crosses 0",
                self.transform
            ));
        }
        if let Some(columns) = &self.columns {
            check::columns(columns).map_err(|e| format!("columns: {e}"))?;
        }
        Ok(())
    }

    /// How a window is put to the model (`--target linear` fits its autoregression on the
    /// training windows, its ridge chosen on the validation windows, then maybe on both: `--ar-fit`).
    pub fn framing(&self, windows: &Windows) -> anyhow::Result<Framing> {
        Framing::fitted(self.target, self.window_norm, self.ridge_choice, &windows.training(), &windows.validation())?
            .refitted(self.ar_fit, &windows.before_test())
    }

    /// How the windows are split in time order.
    pub fn split(&self) -> Split {
        Split { test_fraction: self.test_fraction, val_fraction: self.val_fraction }
    }

    /// The series: the circle, or the CSV read as the settings say.
    pub fn source(&self) -> Source {
        let reading = Reading {
            time_column: self.time_column.clone(),
            columns: self.columns.clone(),
            missing: self.missing,
            series_column: self.series_column.clone(),
            columns_as_series: self.columns_as_series,
        };
        Source::new(self.data.clone(), reading)
    }
}

/// How a setting's value reads in a message: as config.json writes it, strings unquoted.
pub fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(unset)".into(),
        v => v.to_string(),
    }
}

/// One model, one step: runs before `--ensemble` and `--rollout` (and config.json leaves them
/// out then).
fn one() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

/// What a CSV series' defaults depend on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CsvSeries {
    /// Its season in rows (--season, else its calendar's), if it has one.
    pub season: Option<usize>,
    /// Its rows (a file of many series: its median series').
    pub rows: usize,
}

/// A CSV series' defaults where they differ from the circle's (whose run stays the blog's, bit
/// for bit), chosen on the vendored series by their validation loss, never a test tail
/// (docs/tuning.md, by scripts/studies/tune_csv_defaults.py): what the least-squares linear
/// autoregression leaves as the target, a window of two seasons (8 rows without a season; at most a quarter of the rows, at
/// least 4), the tenth of the windows before the test tail validating, so that the epoch of
/// the lowest validation loss is the one kept, and 100 epochs to choose it from. get_yt starts
/// at zero, so that the untrained model is that autoregression and an early kept epoch is near
/// it, rather than it plus nn.Linear's random output (chosen by a held-out tail cut before the
/// test tail: docs/tuning.md).
pub fn csv_defaults(s: &mut Settings, series: CsvSeries) {
    s.target = Target::Linear;
    s.yt_init = YtInit::Zero;
    s.epochs = 100;
    s.seq_len = series.season.map_or(8, |m| 2 * m).min(series.rows / 4).max(4) as i64;
    s.val_fraction = 0.1;
}

/// A check for a setting no value of its type can break.
fn any<T>(_: &T) -> Result<(), String> {
    Ok(())
}

/// The values each setting may take: each check is its flag's parser (`checked`), and
/// `Settings::validate` runs the same parsers on settings read back from a file.
pub mod check {
    fn within<T: PartialOrd + std::fmt::Display>(v: T, lo: T, hi: T) -> Result<(), String> {
        if v >= lo && v <= hi {
            Ok(())
        } else {
            Err(format!("{v} is not in {lo}..={hi}"))
        }
    }

    fn positive(v: f64) -> Result<(), String> {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(format!("{v} is not a positive finite number"))
        }
    }

    pub fn hidden(v: &i64) -> Result<(), String> {
        within(*v, 1, 65536)
    }
    pub fn seq_len(v: &i64) -> Result<(), String> {
        within(*v, 1, 100_000)
    }
    pub fn batch_size(v: &i64) -> Result<(), String> {
        within(*v, 1, i64::MAX)
    }
    pub fn epochs(v: &i64) -> Result<(), String> {
        within(*v, 0, i64::MAX)
    }
    pub fn lr(v: &f64) -> Result<(), String> {
        positive(*v)
    }
    pub fn clip_grad_norm(v: &f64) -> Result<(), String> {
        positive(*v)
    }
    pub fn test_fraction(v: &f64) -> Result<(), String> {
        if (0.0..1.0).contains(v) {
            Ok(())
        } else {
            Err(format!("{v} is not in [0, 1)"))
        }
    }
    pub fn ensemble(v: &u64) -> Result<(), String> {
        within(*v, 1, 100)
    }
    pub fn rollout(v: &u64) -> Result<(), String> {
        within(*v, 1, 1000)
    }
    pub fn threads(v: &i32) -> Result<(), String> {
        within(*v, 1, 1024)
    }
    pub fn scale_bound(v: &f64) -> Result<(), String> {
        if *v > 0.0 && *v <= 1.0 {
            Ok(())
        } else {
            Err(format!("{v} is not in (0, 1]"))
        }
    }
    pub fn time_column(v: &str) -> Result<(), String> {
        if v.trim().is_empty() {
            return Err("an empty name names no column".into());
        }
        Ok(())
    }
    pub fn columns(v: &[String]) -> Result<(), String> {
        if v.is_empty() {
            return Err("names no column".into());
        }
        for (k, name) in v.iter().enumerate() {
            time_column(name)?;
            if v[..k].contains(name) {
                return Err(format!("names {name} twice"));
            }
        }
        Ok(())
    }
}

/// A text flag's parser: the setting's check on the trimmed text.
fn checked_text(check: fn(&str) -> Result<(), String>) -> impl Fn(&str) -> Result<String, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let v = text.trim().to_string();
        check(&v)?;
        Ok(v)
    }
}

/// A flag's parser: the text as a number, then the setting's check.
fn checked<T>(check: fn(&T) -> Result<(), String>) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
{
    move |text: &str| {
        let v: T = text.trim().parse().map_err(|_| format!("{text} is not a number of the right kind"))?;
        check(&v)?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_pass_the_command_lines_checks() {
        let d = Settings::default;
        assert_eq!(d().validate(), Ok(()));
        for (edit, field) in [
            (Settings { hidden: -3, ..d() }, "settings.hidden: -3 is not in 1..=65536"),
            (Settings { seq_len: 0, ..d() }, "settings.seq_len"),
            (Settings { batch_size: 0, ..d() }, "settings.batch_size"),
            (Settings { epochs: -1, ..d() }, "settings.epochs"),
            (Settings { lr: f64::NAN, ..d() }, "settings.lr"),
            (Settings { test_fraction: 1.0, ..d() }, "settings.test_fraction"),
            (Settings { threads: 0, ..d() }, "settings.threads"),
            (Settings { clip_grad_norm: Some(-1.0), ..d() }, "settings.clip_grad_norm"),
            (Settings { scale_bound: 1.5, ..d() }, "settings.scale_bound: 1.5 is not in (0, 1]"),
            (Settings { time_column: Some(" ".into()), ..d() }, "settings.time_column"),
            (Settings { columns: Some(vec!["a".into(), "a".into()]), ..d() }, "settings.columns: names a twice"),
        ] {
            let err = edit.validate().unwrap_err();
            assert!(err.starts_with(field), "{err}");
        }
        // the same check, the same words, on the command line
        let err = Flags::try_parse_from(["train", "--hidden=-3"]).err().unwrap().to_string();
        assert!(err.contains("-3 is not in 1..=65536"), "{err}");
    }

    #[test]
    fn the_defaults_are_the_blogs_model() {
        let d = Settings::default();
        assert_eq!((d.hidden, d.seq_len, d.batch_size, d.epochs, d.lr), (32, 4, 16, 40, 3e-3));
        assert_eq!((d.activation, d.loss, d.target, d.yt_init), (Activation::Tanh, LossKind::Last, Target::Level, YtInit::Pytorch));
        assert_eq!((d.init, d.data, d.clip_grad_norm), (None, None, None));
    }

    #[test]
    fn old_config_json_settings_with_controls_still_read() {
        let old = r#"{"out":"runs/x","hidden":32,"seq_len":4,"batch_size":16,"epochs":40,"lr":0.003,"seed":42,"no_shuffle":false,
            "init":null,"loss":"last","activation":"tanh","clip_grad_norm":null,"test_fraction":0.2,"data":null,"threads":1,
            "device":"cpu","backward":"manual","checkpoint_every":0}"#;
        let read = serde_json::from_str::<Settings>(old).unwrap();
        assert_eq!(read, Settings { scale_bound: 1.0, ..Settings::default() }, "scaled onto [-1, 1] as runs then were");
    }
}
