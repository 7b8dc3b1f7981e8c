//! Every setting of a run, declared once (`settings!` below): its field and type, its default,
//! its flag and help, its check, which commands take it, and whether `--resume` may change it.
//! The `Settings` struct, `Settings::DEFAULT`, the command lines' flags and help, config.json's
//! validation and the resume merge are all made from that one list.
//!
//! *Settings* change the numbers: they are saved in config.json and the checkpoint, and a
//! resumed run keeps them whole. *Controls* belong to one process (where to write, whether to
//! print, how often to checkpoint, who computes the gradients) and are never saved. Whether a
//! flag was typed comes from clap (`ArgMatches::value_source`), so that `--resume` can tell a
//! flag the user typed from a default.

use crate::data::framing::{ArFit, Framing, RidgeChoice, Target, WindowNorm};
use crate::data::{Missing, Reading, Source, Split, Transform, Windows};
use crate::fast::BackwardArg;
use crate::model::loss::LossKind;
use crate::model::{Activation, YtInit};
use anyhow::{bail, Result};
use clap::builder::EnumValueParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches};
use serde::{Deserialize, Serialize};
use std::fmt::Display;
use std::path::{Path, PathBuf};

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

/// Which command lines take a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The model's shape that a weights file does not hold: train, bench, predict, forecast, export.
    Model,
    /// The series: train, bench, predict, forecast.
    Data,
    /// How a model is trained: train and bench.
    Training,
    /// --epochs: train only.
    Epochs,
}

/// What `--resume` does with a setting typed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// It must repeat the run's value.
    Fixed,
    /// It may grow (--epochs: train on), checked by `SettingsArgs::resumed`.
    Grows,
}

