//! Every setting of a run, with its default, in one place.
//!
//! *Settings* change the numbers: they are saved in config.json and the checkpoint, and a
//! resumed run keeps them whole. *Controls* belong to one process (where to write, whether to
//! print, how often to checkpoint, which backward computes the same bits) and are never saved.
//! On the command line each setting is an `Option`: given or not, with no default filled in by
//! the parser, so that `--resume` can tell a flag the user typed from a default without asking
//! the parser by name. The defaults are `Settings::DEFAULT`, and the help shows them from there.

use crate::data::{Missing, Reading, Source};
use crate::fast::BackwardArg;
use crate::model::loss::LossKind;
use crate::model::Activation;
use anyhow::{bail, Result};
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

/// What a run computes with. Serialized as config.json's `settings` (older files also hold the
/// controls `out`, `backward` and `checkpoint_every` there; they are read and ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub hidden: i64,
    pub seq_len: i64,
    pub batch_size: i64,
    pub epochs: i64,
    pub lr: f64,
    pub seed: u64,
    pub no_shuffle: bool,
    pub init: Option<PathBuf>,
    pub loss: LossKind,
    pub activation: Activation,
    pub clip_grad_norm: Option<f64>,
    pub test_fraction: f64,
    pub data: Option<PathBuf>,
    /// The CSV's time column as given (config.json's `time_column` says which one was used).
    #[serde(default)]
    pub time_column: Option<String>,
    /// The CSV's feature columns as given (config.json's `features` says which were used).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    #[serde(default)]
    pub missing: Missing,
    /// A CSV's training rows are scaled onto [-scale_bound, scale_bound]. (Runs before 0.2 wrote
    /// none, and mapped the whole series onto [-1, 1].)
    #[serde(default = "crate::data::scaling::bound_before_0_2")]
    pub scale_bound: f64,
    pub threads: i32,
    pub device: DeviceArg,
}

impl Settings {
    /// The defaults, measured (README, "Why these defaults"): the blog's model (hidden 32, seq_len
    /// 4, tanh, loss of the last step), with Adam at lr 3e-3 on batches of 16 for 40 epochs.
    pub const DEFAULT: Settings = Settings {
        hidden: 32,
        seq_len: 4,
        batch_size: 16,
        epochs: 40,
        lr: 3e-3,
        seed: 42,
        no_shuffle: false,
        init: None,
        loss: LossKind::Last,
        activation: Activation::Tanh,
        clip_grad_norm: None,
        test_fraction: 0.2,
        data: None,
        time_column: None,
        columns: None,
        missing: Missing::Error,
        scale_bound: 0.6,
        threads: 1,
        device: DeviceArg::Cpu,
    };
}

impl Settings {
    /// The series: the circle, or the CSV read as the settings say.
    pub fn source(&self) -> Source {
        let reading = Reading { time_column: self.time_column.clone(), columns: self.columns.clone(), missing: self.missing };
        Source::new(self.data.clone(), reading)
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings::DEFAULT
    }
}

/// Help text with the default it falls back to.
fn help(text: &str, default: impl Display) -> String {
    format!("{text} [default: {default}]")
}

/// The model's settings that a weights file does not hold: shared by train, bench, predict,
/// forecast and export (the last three read them from the run's config.json when there is one).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ModelArgs {
    #[arg(long, value_parser = checked(check::seq_len),
          help = help("Past points the model reads to predict the next one (the blog's seq_length)", Settings::DEFAULT.seq_len))]
    pub seq_len: Option<i64>,
    #[arg(long, value_enum, help = help("Non-linearity of the hidden state (the output keeps tanh)", Settings::DEFAULT.activation))]
    pub activation: Option<Activation>,
}

/// The series: shared by train, bench, predict and forecast (the last two read a run's from its
/// config.json, and these flags change it).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DataArgs {
    /// Your own series: a CSV (`,` `;` or tab) with a header row, one numeric column per feature, and maybe a time column [default: the built-in circle]
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// The CSV's time column: labels the outputs, never a feature [default: the first column, when its values are not numbers]
    #[arg(long, value_name = "NAME", value_parser = checked_text(check::time_column))]
    pub time_column: Option<String>,
    /// The CSV's columns to learn, in this order [default: every column but the time column]
    #[arg(long, value_name = "A,B,...", value_delimiter = ',', num_args = 1..)]
    pub columns: Option<Vec<String>>,
    #[arg(long, value_enum, help = help("What a missing cell (empty, NA, NaN) becomes", Settings::DEFAULT.missing))]
    pub missing: Option<Missing>,
}

