//! Which settings each command line takes, what the user typed of them, and how that meets a
//! run's own settings: a new run's defaults (a CSV series' own), a resumed run's settings (which
//! a flag may repeat but not contradict; `--epochs`, the `Length` heading, may grow), or a
//! trained run's (which a flag overrides, and the help says so).
//!
//! `Settings` (train/settings.rs) declares every flag; a command takes those under its
//! headings, each help ending in its default.

use crate::fast::BackwardArg;
use crate::train::settings::{check, csv_defaults, shown, CsvSeries, Flags, Settings, DATA, LENGTH, MODEL, TRAINING};
use anyhow::{bail, Result};
use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Args, FromArgMatches, Parser};
use std::marker::PhantomData;
use std::path::Path;

/// The settings' headings a command takes, and whether it reads a trained run's settings.
pub trait Headings {
    const HEADINGS: &'static [&'static str];
    const FROM_RUN: bool;
}

/// `train`: every setting.
#[derive(Debug, Clone, Default)]
pub struct Train;
/// `bench`: every setting but how long.
#[derive(Debug, Clone, Default)]
pub struct Bench;
/// predict, forecast, export: the model's shape that a weights file does not hold.
#[derive(Debug, Clone, Default)]
pub struct Model;
/// predict, forecast: the series (another file, or the run's read otherwise).
#[derive(Debug, Clone, Default)]
pub struct Data;

impl Headings for Train {
    const HEADINGS: &'static [&'static str] = &[MODEL, DATA, TRAINING, LENGTH];
    const FROM_RUN: bool = false;
}
impl Headings for Bench {
    const HEADINGS: &'static [&'static str] = &[MODEL, DATA, TRAINING];
    const FROM_RUN: bool = false;
}
impl Headings for Model {
    const HEADINGS: &'static [&'static str] = &[MODEL];
    const FROM_RUN: bool = true;
}
impl Headings for Data {
    const HEADINGS: &'static [&'static str] = &[DATA];
    const FROM_RUN: bool = true;
}

/// Every setting of `train`, as typed on the command line.
pub type SettingsArgs = Given<Train>;
/// The settings `bench` takes: all but --epochs.
pub type RunArgs = Given<Bench>;
/// The model's settings that a weights file does not hold (predict, forecast, export).
pub type ModelArgs = Given<Model>;
/// The series (predict, forecast): another file, or the run's read otherwise.
pub type DataArgs = Given<Data>;

/// One flag typed on the command line.
#[derive(Debug, Clone)]
struct Typed {
    /// Its setting (config.json's key).
    field: String,
    /// May it change on `--resume` (grow)?
    grows: bool,
}

/// The settings of some headings typed on one command line: their values (the rest at their
/// defaults), and which were typed.
#[derive(Debug, Clone)]
pub struct Given<H> {
    values: Settings,
    typed: Vec<Typed>,
    headings: PhantomData<H>,
}

impl<H> Default for Given<H> {
    fn default() -> Given<H> {
        Given { values: Settings::default(), typed: vec![], headings: PhantomData }
    }
}

impl<H> Given<H> {
    /// The settings of a new run: the defaults (a CSV series': `csv_defaults`), with what was given.
    pub fn new_run(&self, csv: Option<CsvSeries>) -> Result<Settings> {
        let mut s = Settings::default();
        if let Some(series) = csv {
            csv_defaults(&mut s, series);
        }
        self.merge(&mut s, false)?;
        s.together().map_err(|e| anyhow::anyhow!("{}", as_flag(&e)))?;
        Ok(s)
    }

    /// The settings of a resumed run: the saved ones, unchanged but for `--epochs`, which may
    /// grow to train on (not below the `done` epochs). Any other flag must repeat the saved value.
    pub fn resumed(&self, mut saved: Settings, dir: &Path, done: usize) -> Result<Settings> {
        self.merge(&mut saved, true)?;
        // (a checkpoint past its own settings' epochs is the checkpoint's error, found on loading it)
        if self.typed.iter().any(|t| t.grows) && (saved.epochs as usize) < done {
            bail!("--epochs {} is fewer than the {done} epochs the run in {} has already done", saved.epochs, dir.display());
        }
        Ok(saved)
    }

    /// A trained run's settings (or the defaults, for bare weights) with the flags typed over them.
    pub fn over(&self, base: &Settings) -> Settings {
        let mut s = base.clone();
        // (merge refuses nothing when not resuming, and the typed values passed their checks)
        self.merge(&mut s, false).map(|()| s).unwrap_or_else(|_| base.clone())
    }