/// The help's default: the value itself, words for it, or none (a switch).
enum Shown {
    Value,
    Words(&'static str),
    Nothing,
}

/// One setting, as the command lines see it.
pub struct Decl {
    pub field: &'static str,
    pub flag: &'static str,
    pub group: Group,
    pub resume: Resume,
    help: &'static str,
    shown: Shown,
    /// It takes a value (all but switches).
    takes_value: bool,
    /// The flag's parser, action and value name.
    arg: fn(Arg) -> Arg,
}

/// A check for a setting no value of its type can break.
fn any<T>(_: &T) -> Result<(), String> {
    Ok(())
}

/// A check of an optional setting: its value's, when it has one.
fn when_set<T>(check: fn(&T) -> Result<(), String>) -> impl Fn(&Option<T>) -> Result<(), String> {
    move |v| v.as_ref().map_or(Ok(()), check)
}

/// How each kind of setting reads from the command line: a plain value, an optional one (a value
/// of its inner type), a switch (typed = on), a list (comma-separated).
macro_rules! from_matches {
    (plain, $m:expr, $id:expr) => {
        $m.get_one($id).cloned().expect("a typed flag has a value")
    };
    (optional, $m:expr, $id:expr) => {
        $m.get_one($id).cloned()
    };
    (switch, $m:expr, $id:expr) => {
        true
    };
    (list, $m:expr, $id:expr) => {
        $m.get_many::<String>($id).map(|v| v.cloned().collect())
    };
}

macro_rules! settings {
    ($(
        $(#[$meta:meta])*
        $field:ident: $ty:ty = $default:expr, $kind:ident, $group:ident, $resume:ident,
            flag $flag:literal, $help:literal, $shown:expr, check $check:expr, arg $arg:expr;
    )*) => {
        /// What a run computes with. Serialized as config.json's `settings` (older files also hold
        /// the controls `out`, `backward` and `checkpoint_every` there; they are read and ignored).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct Settings {
            $( $(#[$meta])* pub $field: $ty, )*
        }

        impl Settings {
            /// The defaults, measured (README, "Why these defaults"): the blog's model (hidden 32,
            /// seq_len 4, tanh, loss of the last step), with Adam at lr 3e-3 on batches of 16 for
            /// 40 epochs.
            pub const DEFAULT: Settings = Settings { $( $field: $default, )* };

            /// Runs every setting's check (the command line's own), naming the first field that
            /// fails: for settings read back from config.json or a checkpoint, which a user may
            /// have edited.
            pub fn validate(&self) -> Result<(), String> {
                $( ($check)(&self.$field).map_err(|e| format!("settings.{}: {e}", stringify!($field)))?; )*
                self.together()
            }
        }

        /// Every setting's flag, in the order the help lists them.
        pub const SETTINGS: &[Decl] = &[
            $( Decl {
                field: stringify!($field),
                flag: $flag,
                group: Group::$group,
                resume: Resume::$resume,
                help: $help,
                shown: $shown,
                takes_value: !matches!(stringify!($kind).as_bytes(), b"switch"),
                arg: $arg,
            }, )*
        ];

        impl Given {
            /// The settings of `groups` typed on this command line, each checked.
            fn from_matches(m: &ArgMatches, groups: &[Group]) -> Result<Given, String> {
                let mut given = Given { values: Settings::DEFAULT, typed: vec![] };
                $(
                    let id = stringify!($field);
                    if groups.contains(&Group::$group) && m.value_source(id) == Some(ValueSource::CommandLine) {
                        given.values.$field = from_matches!($kind, m, id);
                        ($check)(&given.values.$field).map_err(|e| format!("--{}: {e}", $flag))?;
                        given.typed.push(id);
                    }
                )*
                Ok(given)
            }

            $(
                /// The setting, when it was typed.
                pub fn $field(&self) -> Option<$ty> {
                    self.typed(stringify!($field)).then(|| self.values.$field.clone())
                }
            )*

            /// Puts the typed settings onto `base`: a new run's defaults, or a resumed run's
            /// settings, which a flag may repeat but not contradict (but one that may grow).
            fn merge(&self, base: &mut Settings, resuming: bool) -> Result<()> {
                $(
                    if self.typed(stringify!($field)) {
                        if resuming && Resume::$resume == Resume::Fixed && self.values.$field != base.$field {
                            bail!(
                                "--{flag} {} contradicts the run being resumed, which was started with --{flag} {} (drop the flag, or start a new run)",
                                shown(&self.values.$field),
                                shown(&base.$field),
                                flag = $flag
                            );
                        }
                        base.$field = self.values.$field.clone();
                    }
                )*
                Ok(())
            }
        }
    };
}

settings! {
    hidden: i64 = 32, plain, Training, Fixed,
        flag "hidden", "Length of the hidden state h_t", Shown::Value,
        check check::hidden, arg |a| a.value_parser(checked(check::hidden));
    seq_len: i64 = 4, plain, Model, Fixed,
        flag "seq-len", "Past points the model reads to predict the next one (the blog's seq_length)", Shown::Words("4; a CSV series: two seasons, or 8 rows without a season"),
        check check::seq_len, arg |a| a.value_parser(checked(check::seq_len));
    batch_size: i64 = 16, plain, Training, Fixed,
        flag "batch-size", "Windows per optimizer step", Shown::Value,
        check check::batch_size, arg |a| a.value_parser(checked(check::batch_size));
    epochs: i64 = 40, plain, Epochs, Grows,
        flag "epochs", "Passes over the training windows; 0 writes the initial model and its outputs", Shown::Words("40; a CSV series: 100"),
        check check::epochs, arg |a| a.value_parser(checked(check::epochs));
    lr: f64 = 3e-3, plain, Training, Fixed,
        flag "lr", "Adam's learning rate (its other settings are PyTorch's defaults)", Shown::Value,
        check check::lr, arg |a| a.value_parser(checked(check::lr));
    seed: u64 = 42, plain, Training, Fixed,
        flag "seed", "Seed of the initial weights (as torch.manual_seed) and of the batch order", Shown::Value,
        check any, arg |a| a.value_parser(checked(any::<u64>));
    no_shuffle: bool = false, switch, Training, Fixed,
        flag "no-shuffle", "Keep the windows in order instead of shuffling them each epoch", Shown::Nothing,
        check any, arg |a| a.action(ArgAction::SetTrue);
    init: Option<PathBuf> = None, optional, Training, Fixed,
        flag "init", "Start from these weights (.safetensors, torch.save .pt, or tch .ot) instead of --seed's", Shown::Nothing,
        check any, arg |a| a.value_parser(clap::value_parser!(PathBuf)).value_name("FILE");
    loss: LossKind = LossKind::Last, plain, Training, Fixed,
        flag "loss", "Which outputs the loss reads", Shown::Value,
        check any, arg |a| a.value_parser(EnumValueParser::<LossKind>::new());
    activation: Activation = Activation::Tanh, plain, Model, Fixed,
        flag "activation", "Non-linearity of the hidden state (the output keeps tanh)", Shown::Value,
        check any, arg |a| a.value_parser(EnumValueParser::<Activation>::new());
    clip_grad_norm: Option<f64> = None, optional, Training, Fixed,
        flag "clip-grad-norm", "Rescale gradients whose global L2 norm exceeds this (torch.nn.utils.clip_grad_norm_)", Shown::Words("no clipping"),
        check when_set(check::clip_grad_norm), arg |a| a.value_parser(checked(check::clip_grad_norm)).value_name("F");
    test_fraction: f64 = 0.2, plain, Training, Fixed,
        flag "test-fraction", "Fraction of the windows, at the end of the series, held out for the test loss", Shown::Value,
        check check::test_fraction, arg |a| a.value_parser(checked(check::test_fraction));
    /// Runs before 0.3 held out no validation windows.
    #[serde(default)]
    val_fraction: f64 = 0.0, plain, Training, Fixed,
        flag "val-fraction", "Fraction of the windows, just before the test tail, held out for validation: the epoch with the lowest validation loss is the one kept", Shown::Words("0; a CSV series: 0.1"),
        check check::test_fraction, arg |a| a.value_parser(checked(check::test_fraction));
    /// Runs before 0.3: no seasonal baseline.
    #[serde(default)]
    season: u64 = 0, plain, Training, Fixed,
        flag "season", "The series' season in rows, for the seasonal naive baseline (0: from the time column's calendar frequency: monthly 12, quarterly 4, weekly 52, daily 7, hourly 24, half-hourly 48; none without one)", Shown::Value,
        check any, arg |a| a.value_parser(checked(any::<u64>));
    /// Runs before 0.4 predicted the level.
    #[serde(default = "level")]
    target: Target = Target::Level, plain, Training, Fixed,
        flag "target", "What the model predicts: the next point; its change from the window's last point (then an untrained model is persistence); or what a linear autoregression on the window, fitted by least squares (on the windows --ar-fit names), leaves (the prediction is the autoregression's plus the model's)", Shown::Words("level; a CSV series: linear"),
        check any, arg |a| a.value_parser(EnumValueParser::<Target>::new());
    /// Runs before 0.4 saw their windows as they are.
    #[serde(default = "no_norm")]
    window_norm: WindowNorm = WindowNorm::None, plain, Training, Fixed,
        flag "window-norm", "Each window's inputs shifted by their last point, or standardised by their own mean and deviation (RevIN), and the output mapped back", Shown::Value,
        check any, arg |a| a.value_parser(EnumValueParser::<WindowNorm>::new());
    /// Runs before it chose the lowest.
    #[serde(default = "lowest")]
    ridge_choice: RidgeChoice = RidgeChoice::Lowest, plain, Training, Fixed,
        flag "ridge-choice", "How the validation windows choose --target linear's ridge (how far its fit is shrunk towards persistence): the lowest validation error, the largest ridge within one standard error of it, or none (the bare least-squares fit)", Shown::Value,
        check any, arg |a| a.value_parser(EnumValueParser::<RidgeChoice>::new());
    /// Runs before it fitted on the training windows.
    #[serde(default = "training_windows")]
    ar_fit: ArFit = ArFit::Training, plain, Training, Fixed,
        flag "ar-fit", "Which windows --target linear's autoregression is fitted on: the training windows, or every window before the test tail (the validation windows too, as the linear baseline is), at the ridge that fits on the training windows chose", Shown::Value,
        check any, arg |a| a.value_parser(EnumValueParser::<ArFit>::new());
    /// Runs before it started get_yt as nn.Linear does.
    #[serde(default = "pytorch_init")]
    yt_init: YtInit = YtInit::Pytorch, plain, Training, Fixed,
        flag "yt-init", "How get_yt's weights start with --seed: as nn.Linear's, or at zero, so that the untrained model predicts what --target alone does (persistence with change, the autoregression with linear)", Shown::Words("pytorch; a CSV series: zero"),
        check any, arg |a| a.value_parser(EnumValueParser::<YtInit>::new());
    #[serde(default)]
    patience: u64 = 0, plain, Training, Fixed,
        flag "patience", "With --val-fraction: stop after this many epochs without a lower validation loss (0: train every epoch)", Shown::Value,
        check any, arg |a| a.value_parser(checked(any::<u64>));
    data: Option<PathBuf> = None, optional, Data, Fixed,
        flag "data", "Your own series: a CSV (`,` `;` or tab) with a header row, one numeric column per feature, and maybe a time column", Shown::Words("the built-in circle"),
        check any, arg |a| a.value_parser(clap::value_parser!(PathBuf)).value_name("FILE");
    /// The CSV's time column as given (config.json's `time_column` says which one was used).
    #[serde(default)]
    time_column: Option<String> = None, optional, Data, Fixed,
        flag "time-column", "The CSV's time column: labels the outputs, never a feature", Shown::Words("the first column, when its values are not numbers"),
        check when_set(|v: &String| check::time_column(v)), arg |a| a.value_parser(checked_text(check::time_column)).value_name("NAME");
    /// The CSV's feature columns as given (config.json's `features` says which were used).
    #[serde(default)]
    columns: Option<Vec<String>> = None, list, Data, Fixed,
        flag "columns", "The CSV's columns to learn, in this order", Shown::Words("every column but the time column"),
        check when_set(|v: &Vec<String>| check::columns(v)), arg |a| a.value_delimiter(',').num_args(1..).value_name("A,B,...");
    /// A long-format CSV's series column (config.json's `series` holds each series' scaling).
    #[serde(default)]
    series_column: Option<String> = None, optional, Data, Fixed,
        flag "series-column", "A file of many series, one row per series and time (long format): the column naming each row's series. One model trains across them; each series is split and scaled on its own", Shown::Words("one series"),
        check when_set(|v: &String| check::time_column(v)), arg |a| a.value_parser(checked_text(check::time_column)).value_name("NAME");
    #[serde(default)]
    missing: Missing = Missing::Error, plain, Data, Fixed,
        flag "missing", "What a missing cell (empty, NA, NaN) becomes", Shown::Value,
        check any, arg |a| a.value_parser(EnumValueParser::<Missing>::new());
    /// A CSV's training rows are scaled onto [-scale_bound, scale_bound]. (Runs before 0.2 wrote
    /// none, and mapped the whole series onto [-1, 1].)
    #[serde(default = "crate::data::scaling::bound_before_0_2")]
    scale_bound: f64 = 0.6, plain, Training, Fixed,
        flag "scale-bound", "A CSV's training rows are scaled onto [-B, B]; below 1, the tanh output can reach held-out values beyond them", Shown::Value,
        check check::scale_bound, arg |a| a.value_parser(checked(check::scale_bound)).value_name("B");
    /// Runs before it existed scaled the values as they are.
    #[serde(default)]
    transform: Transform = Transform::None, plain, Training, Fixed,
        flag "transform", "What a CSV's values become before they are scaled, and are again after: as they are, or their log (every value above 0; for a season or noise that grows with the level)", Shown::Value,
        check any, arg |a| a.value_parser(EnumValueParser::<Transform>::new());
    threads: i32 = 1, plain, Training, Fixed,
        flag "threads", "libtorch intra-op threads (1 is fastest at the blog's size, and bitwise reproducible)", Shown::Value,
        check check::threads, arg |a| a.value_parser(checked(check::threads));
    device: DeviceArg = DeviceArg::Cpu, plain, Training, Fixed,
        flag "device", "Where to train", Shown::Value,
        check any, arg |a| a.value_parser(EnumValueParser::<DeviceArg>::new());
}

fn level() -> Target {
    Target::Level
}

fn lowest() -> RidgeChoice {
    RidgeChoice::Lowest
}

fn training_windows() -> ArFit {
    ArFit::Training
}

fn pytorch_init() -> YtInit {
    YtInit::Pytorch
}

fn no_norm() -> WindowNorm {
    WindowNorm::None
}

impl Settings {
    /// How a window is put to the model (`--target linear` fits its autoregression on the
    /// training windows, its ridge chosen on the validation windows, then maybe on both: `--ar-fit`).
    pub fn framing(&self, windows: &Windows) -> anyhow::Result<Framing> {
        Framing::fitted(self.target, self.window_norm, self.ridge_choice, &windows.training(), &windows.validation())?
            .refitted(self.ar_fit, &windows.before_test())
    }

    /// The checks that read two settings at once.
    fn together(&self) -> Result<(), String> {
        if self.target != Target::Level && self.loss == LossKind::All {
            return Err(format!("--target {} predicts the step after the window only: it needs --loss last", self.target));
        }
        if self.transform != Transform::None && self.data.is_none() {
            return Err(format!("--transform {} is for a CSV series (--data FILE): the built-in circle crosses 0", self.transform));
        }
        Ok(())
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
        };
        Source::new(self.data.clone(), reading)
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings::DEFAULT
    }
}

/// How a setting's value reads in a message: as config.json writes it, strings unquoted.
fn shown(v: &impl Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Null) => "(unset)".into(),
        Ok(v) => v.to_string(),
        Err(_) => "?".into(),
    }
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
/// (docs/tuning.md, by scripts/tune_csv_defaults.py): what the least-squares linear
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

/// The settings typed on one command line: their values (the rest at their defaults) and which
/// were typed.
#[derive(Debug, Clone)]
pub struct Given {
    values: Settings,
    typed: Vec<&'static str>,
}

impl Default for Given {
    fn default() -> Given {
        Given { values: Settings::DEFAULT, typed: vec![] }
    }
}

impl Given {
    /// Whether the setting `field` was typed.
    pub fn typed(&self, field: &str) -> bool {
        self.typed.contains(&field)
    }