/// How a model is trained: shared by train and bench.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TrainingArgs {
    #[arg(long, value_parser = checked(check::hidden), help = help("Length of the hidden state h_t", Settings::DEFAULT.hidden))]
    pub hidden: Option<i64>,
    #[arg(long, value_parser = checked(check::batch_size), help = help("Windows per optimizer step", Settings::DEFAULT.batch_size))]
    pub batch_size: Option<i64>,
    #[arg(long, value_parser = checked(check::lr), help = help("Adam's learning rate (its other settings are PyTorch's defaults)", Settings::DEFAULT.lr))]
    pub lr: Option<f64>,
    #[arg(long, help = help("Seed of the initial weights (as torch.manual_seed) and of the batch order", Settings::DEFAULT.seed))]
    pub seed: Option<u64>,
    /// Keep the windows in order instead of shuffling them each epoch
    #[arg(long)]
    pub no_shuffle: bool,
    /// Start from these weights (.safetensors, torch.save .pt, or tch .ot) instead of --seed's
    #[arg(long, value_name = "FILE")]
    pub init: Option<PathBuf>,
    #[arg(long, value_enum, help = help("Which outputs the loss reads", Settings::DEFAULT.loss))]
    pub loss: Option<LossKind>,
    /// Rescale gradients whose global L2 norm exceeds this (torch.nn.utils.clip_grad_norm_) [default: no clipping]
    #[arg(long, value_name = "F", value_parser = checked(check::clip_grad_norm))]
    pub clip_grad_norm: Option<f64>,
    #[arg(long, value_parser = checked(check::test_fraction), help = help("Fraction of the windows, at the end of the series, held out for the test loss", Settings::DEFAULT.test_fraction))]
    pub test_fraction: Option<f64>,
    #[arg(long, value_name = "B", value_parser = checked(check::scale_bound), help = help("A CSV's training rows are scaled onto [-B, B]; below 1, the tanh output can reach held-out values beyond them", Settings::DEFAULT.scale_bound))]
    pub scale_bound: Option<f64>,
    #[arg(long, value_parser = checked(check::threads),
          help = help("libtorch intra-op threads (1 is fastest at the blog's size, and bitwise reproducible)", Settings::DEFAULT.threads))]
    pub threads: Option<i32>,
    #[arg(long, value_enum, help = help("Where to train", Settings::DEFAULT.device))]
    pub device: Option<DeviceArg>,
}

/// The settings `train` and `bench` share: all but --epochs.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub training: TrainingArgs,
}

/// Every setting of `train`, as typed on the command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SettingsArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[arg(long, value_parser = checked(check::epochs),
          help = help("Passes over the training windows; 0 writes the initial model and its outputs", Settings::DEFAULT.epochs))]
    pub epochs: Option<i64>,
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

/// How a setting's value reads in a message: as config.json writes it, strings unquoted.
fn shown(v: &impl Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Null) => "(unset)".into(),
        Ok(v) => v.to_string(),
        Err(_) => "?".into(),
    }
}

/// Puts the command line's settings onto `base`: the defaults for a new run, or the settings of
/// a run being resumed, which a flag may repeat but not contradict.
struct Merge {
    resuming: bool,
}

impl Merge {
    fn value<T: PartialEq + Serialize + Clone>(&self, flag: &str, given: &Option<T>, base: &mut T) -> Result<()> {
        if let Some(v) = given {
            if self.resuming && v != base {
                bail!(
                    "--{flag} {} contradicts the run being resumed, which was started with --{flag} {} (drop the flag, or start a new run)",
                    shown(v),
                    shown(base)
                );
            }
            *base = v.clone();
        }
        Ok(())
    }

    /// A setting that is unset by default (`--init`, `--data`, `--clip-grad-norm`).
    fn optional<T: PartialEq + Serialize + Clone>(&self, flag: &str, given: &Option<T>, base: &mut Option<T>) -> Result<()> {
        self.value(flag, &given.clone().map(Some), base)
    }

    fn switch(&self, flag: &str, given: bool, base: &mut bool) -> Result<()> {
        self.value(flag, &given.then_some(true), base)
    }
}

impl SettingsArgs {
    /// The settings of a new run: the defaults, with what was given.
    pub fn new_run(&self) -> Result<Settings> {
        let mut s = Settings::DEFAULT;
        self.merge(&Merge { resuming: false }, &mut s)?;
        if let Some(epochs) = self.epochs {
            s.epochs = epochs;
        }
        Ok(s)
    }