    /// Puts the typed settings onto `base`: a new run's defaults, or a resumed run's settings,
    /// which a flag may repeat but not contradict (but one that may grow).
    fn merge(&self, base: &mut Settings, resuming: bool) -> Result<()> {
        let mine = serde_json::to_value(&self.values)?;
        let mut theirs = serde_json::to_value(&*base)?;
        for t in &self.typed {
            let (new, old) = (&mine[&t.field], &theirs[&t.field]);
            if resuming && !t.grows && new != old {
                bail!(
                    "--{flag} {} contradicts the run being resumed, which was started with --{flag} {} (drop the flag, or start a new run)",
                    shown(new),
                    shown(old),
                    flag = t.field.replace('_', "-")
                );
            }
            theirs[&t.field] = new.clone();
        }
        *base = serde_json::from_value(theirs)?;
        Ok(())
    }
}

/// A `together` failure ("field: why") as the command line says it: the flag, then why (or
/// why alone when it names its flags).
fn as_flag(e: &str) -> String {
    let (field, why) = e.split_once(": ").unwrap_or(("", e));
    if why.starts_with("--") {
        why.to_string()
    } else {
        format!("--{}: {why}", field.replace('_', "-"))
    }
}

/// The flags of the settings under `headings`, each help ending in its default: the setting's
/// own (and a CSV series' where `csv_defaults` sets another whatever the series), or for a
/// command that reads a trained run, the run's first.
fn flags(headings: &[&str], from_run: bool) -> Vec<Arg> {
    chosen(headings, from_run).into_iter().map(|(arg, _)| arg).collect()
}

/// `flags`, each with whether it may grow on `--resume` (its heading is `LENGTH`).
fn chosen(headings: &[&str], from_run: bool) -> Vec<(Arg, bool)> {
    let all = Settings::augment_args(clap::Command::new("settings"));
    let (plain, csv) = (serde_json::to_value(Settings::default()).unwrap_or_default(), csv_shown());
    let mut out = vec![];
    for arg in all.get_arguments().filter(|a| a.get_help_heading().is_some_and(|h| headings.contains(&h))) {
        let id = arg.get_id().as_str();
        let doc = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        let (doc, words) = match doc.rsplit_once(" [default: ") {
            Some((doc, words)) => (doc.to_string(), Some(words.trim_end_matches(']').to_string())),
            None if arg.get_action().takes_values() => (doc, plain.get(id).filter(|v| !v.is_null()).map(shown)),
            None => (doc, None),
        };
        let words = words.map(|w| w + &csv.get(id).map_or(String::new(), |c| format!("; a CSV series: {}", shown(c))));
        let doc_len = doc.len();
        let help = match (words, from_run) {
            (None, _) => doc,
            (Some(w), false) => format!("{doc} [default: {w}]"),
            (Some(w), true) => format!("{doc} [default: the run's, from config.json beside the weights; else {w}]"),
        };
        let heading = arg.get_help_heading().unwrap_or(TRAINING);
        let grows = heading == LENGTH;
        // under its heading, the headings in the order a user looks for them: the data first
        const ORDER: [&str; 4] = [DATA, MODEL, TRAINING, LENGTH];
        let rank = ORDER.iter().position(|h| *h == heading).unwrap_or(2);
        // a long help (the blog's terms) ends in the same default as the short one
        let long = arg.get_long_help().map(|l| format!("{l}{}", &help[doc_len..]));
        let arg = arg.clone().help(help).hide_default_value(true).display_order(rank * 100 + out.len());
        let arg = match long {
            Some(long) => arg.long_help(long),
            None => arg,
        };
        let arg = arg.help_heading(Some(ORDER[rank])); // (clap lists the headings as the args come: sorted below)
        out.push((if arg.get_action().takes_values() { arg.allow_negative_numbers(true) } else { arg }, grows));
    }
    out.sort_by_key(|(arg, _)| arg.get_display_order());
    out
}

/// The settings a CSV series gets whatever its season and length, where they differ from the
/// circle's, as the help shows them.
fn csv_shown() -> serde_json::Map<String, serde_json::Value> {
    let of = |season, rows| {
        let mut s = Settings::default();
        csv_defaults(&mut s, CsvSeries { season, rows });
        serde_json::to_value(s).unwrap_or_default()
    };
    let (plain, a, b) = (serde_json::to_value(Settings::default()).unwrap_or_default(), of(Some(12), 1000), of(None, 50));
    let mut out = serde_json::Map::new();
    for (field, v) in a.as_object().into_iter().flatten() {
        if plain[field] != *v && b[field] == *v {
            out.insert(field.clone(), serde_json::Value::String(shown(v)));
        }
    }
    out
}