    /// The settings of a new run: the defaults (a CSV series': `csv_defaults`), with what was given.
    pub fn new_run(&self, csv: Option<CsvSeries>) -> Result<Settings> {
        let mut s = Settings::DEFAULT;
        if let Some(series) = csv {
            csv_defaults(&mut s, series);
        }
        self.merge(&mut s, false)?;
        s.together().map_err(anyhow::Error::msg)?;
        if self.typed("yt_init") && s.init.is_some() {
            bail!("--yt-init sets how --seed's weights start, and --init FILE gives every weight: drop one of the two");
        }
        Ok(s)
    }
}

/// The flags of the settings in `groups`. `from_run`: the command reads a trained run's
/// settings (predict, forecast, export), so a flag overrides the run's value, and the help says so.
fn flags(groups: &[Group], from_run: bool) -> Vec<Arg> {
    let mut out = vec![];
    for d in SETTINGS.iter().filter(|d| groups.contains(&d.group)) {
        let default = match d.shown {
            Shown::Value => Some(shown_default(d.field)),
            Shown::Words(w) => Some(w.to_string()),
            Shown::Nothing => None,
        };
        let help = match (default, from_run) {
            (None, _) => d.help.to_string(),
            (Some(default), false) => format!("{} [default: {default}]", d.help),
            (Some(default), true) => format!("{} [default: the run's, from config.json beside the weights; else {default}]", d.help),
        };
        let arg = (d.arg)(Arg::new(d.field).long(d.flag).value_name(d.field.to_uppercase()).help(help));
        // `--lr -1` is a value to refuse by its range, not an unknown flag `-1`.
        out.push(if d.takes_value { arg.allow_negative_numbers(true) } else { arg });
    }
    out
}

/// A setting's default as config.json writes it.
fn shown_default(field: &str) -> String {
    let all = serde_json::to_value(Settings::DEFAULT).unwrap_or_default();
    all.get(field).map_or_else(|| "?".into(), shown)
}

/// A clap `Args` of the settings in some groups, read into a `Given`.
macro_rules! settings_args {
    ($(#[$doc:meta])* $name:ident, [$($group:ident),*], from_run: $from_run:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default)]
        pub struct $name(pub Given);

        impl $name {
            const GROUPS: &'static [Group] = &[$(Group::$group),*];
        }

        impl clap::FromArgMatches for $name {
            fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
                Given::from_matches(m, Self::GROUPS).map($name).map_err(|e| clap::Error::raw(clap::error::ErrorKind::ValueValidation, e + "\n"))
            }
            fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
                *self = Self::from_arg_matches(m)?;
                Ok(())
            }
        }

        impl clap::Args for $name {
            fn augment_args(cmd: clap::Command) -> clap::Command {
                cmd.args(flags(Self::GROUPS, $from_run))
            }
            fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
                Self::augment_args(cmd)
            }
        }
    };
}