    /// The settings of a resumed run: the saved ones, unchanged but for `--epochs`, which may
    /// grow to train on (not below the `done` epochs). Any other flag must repeat the saved value.
    pub fn resumed(&self, mut saved: Settings, dir: &Path, done: usize) -> Result<Settings> {
        self.merge(&Merge { resuming: true }, &mut saved)?;
        if let Some(epochs) = self.epochs {
            if (epochs as usize) < done {
                bail!("--epochs {epochs} is fewer than the {done} epochs the run in {} has already done", dir.display());
            }
            saved.epochs = epochs;
        }
        Ok(saved)
    }

    fn merge(&self, m: &Merge, s: &mut Settings) -> Result<()> {
        let (model, t) = (&self.run.model, &self.run.training);
        m.value("seq-len", &model.seq_len, &mut s.seq_len)?;
        m.value("activation", &model.activation, &mut s.activation)?;
        let data = &self.run.data;
        m.optional("data", &data.data, &mut s.data)?;
        m.optional("time-column", &data.time_column, &mut s.time_column)?;
        if let Some(c) = &data.columns {
            check::columns(c).map_err(|e| anyhow::anyhow!("--columns: {e}"))?;
        }
        m.optional("columns", &data.columns, &mut s.columns)?;
        m.value("missing", &data.missing, &mut s.missing)?;
        m.value("scale-bound", &t.scale_bound, &mut s.scale_bound)?;
        m.value("hidden", &t.hidden, &mut s.hidden)?;
        m.value("batch-size", &t.batch_size, &mut s.batch_size)?;
        m.value("lr", &t.lr, &mut s.lr)?;
        m.value("seed", &t.seed, &mut s.seed)?;
        m.switch("no-shuffle", t.no_shuffle, &mut s.no_shuffle)?;
        m.optional("init", &t.init, &mut s.init)?;
        m.value("loss", &t.loss, &mut s.loss)?;
        m.optional("clip-grad-norm", &t.clip_grad_norm, &mut s.clip_grad_norm)?;
        m.value("test-fraction", &t.test_fraction, &mut s.test_fraction)?;
        m.value("threads", &t.threads, &mut s.threads)?;
        m.value("device", &t.device, &mut s.device)
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

impl Settings {
    /// Runs every setting's check (the command line's own), naming the first field that fails:
    /// for settings read back from config.json or a checkpoint, which a user may have edited.
    pub fn validate(&self) -> Result<(), String> {
        let field = |name: &str, r: Result<(), String>| r.map_err(|e| format!("settings.{name}: {e}"));
        field("hidden", check::hidden(&self.hidden))?;
        field("seq_len", check::seq_len(&self.seq_len))?;
        field("batch_size", check::batch_size(&self.batch_size))?;
        field("epochs", check::epochs(&self.epochs))?;
        field("lr", check::lr(&self.lr))?;
        field("test_fraction", check::test_fraction(&self.test_fraction))?;
        field("threads", check::threads(&self.threads))?;
        field("scale_bound", check::scale_bound(&self.scale_bound))?;
        if let Some(t) = &self.time_column {
            field("time_column", check::time_column(t))?;
        }
        if let Some(c) = &self.columns {
            field("columns", check::columns(c))?;
        }
        match self.clip_grad_norm {
            Some(v) => field("clip_grad_norm", check::clip_grad_norm(&v)),
            None => Ok(()),
        }
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
        assert_eq!(args(&[]).new_run().unwrap(), Settings::DEFAULT);
    }

    /// Every setting, given a value other than its default: each must reach its field, and each
    /// must be refused by name when it contradicts a resumed run.
    const EVERY_FLAG: [(&str, &str); 19] = [
        ("--seq-len", "7"),
        ("--activation", "relu"),
        ("--data", "x.csv"),
        ("--time-column", "date"),
        ("--columns", "a,b"),
        ("--missing", "skip"),
        ("--scale-bound", "1"),
        ("--hidden", "5"),
        ("--batch-size", "3"),
        ("--lr", "0.5"),
        ("--seed", "9"),
        ("--no-shuffle", ""),
        ("--init", "w.safetensors"),
        ("--loss", "all"),
        ("--clip-grad-norm", "2"),
        ("--test-fraction", "0.5"),
        ("--threads", "2"),
        ("--device", "auto"),
        ("--epochs", "3"),
    ];

    #[test]
    fn every_flag_sets_its_setting() {
        for (flag, value) in EVERY_FLAG {
            let given = if value.is_empty() { vec![flag] } else { vec![flag, value] };
            let s = args(&given).new_run().unwrap();
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
            let saved = args(&given).new_run().unwrap();
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
