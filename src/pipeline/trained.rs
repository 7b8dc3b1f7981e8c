//! A trained model read back (its weights, and the config.json beside them) and the series to
//! run it on: what predict, forecast and export share.

use super::flags::{DataArgs, ModelArgs};
use crate::data::framing::Framing;
use crate::data::{self, Source, Split, Windows};
use crate::files::config::RunConfig;
use crate::files::weights::{read_params, sizes_of};
use crate::model::RNN;
use crate::train::settings::Settings;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use tch::{nn, Device};

/// A trained model and the series to run it on (predict, forecast): the series, the window
/// length and the activation come from the run's config.json; the flags override them.
#[derive(Debug, clap::Args)]
pub struct TrainedArgs {
    /// A run directory written by `train` (its weights.safetensors and config.json)
    #[arg(value_name = "RUN", required_unless_present = "weights", conflicts_with = "weights")]
    pub run: Option<PathBuf>,
    /// Weights instead of a run directory: .safetensors, .pt (torch.save of a state_dict) or .ot; a config.json beside them is read too
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// A run on many series (--series-column): only this series [default: every series]
    #[arg(long, value_name = "NAME")]
    pub series: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

impl TrainedArgs {
    /// The weights file: RUN's weights.safetensors, or --weights. A RUN that is no run directory
    /// is named as such, with the fix.
    pub fn weights(&self) -> Result<PathBuf> {
        match (&self.run, &self.weights) {
            (_, Some(w)) => Ok(w.clone()),
            (Some(run), None) if !run.is_dir() => {
                bail!("{}: no such run directory (give the --out of a `vanilla-rnn train`, or --weights FILE)", run.display())
            }
            (Some(run), None) if !run.join("weights.safetensors").exists() => {
                bail!(
                    "{} has no weights.safetensors: not a run that `vanilla-rnn train` finished (train into it, or give --weights FILE)",
                    run.display()
                )
            }
            (Some(run), None) => Ok(run.join("weights.safetensors")),
            (None, None) => bail!("give a run directory (RUN) or --weights FILE"),
        }
    }
}

/// A model read back from a weights file, with what its run's config.json says about it.
pub struct Loaded {
    _vs: nn::VarStore,
    pub rnn: RNN,
    /// `--ensemble`'s other members (none of a run of one model, or of weights given alone).
    pub members: Vec<RNN>,
    pub seq_len: i64,
    /// How the run put its windows to the model (the blog's without a config.json).
    pub framing: Framing,
    pub run: Option<RunConfig>,
}

impl Loaded {
    /// The run's split (or train's default), which labels each window.
    pub fn split(&self) -> Split {
        self.run.as_ref().map_or(Settings::defaults(), |r| &r.settings).split()
    }
}

/// Loads weights; sizes come from the tensors, seq_len and activation from the flags, else the
/// config.json beside them, else train's defaults.
pub fn load_model(weights: &Path, model: &ModelArgs) -> Result<Loaded> {
    let params = read_params(weights)?;
    let sizes = sizes_of(weights, &params)?;
    let run = RunConfig::beside(weights)?;
    if let Some(r) = run.as_ref().filter(|r| r.features.len() as i64 != sizes.features) {
        bail!(
            "{} holds a model of {} features, but the config.json beside it names {} ({}): are they from the same run?",
            weights.display(),
            sizes.features,
            r.features.len(),
            r.features.join(", ")
        );
    }
    let saved = run.as_ref().map_or(Settings::defaults(), |r| &r.settings);
    // The run's thread count: libtorch's GEMM splits its rows by thread, and a split changes
    // the last bits of some rows; with the run's own, predict gives back train's predictions.
    tch::set_num_threads(saved.threads);
    let typed = model.over(saved);
    let (seq_len, activation) = (typed.seq_len, typed.activation);
    let mut vs = nn::VarStore::new(Device::Cpu);
    let rnn = RNN::new(&vs.root(), sizes.features, sizes.hidden, activation);
    rnn.copy_parameters(params.iter().map(|(_, t)| t))?;
    vs.freeze();
    let linear = run.as_ref().and_then(|r| r.linear_ar.clone()).map(std::sync::Arc::new);
    if linear.is_some() && seq_len != saved.seq_len {
        bail!("--seq-len {seq_len}: the run's linear autoregression (--target linear) reads windows of {} rows", saved.seq_len);
    }
    let framing = Framing { target: saved.target, norm: saved.window_norm, linear };
    let members = match run.as_ref().filter(|r| r.settings.ensemble > 1 && weights.ends_with("weights.safetensors")) {
        Some(r) => members_of(weights, r.settings.ensemble, &vs, sizes.hidden, activation)?,
        None => vec![],
    };
    vs.freeze();
    Ok(Loaded { _vs: vs, rnn, members, seq_len, framing, run })
}

/// The ensemble's other members beside a run's `weights`, each in a model of the first's sizes.
fn members_of(weights: &Path, n: u64, vs: &nn::VarStore, hidden: i64, activation: crate::model::Activation) -> Result<Vec<RNN>> {
    let dir = weights.parent().unwrap_or(Path::new("."));
    let each = (1..n).map(|k| {
        let path = dir.join(crate::files::run_dir::member_file(k));
        if !path.exists() {
            bail!(
                "{} is missing: the run's --ensemble {n} did not finish training its models (train --resume {} writes it)",
                path.display(),
                dir.display()
            );
        }
        let params = read_params(&path)?;
        let member = RNN::new(&vs.root().sub(format!("member{k}")), sizes_of(&path, &params)?.features, hidden, activation);
        member.copy_parameters(params.iter().map(|(_, t)| t)).with_context(|| format!("{}", path.display()))?;
        Ok(member)
    });
    each.collect()
}

/// The windows to run a trained model on. With a config.json beside the weights, the run's own
/// series: its file (or `--data`, another file with the same columns), time column, features,
/// gap rule and scaling, any of which a flag may change; the features must be the model's. Without
/// one, the flags alone, and a CSV scaled as train would scale it by default.
pub fn series_for(loaded: &Loaded, given: &DataArgs) -> Result<RunSeries> {
    let run = loaded.run.as_ref();
    let Asked { data, columns, source } = asked_source(run, given);
    if let (Some(r), Some(p), None) = (run.filter(|r| !r.settings.columns_as_series), &data, &columns) {
        let header = data::from_csv::header(p)?;
        if !r.features.iter().all(|f| header.contains(f)) {
            bail!("the model was trained on the columns {}; {} has {}", r.features.join(", "), p.display(), header.join(", "));
        }
    }
    let series = source.load().with_context(|| match (&data, &source) {
        (None, Source::Csv { path, .. }) => {
            format!("cannot read the run's series {} (from its config.json; --data names another)", path.display())
        }
        _ => "cannot read the series".to_string(),
    })?;
    if let Some(r) = run.filter(|r| r.features != series.names) {
        bail!("the model was trained on the columns {}, the series has {}", r.features.join(", "), series.names.join(", "));
    }
    check_width(loaded, &series)?;
    // The run's scaling; a run without one (the circle) saw its values as they are, and so does
    // another file given to it; bare weights scale a CSV as train would.
    let scale = match run {
        Some(r) => r.scaling_of(&series)?,
        None => source.fresh_scale(Settings::defaults().scale_bound, Settings::defaults().transform),
    };
    let windows = Windows::new(series, scale, loaded.seq_len as usize, loaded.split())?;
    Ok(RunSeries { source, windows })
}

/// The file a trained model runs on, and how to read it: the run's, with what the flags change.
struct Asked {
    /// --data, when it names another file.
    data: Option<PathBuf>,
    /// --columns, when given.
    columns: Option<Vec<String>>,
    source: Source,
}

fn asked_source(run: Option<&RunConfig>, given: &DataArgs) -> Asked {
    // what was typed: the flags' values where they differ from the run's (or the defaults')
    let base = run.map_or_else(Settings::default, |r| r.settings.clone());
    let typed = given.over(&base);
    let (data, time_column, columns) =
        (changed(&typed.data, &base.data), changed(&typed.time_column, &base.time_column), changed(&typed.columns, &base.columns));
    let path = data.clone().or_else(|| run.and_then(|r| r.series_path()));
    let mut reading = run.map_or_else(Default::default, |r| r.reading());
    if time_column.is_some() {
        reading.time_column = time_column;
    }
    if columns.is_some() {
        reading.columns = columns.clone();
    }
    if typed.missing != base.missing {
        reading.missing = typed.missing;
    }
    if let Some(column) = changed(&typed.series_column, &base.series_column) {
        reading.series_column = Some(column);
    }
    Asked { data, columns, source: Source::new(path, reading) }
}

/// The model's input width is the series' features.
fn check_width(loaded: &Loaded, series: &data::Series) -> Result<()> {
    let run = loaded.run.as_ref();
    if series.features() as i64 != loaded.rnn.input_length {
        let why = if run.is_none() {
            " (no config.json beside the weights says which series they were trained on: give the run directory, or --data and the flags of that run)"
        } else {
            ""
        };
        bail!(
            "the model takes {} features, the series has {} ({}){why}",
            loaded.rnn.input_length,
            series.features(),
            series.names.join(", ")
        );
    }
    Ok(())
}

/// A flag's value where it differs from the run's: what the user changed.
fn changed<T: Clone + PartialEq>(typed: &Option<T>, run: &Option<T>) -> Option<T> {
    if typed != run {
        typed.clone()
    } else {
        None
    }
}

/// The series of `windows` asked for: `wanted` by name, else every one with a window. A name
/// the file does not hold gets one line listing those it does.
pub fn chosen_series(windows: &Windows, wanted: Option<&str>) -> Result<Vec<usize>> {
    let Some(wanted) = wanted else { return Ok(windows.kept_series().collect()) };
    let Some(groups) = &windows.series.groups else {
        bail!("--series {wanted}: the run has one series (it was not trained with --series-column)");
    };
    match groups.names.iter().position(|n| n == wanted) {
        Some(k) => Ok(vec![k]),
        None => match groups.names.iter().find(|n| n.eq_ignore_ascii_case(wanted) || n.trim() == wanted.trim()) {
            Some(near) => bail!("--series {wanted}: no such series in the {} column; did you mean --series {near}?", groups.column),
            None => {
                bail!("--series {wanted}: no such series in the {} column (its series: {})", groups.column, data::listed(&groups.names))
            }
        },
    }
}

/// The series a trained model runs on: where it came from, and its windows.
pub struct RunSeries {
    pub source: Source,
    pub windows: Windows,
}