settings_args!(
    /// Every setting of `train`, as typed on the command line.
    SettingsArgs, [Model, Data, Training, Epochs], from_run: false
);
settings_args!(
    /// The settings `bench` takes: all but --epochs.
    RunArgs, [Model, Data, Training], from_run: false
);
settings_args!(
    /// The model's settings that a weights file does not hold (predict, forecast, export).
    ModelArgs, [Model], from_run: true
);
settings_args!(
    /// The series (predict, forecast): another file, or the run's read otherwise.
    DataArgs, [Data], from_run: true
);

impl SettingsArgs {
    /// The settings of a new run: the defaults (a CSV series' own), with what was given.
    pub fn new_run(&self, csv: Option<CsvSeries>) -> Result<Settings> {
        self.0.new_run(csv)
    }

    /// The settings of a resumed run: the saved ones, unchanged but for `--epochs`, which may
    /// grow to train on (not below the `done` epochs). Any other flag must repeat the saved value.
    pub fn resumed(&self, mut saved: Settings, dir: &Path, done: usize) -> Result<Settings> {
        self.0.merge(&mut saved, true)?;
        if self.0.typed("epochs") && (saved.epochs as usize) < done {
            bail!("--epochs {} is fewer than the {done} epochs the run in {} has already done", saved.epochs, dir.display());
        }
        Ok(saved)
    }
}