impl<H: Headings> FromArgMatches for Given<H> {
    /// The typed flags, parsed again as a command line of their own by `Settings`' parser (the
    /// same checks), the rest at their defaults.
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut line = vec!["settings".to_string()];
        let mut typed = vec![];
        for (arg, grows) in chosen(H::HEADINGS, H::FROM_RUN) {
            let id = arg.get_id().as_str();
            if m.value_source(id) != Some(ValueSource::CommandLine) {
                continue;
            }
            typed.push(Typed { field: id.to_string(), grows });
            let flag = format!("--{}", arg.get_long().unwrap_or(id));
            match arg.get_action().takes_values() {
                // `--flag=value`: a value may begin with a dash (`--columns=-x`)
                true => line.extend(m.get_raw(id).into_iter().flatten().map(|v| format!("{flag}={}", v.to_string_lossy()))),
                false => line.push(flag),
            }
        }
        let values = Flags::try_parse_from(&line)?.settings;
        if let Some(columns) = &values.columns {
            check::columns(columns).map_err(|e| clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("--columns: {e}\n")))?;
        }
        Ok(Given { values, typed, headings: PhantomData })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl<H: Headings> Args for Given<H> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.args(flags(H::HEADINGS, H::FROM_RUN))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// Who computes the gradients: shared by train and bench.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BackwardArgs {
    /// Who computes the gradients (the same bits either way)
    #[arg(long, value_enum, default_value_t = BackwardArg::Auto)]
    pub backward: BackwardArg,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::autoregression::{ArFit, RidgeChoice};
    use crate::data::framing::Target;
    use clap::CommandFactory;

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
        assert_eq!(args(&[]).new_run(None).unwrap(), Settings::default());
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
        assert_eq!(Settings { seq_len: 4, ..monthly.clone() }.hidden, Settings::default().hidden, "the rest stays");
    }

    /// Every setting, given a value other than its default: each must reach its field, and each
    /// must be refused by name when it contradicts a resumed run.
    const EVERY_FLAG: [(&str, &str); 32] = [
        ("--seq-len", "7"),
        ("--activation", "relu"),
        ("--data", "x.csv"),
        ("--time-column", "date"),
        ("--columns", "a,b"),
        ("--missing", "skip"),
        ("--series-column", "store"),
        ("--columns-as-series", ""),
        ("--scale-bound", "1"),
        ("--transform", "log"),
        ("--hidden", "5"),
        ("--batch-size", "3"),
        ("--lr", "0.5"),
        ("--seed", "9"),
        ("--ensemble", "3"),
        ("--rollout", "4"),
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
        let cmd = Cli::command();
        let mut defined: Vec<String> =
            cmd.get_arguments().filter(|a| a.get_id() != "help").map(|a| format!("--{}", a.get_long().unwrap())).collect();
        let mut listed: Vec<String> = EVERY_FLAG.iter().map(|(f, _)| f.to_string()).collect();
        defined.sort();
        listed.sort();
        assert_eq!(listed, defined);
        let every = Flags::command().get_arguments().filter(|a| a.get_id() != "help").count();
        assert_eq!(defined.len(), every, "train takes every setting");
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
            assert_ne!(s, Settings::default(), "{flag} changed nothing");
        }
    }

    #[test]
    fn resume_refuses_each_contradicting_flag_by_name_and_accepts_a_repeat() {
        let dir = Path::new("run");
        for (flag, value) in EVERY_FLAG.iter().filter(|(f, _)| *f != "--epochs") {
            let given = if value.is_empty() { vec![*flag] } else { vec![*flag, *value] };
            let err = args(&given).resumed(Settings::default(), dir, 0).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{flag} ")) && err.contains("contradicts the run being resumed"), "{flag}: {err}");
            let saved = args(&with_companions(flag, value)).new_run(None).unwrap();
            assert_eq!(args(&given).resumed(saved.clone(), dir, 0).unwrap(), saved, "{flag} repeated");
        }
    }

    #[test]
    fn resume_lets_epochs_grow_but_not_shrink_below_what_is_done() {
        let dir = Path::new("run");
        assert_eq!(args(&["--epochs", "50"]).resumed(Settings::default(), dir, 40).unwrap().epochs, 50);
        let err = args(&["--epochs", "3"]).resumed(Settings::default(), dir, 4).unwrap_err().to_string();
        assert!(err.contains("fewer than the 4 epochs"), "{err}");
    }
}