impl RunArgs {
    /// A run's settings from bench's flags: the defaults (a CSV series' own), with what was given.
    pub fn new_run(&self, csv: Option<CsvSeries>) -> Result<Settings> {
        self.0.new_run(csv)
    }
}

/// Who computes the gradients: shared by train and bench.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BackwardArgs {
    /// Who computes the gradients (the same bits either way)
    #[arg(long, value_enum, default_value_t = BackwardArg::Auto)]
    pub backward: BackwardArg,
}

/// What belongs to this process only: never saved, free to change on resume.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Controls {
    /// Output directory (created; files are written atomically) [default: runs/latest]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue the run in DIR from its checkpoint, with the settings it was started with
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Print nothing but errors
    #[arg(long)]
    pub quiet: bool,
    /// Also write DIR/checkpoint.safetensors every N epochs (it is always written at the end and on Ctrl-C)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub checkpoint_every: u64,
    #[command(flatten)]
    pub backward: BackwardArgs,
    /// Testing aid: stop as if Ctrl-C came after this many optimizer steps
    #[arg(long, hide = true)]
    pub stop_after_steps: Option<u64>,
}

impl Controls {
    /// Where the run writes: --resume's directory, else --out (runs/latest by default).
    pub fn out_dir(&self) -> Result<PathBuf> {
        match (&self.resume, &self.out) {
            (Some(dir), Some(out)) if out != dir => {
                bail!("--out {} contradicts --resume {}: a resumed run goes on in its own directory", out.display(), dir.display())
            }
            (Some(dir), _) => Ok(dir.clone()),
            (None, Some(out)) => Ok(out.clone()),
            (None, None) => Ok(PathBuf::from("runs/latest")),
        }
    }
}

/// The values each setting may take, wherever it comes from: the command line runs each check
/// as its flag's parser (`checked`), `Settings::validate` runs them all on settings read back
/// from a file. One place, so no range is checked in one and not the other.
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
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: SettingsArgs,
    }

    fn args(flags: &[&str]) -> SettingsArgs {
        Cli::try_parse_from(std::iter::once("train").chain(flags.iter().copied())).unwrap().settings
    }

    #[test]
    fn no_flags_give_the_defaults() {
        assert_eq!(args(&[]).new_run(None).unwrap(), Settings::DEFAULT);
    }

    #[test]
    fn a_csv_series_gets_its_own_defaults_and_a_flag_still_wins() {
        let csv = |season, rows| Some(CsvSeries { season, rows });
        let monthly = args(&[]).new_run(csv(Some(12), 500)).unwrap();
        assert_eq!((monthly.seq_len, monthly.target, monthly.val_fraction, monthly.epochs), (24, Target::Linear, 0.1, 100));
        assert_eq!((monthly.ridge_choice, monthly.ar_fit), (RidgeChoice::Lowest, ArFit::Training), "the circle's autoregression");
        assert_eq!(args(&[]).new_run(csv(None, 500)).unwrap().seq_len, 8, "8 rows without a season");
        assert_eq!(args(&[]).new_run(csv(Some(52), 120)).unwrap().seq_len, 30, "at most a quarter of the rows");
        assert_eq!(args(&[]).new_run(csv(None, 10)).unwrap().seq_len, 4, "at least 4");
        let typed =
            args(&["--seq-len", "5", "--target", "level", "--val-fraction", "0", "--ridge-choice", "none", "--ar-fit", "before-test"])
                .new_run(csv(Some(12), 500))
                .unwrap();
        assert_eq!((typed.seq_len, typed.target, typed.val_fraction), (5, Target::Level, 0.0));
        assert_eq!((typed.ridge_choice, typed.ar_fit), (RidgeChoice::Bare, ArFit::BeforeTest));
        assert_eq!(Settings { seq_len: 4, ..monthly.clone() }.hidden, Settings::DEFAULT.hidden, "the rest stays");
    }

    /// Every setting, given a value other than its default: each must reach its field, and each
    /// must be refused by name when it contradicts a resumed run.
    const EVERY_FLAG: [(&str, &str); 29] = [
        ("--seq-len", "7"),
        ("--activation", "relu"),
        ("--data", "x.csv"),
        ("--time-column", "date"),
        ("--columns", "a,b"),
        ("--missing", "skip"),
        ("--series-column", "store"),
        ("--scale-bound", "1"),
        ("--transform", "log"),
        ("--hidden", "5"),
        ("--batch-size", "3"),
        ("--lr", "0.5"),
        ("--seed", "9"),
        ("--no-shuffle", ""),
        ("--init", "w.safetensors"),
        ("--loss", "all"),
        ("--clip-grad-norm", "2"),
        ("--test-fraction", "0.5"),
        ("--val-fraction", "0.1"),
        ("--patience", "3"),
        ("--target", "change"),
        ("--window-norm", "revin"),
        ("--yt-init", "zero"),
        ("--ridge-choice", "one-se"),
        ("--ar-fit", "before-test"),
        ("--season", "12"),
        ("--threads", "2"),
        ("--device", "auto"),
        ("--epochs", "3"),
    ];

    /// The list above is every setting flag `train` has (read from its command definition), so
    /// a setting added without a value here fails this test.
    #[test]
    fn every_flag_lists_every_setting_of_the_command() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let mut defined: Vec<String> = cmd
            .get_arguments()
            .filter(|a| SETTINGS.iter().any(|d| a.get_id() == d.field))
            .map(|a| format!("--{}", a.get_long().unwrap()))
            .collect();
        let mut listed: Vec<String> = EVERY_FLAG.iter().map(|(f, _)| f.to_string()).collect();
        defined.sort();
        listed.sort();
        assert_eq!(listed, defined);
        assert_eq!(defined.len(), SETTINGS.len(), "train takes every setting");
    }

    /// A flag and its value, with what a new run needs beside it (`--transform log`: a CSV).
    fn with_companions<'a>(flag: &'a str, value: &'a str) -> Vec<&'a str> {
        let mut given = if value.is_empty() { vec![flag] } else { vec![flag, value] };
        if flag == "--transform" {
            given.extend(["--data", "x.csv"]);
        }
        given
    }

    #[test]
    fn every_flag_sets_its_setting() {
        for (flag, value) in EVERY_FLAG {
            let s = args(&with_companions(flag, value)).new_run(None).unwrap();
            assert_ne!(s, Settings::DEFAULT, "{flag} changed nothing");
        }
    }

    #[test]
    fn resume_refuses_each_contradicting_flag_by_name_and_accepts_a_repeat() {
        let dir = Path::new("run");
        for (flag, value) in EVERY_FLAG.iter().filter(|(f, _)| *f != "--epochs") {
            let given = if value.is_empty() { vec![*flag] } else { vec![*flag, *value] };
            let err = args(&given).resumed(Settings::DEFAULT, dir, 0).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{flag} ")) && err.contains("contradicts the run being resumed"), "{flag}: {err}");
            let saved = args(&with_companions(flag, value)).new_run(None).unwrap();
            assert_eq!(args(&given).resumed(saved.clone(), dir, 0).unwrap(), saved, "{flag} repeated");
        }
    }

    #[test]
    fn resume_lets_epochs_grow_but_not_shrink_below_what_is_done() {
        let dir = Path::new("run");
        assert_eq!(args(&["--epochs", "50"]).resumed(Settings::DEFAULT, dir, 40).unwrap().epochs, 50);
        let err = args(&["--epochs", "3"]).resumed(Settings::DEFAULT, dir, 4).unwrap_err().to_string();
        assert!(err.contains("fewer than the 4 epochs"), "{err}");
    }

    #[test]
    fn saved_settings_pass_the_command_lines_checks() {
        assert_eq!(Settings::DEFAULT.validate(), Ok(()));
        for (edit, field) in [
            (Settings { hidden: -3, ..Settings::DEFAULT }, "settings.hidden: -3 is not in 1..=65536"),
            (Settings { seq_len: 0, ..Settings::DEFAULT }, "settings.seq_len"),
            (Settings { batch_size: 0, ..Settings::DEFAULT }, "settings.batch_size"),
            (Settings { epochs: -1, ..Settings::DEFAULT }, "settings.epochs"),
            (Settings { lr: f64::NAN, ..Settings::DEFAULT }, "settings.lr"),
            (Settings { test_fraction: 1.0, ..Settings::DEFAULT }, "settings.test_fraction"),
            (Settings { threads: 0, ..Settings::DEFAULT }, "settings.threads"),
            (Settings { clip_grad_norm: Some(-1.0), ..Settings::DEFAULT }, "settings.clip_grad_norm"),
            (Settings { scale_bound: 1.5, ..Settings::DEFAULT }, "settings.scale_bound: 1.5 is not in (0, 1]"),
            (Settings { time_column: Some(" ".into()), ..Settings::DEFAULT }, "settings.time_column"),
            (Settings { columns: Some(vec!["a".into(), "a".into()]), ..Settings::DEFAULT }, "settings.columns: names a twice"),
        ] {
            let err = edit.validate().unwrap_err();
            assert!(err.starts_with(field), "{err}");
        }
        // the same check, the same words, on the command line
        let err = Cli::try_parse_from(["train", "--hidden=-3"]).err().unwrap().to_string();
        assert!(err.contains("-3 is not in 1..=65536"), "{err}");
    }

    #[test]
    fn old_config_json_settings_with_controls_still_read() {
        let old = r#"{"out":"runs/x","hidden":32,"seq_len":4,"batch_size":16,"epochs":40,"lr":0.003,"seed":42,"no_shuffle":false,
            "init":null,"loss":"last","activation":"tanh","clip_grad_norm":null,"test_fraction":0.2,"data":null,"threads":1,
            "device":"cpu","backward":"manual","checkpoint_every":0}"#;
        let read = serde_json::from_str::<Settings>(old).unwrap();
        assert_eq!(read, Settings { scale_bound: 1.0, ..Settings::DEFAULT }, "scaled onto [-1, 1] as runs then were");
    }
}
