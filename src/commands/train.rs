//! `vanilla-rnn train`: the settings, the data, a trainer (new or resumed), the training loop,
//! then the run's outputs, each file whole or not at all.

use crate::data::{self, Gaps, Series, Windows};
use crate::fast::Backward;
use crate::figures;
use crate::figures::run::RunData;
use crate::files::checkpoint::Checkpoint;
use crate::files::config::{RunConfig, SeriesScaling, Versions};
use crate::files::export::export_torchscript;
use crate::files::predictions::Written;
use crate::files::run_dir::{member_file, RunDir};
use crate::files::tables::{baselines_csv, scores_csv, BaselineScore, ALL_SERIES};
use crate::files::weights::{read_params, save_safetensors};
use crate::forecasters::rnn::{Predicted, Rnn};
use crate::forecasters::scores::{self, Score};
use crate::forecasters::{self, Forecaster};
use crate::pipeline::flags::{BackwardArgs, SettingsArgs};
use crate::pipeline::prepare;
use crate::train::interrupt::{exit_code, Stop};
use crate::train::progress::Progress;
use crate::train::settings::Settings;
use crate::train::{self, Ended, EpochMetrics, Initial, Trainer};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// `vanilla-rnn train`'s command line: the settings (saved with the run), the controls (not).
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
    // after the settings' headings, the data first among them
    #[command(flatten, next_help_heading = "Run")]
    pub controls: Controls,
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

/// `vanilla-rnn train`: a new run, or a resumed one, until its last epoch or a signal.
pub fn run(args: &TrainArgs) -> Result<Report> {
    let mut stop = Stop::install()?;
    stop.after_steps = args.controls.stop_after_steps;
    let controls = &args.controls;
    let out = controls.out_dir()?;
    let Begun { dir, resumed, settings, series } = settings_for(args, &out)?;
    let windows = run_windows(&settings, series, resumed.as_ref(), &out)?;
    let before = |e| crate::signals::during(e, "the autoregression's fit", None);
    let mut trainer = trainer_for(&settings, &windows, resumed, controls, &out).map_err(before)?;
    // a new run's directory only once it can start (a model the series cannot fit, such as an
    // autoregression over too many inputs, creates nothing)
    let dir = match dir {
        Some(dir) => dir,
        None => RunDir::prepare(&out)?,
    };
    dir.remove_finished_outputs()?;
    // The baselines, scored before the loop (baselines.csv).
    let season = prepare::season_of(&settings, &windows.series);
    let before = |e| crate::signals::during(e, "the baselines", None);
    let baselines = forecasters::baselines(&windows, season).map_err(before)?;
    let baseline_rows = baseline_scores(&windows, &baselines).map_err(before)?;
    baselines_csv(&baseline_rows).save(&out.join("baselines.csv"))?;

    // The loop, saving its progress as it goes.
    let run = run_config(&settings, &windows, &trainer, season);
    let progress = Progress::new(controls.quiet, trainer.position.epoch as u64, settings.epochs as u64);
    let mut save = |t: &Trainer| dir.save_progress(&run, t);
    let ended = train::run_epochs(&mut trainer, controls.checkpoint_every, &stop, &progress, &mut save)?;
    let mut report = Report::of(&trainer, ended.clone(), &out, controls.quiet, &run, (&baselines, &baseline_rows));
    report.read = prepare::choices(&settings, &windows.series, season);
    report.ensemble = settings.ensemble;
    match ended {
        Ended::Finished => {}
        Ended::Diverged { epoch, step, why } => bail!(
            "training diverged at epoch {epoch}, step {step} ({why}); kept the weights and checkpoint from before it in {} (try a lower --lr than {}, or --clip-grad-norm)",
            out.display(),
            settings.lr
        ),
        _ => return Ok(report),
    }

    // The ensemble's other members, then the outputs, from the first's kept weights.
    let members = |e| crate::signals::during(e, "the ensemble's members", Some(&out));
    train_members(&out, &settings, &windows, controls, &stop).map_err(members)?;
    let after = |e| crate::signals::during(e, "the run's outputs", Some(&out));
    let held = Held { run, baselines: baseline_rows, metrics: trainer.metrics.clone() };
    (report.test_loss, report.best) = write_outputs(&out, &settings, trainer, windows, (&baselines, season), held).map_err(after)?;
    Ok(report)
}

/// How a run ended, for the summary line.
pub struct Report {
    pub out: PathBuf,
    /// Nothing to say but an interruption (--quiet).
    pub quiet: bool,
    pub ended: Ended,
    /// The backward that ran.
    pub backward: Backward,
    pub epoch: usize,
    pub step: usize,
    pub seconds: f64,
    /// The held-out tail's MSE of the kept weights (NaN when the run did not finish).
    pub test_loss: f64,
    /// With validation: the epoch kept.
    pub kept: Option<Kept>,
    /// The baselines' MSE on the same tail.
    pub baselines: Vec<BaselineLoss>,
    /// What was done with the series' gaps.
    pub gaps: Gaps,
    /// The forecaster of the lowest mean MASE on the test tail, and that MASE (scores.csv).
    pub best: Option<(String, f64)>,
    /// What the reader chose by itself (`prepare::choices`): a line before the summary's.
    pub read: Option<String>,
    /// `--ensemble`: the models trained in all.
    pub ensemble: u64,
}

impl Report {
    /// The process's exit status: a signal's, when one stopped the run.
    pub fn exit_code(&self) -> i32 {
        match self.ended {
            Ended::Interrupted(signal) => exit_code(signal),
            _ => 0,
        }
    }
}

impl Report {
    /// How the run ended: its length and time, its kept epoch, its baselines' test losses (the
    /// test loss and the best forecaster are the finished run's, written after).
    fn of(
        trainer: &Trainer,
        ended: Ended,
        out: &Path,
        quiet: bool,
        run: &RunConfig,
        (baselines, rows): (&[Box<dyn Forecaster>], &[BaselineScore]),
    ) -> Report {
        let kept = train::best_epoch(&trainer.metrics).map(|epoch| Kept {
            epoch,
            val_loss: trainer.metrics[epoch - 1].val_loss,
            rollout: trainer.settings.rollout,
        });
        // baselines.csv's first rows are the whole file's (one series, or all of them pooled),
        // one per baseline in the list's order
        let baselines = baselines.iter().zip(rows).map(|(b, row)| BaselineLoss { label: b.label(), test_loss: row.test_loss }).collect();
        Report {
            out: out.to_path_buf(),
            quiet,
            ended,
            backward: trainer.backward,
            epoch: trainer.position.epoch,
            step: trainer.steps.len(),
            seconds: trainer.elapsed(),
            test_loss: f64::NAN,
            kept,
            baselines,
            gaps: run.gaps.clone(),
            best: None,
            read: None,
            ensemble: 1,
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let out = self.out.display();
        match self.ended {
            Ended::Interrupted(signal) => {
                let name = crate::signals::name(signal);
                write!(f, "stopped by {name} after step {} (epoch {} done): checkpoint, weights and metrics saved in {out}; continue with: vanilla-rnn train --resume {out}", self.step, self.epoch)
            }
            _ if self.quiet => Ok(()),
            _ => write!(
                f,
                "{}trained {} ({} step{}, {} backward) in {:.1}s{}{}: test MSE {:.3e}; {}{}{}; wrote {out}",
                self.read.as_ref().map_or(String::new(), |r| format!("{r}\n")),
                if self.epoch == 1 { "1 epoch".to_string() } else { format!("{} epochs", self.epoch) },
                self.step,
                if self.step == 1 { "" } else { "s" },
                self.backward,
                self.seconds,
                self.kept.as_ref().map_or(String::new(), |k| format!("; {k}")),
                match self.ensemble {
                    1 => String::new(),
                    n => format!(
                        "; {} more model{} for --ensemble {n}, whose median the forecast takes",
                        n - 1,
                        if n == 2 { "" } else { "s" }
                    ),
                },
                self.test_loss,
                self.baselines.iter().map(|b| format!("{} {:.3e}", b.label, b.test_loss)).collect::<Vec<_>>().join(", "),
                if self.gaps.cells > 0 { format!(" ({})", self.gaps) } else { String::new() },
                self.best
                    .as_ref()
                    .map_or(String::new(), |(name, mase)| format!("; best on the test tail: {} (MASE {mase:.3})", name.replace('_', " ")))
            ),
        }
    }
}

/// The epoch whose weights a run with validation keeps.
pub struct Kept {
    pub epoch: usize,
    pub val_loss: f64,
    /// `--rollout`: the steps of the closed loop the validation loss is over.
    pub rollout: u64,
}

impl std::fmt::Display for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let over = match self.rollout {
            1 => String::new(),
            n => format!(" over {n} closed-loop steps"),
        };
        write!(f, "kept epoch {} (lowest validation MSE{over}, {:.3e})", self.epoch, self.val_loss)
    }
}

/// A baseline's MSE on the test tail, in model units, and its name in a sentence.
#[derive(Debug, Clone)]
pub struct BaselineLoss {
    pub label: String,
    pub test_loss: f64,
}

/// The settings, and for a resumed run its directory (held) and checkpoint, for a new one its
/// series. A resumed run holds its directory before it reads the checkpoint; a new one only once
/// its data has loaded (so that a bad series creates nothing).
fn settings_for(args: &TrainArgs, out: &Path) -> Result<Begun> {
    if args.controls.resume.is_none() {
        let (settings, series) = prepare::new_run(|csv| args.settings.new_run(csv))?;
        return Ok(Begun { dir: None, resumed: None, settings, series: Some(series) });
    }
    if !out.is_dir() {
        bail!("cannot resume from {}: no such directory (no checkpoint.safetensors to go on from)", out.display())
    }
    let dir = RunDir::prepare(out)?;
    let ck = Checkpoint::load(&out.join("checkpoint.safetensors"))?;
    let settings = args.settings.resumed(ck.settings.clone(), out, ck.state.position.epoch)?;
    Ok(Begun { dir: Some(dir), resumed: Some(ck), settings, series: None })
}

/// A run as it begins: new (its series read), or resumed (its directory held, its checkpoint).
struct Begun {
    dir: Option<RunDir>,
    resumed: Option<Checkpoint>,
    settings: Settings,
    series: Option<Series>,
}

/// The data; for a resumed run, the very series it began with, scaled as it was (config.json).
fn run_windows(settings: &Settings, series: Option<Series>, resumed: Option<&Checkpoint>, out: &Path) -> Result<Windows> {
    let saved = match resumed {
        Some(_) => RunConfig::in_dir(out)?,
        None => None,
    };
    let windows = prepare::windows(settings, series, saved.as_ref())?;
    if let Some(ck) = resumed.filter(|ck| ck.series != windows.fingerprint) {
        bail!(
            "the series is not the one this run was trained on (fingerprint {}, the checkpoint has {}): was {} changed?",
            windows.fingerprint,
            ck.series,
            settings.data.as_ref().map_or("the data".to_string(), |p| p.display().to_string())
        );
    }
    Ok(windows)
}

/// The trainer, new (from --init's weights, or --seed's) or resumed from its checkpoint.
fn trainer_for(settings: &Settings, windows: &Windows, resumed: Option<Checkpoint>, controls: &Controls, out: &Path) -> Result<Trainer> {
    let requested = controls.backward.backward;
    let trainer = match (resumed, &settings.init) {
        (Some(ck), _) => Trainer::resume(settings, windows, ck.state, requested)
            .with_context(|| format!("cannot resume from {}", out.join("checkpoint.safetensors").display()))?,
        (None, Some(path)) => {
            let params = read_params(path)?.into_iter().map(|(_, t)| t).collect();
            Trainer::start(settings, windows, Initial::Weights(params), requested)?
        }
        (None, None) => Trainer::start(settings, windows, Initial::Seeded, requested)?,
    };
    if let Some(note) = trainer.fast_note.as_ref().filter(|_| !controls.quiet) {
        eprintln!("note: {note}");
    }
    if !controls.quiet {
        note_left_out(windows);
    }
    Ok(trainer)
}

/// A word on the series of a long-format file left out because no window fits in them.
fn note_left_out(windows: &Windows) {
    if !windows.left_out.is_empty() {
        let seq = windows.seq_len;
        let names: Vec<String> = windows.left_out.iter().filter_map(|&k| windows.series.name_of(k).map(String::from)).collect();
        eprintln!(
            "note: left out {} series with no {} consecutive rows without a gap (--seq-len {seq} reads {seq} rows and predicts the next): {}",
            names.len(),
            seq + 1,
            data::listed(&names)
        );
    }
}

/// config.json: the settings, and what predict, plot and resume need to know of the series.
fn run_config(settings: &Settings, windows: &Windows, trainer: &Trainer, season: Option<usize>) -> RunConfig {
    RunConfig {
        settings: settings.clone(),
        backward: trainer.backward,
        adam: Some(trainer.adam_path()),
        device: format!("{:?}", trainer.device).to_lowercase(),
        features: windows.series.names.clone(),
        data_file: settings.data.as_ref().and_then(|p| std::fs::canonicalize(p).ok()),
        time_column: windows.series.time.as_ref().map(|t| t.name.clone()),
        scaling: windows.series.groups.is_none().then(|| windows.scaling.first().cloned()).flatten(),
        series: match &windows.series.groups {
            Some(g) => {
                g.names.iter().zip(&windows.scaling).map(|(name, s)| SeriesScaling { name: name.clone(), scaling: s.clone() }).collect()
            }
            None => vec![],
        },
        gaps: windows.gaps(settings.missing),
        windows: windows.ds.len(),
        train_windows: windows.n_train,
        val_windows: windows.n_val,
        linear_ar: trainer.framing.linear.as_deref().cloned(),
        kept_epoch: None,
        season,
        series_fingerprint: windows.fingerprint.clone(),
        versions: Versions::current(),
    }
}

/// The baselines' rows of baselines.csv. In a file of many series: all of them pooled, then each
/// series' test tail on its own (each baseline as fitted on every series' windows).
fn baseline_scores(windows: &Windows, baselines: &[Box<dyn Forecaster>]) -> Result<Vec<BaselineScore>> {
    let rows = |windows: &Windows, series: Option<&str>| {
        baselines
            .iter()
            .map(|b| Ok(BaselineScore { series: series.map(String::from), name: b.name().into(), test_loss: b.test_loss(windows)? }))
            .collect::<Result<Vec<_>>>()
    };
    let Some(groups) = &windows.series.groups else { return rows(windows, None) };
    let mut out = rows(windows, Some(ALL_SERIES))?;
    for k in windows.kept_series() {
        out.extend(rows(&windows.only(k)?, Some(&groups.names[k]))?);
    }
    Ok(out)
}

/// What the figures draw that the run holds already: its config.json, its baselines' rows,
/// its metrics.
struct Held {
    run: RunConfig,
    baselines: Vec<BaselineScore>,
    metrics: Vec<EpochMetrics>,
}

/// The outputs of a finished run, from the kept weights: predictions.csv, scores.csv, model.pt
/// and the figures. Returns the test tail's MSE and the best forecaster on it (pooled).
fn write_outputs(
    out: &Path,
    settings: &Settings,
    mut trainer: Trainer,
    windows: Windows,
    (baselines, season): (&[Box<dyn Forecaster>], Option<usize>),
    held: Held,
) -> Result<(f64, Option<(String, f64)>)> {
    trainer.keep_best()?;
    let predicted = Predicted::of(&trainer.rnn, &trainer.framing, &windows)?;
    predicted.save(&out.join("predictions.csv"))?;
    let rnn = Rnn { rnn: &trainer.rnn, framing: &trainer.framing, predicted: &predicted };
    let mut all: Vec<&dyn Forecaster> = vec![&rnn];
    all.extend(baselines.iter().map(|b| b.as_ref()));
    let scores = test_scores(&windows, &all, season)?;
    scores_csv(&scores).save(&out.join("scores.csv"))?;
    export_torchscript(&trainer.rnn, settings.seq_len, &trainer.framing, &windows.scaling, &out.join("model.pt"))?;
    let test_loss = trainer.test_loss()?;
    // The figures need the series and the predictions alone: the trainer's and then the windows'
    // tensors go first.
    drop(trainer);
    let table = predicted.into_table();
    let pooled_rows = held.baselines.into_iter().filter(|b| b.series.is_none() || b.series.as_deref() == Some(ALL_SERIES)).collect();
    let drawn = RunData::held(&held.run, held.metrics, pooled_rows, windows.into_series());
    figures::run::draw(drawn, Some(table), &out.join("plots"))?;
    let pooled: Vec<Score> = scores.iter().filter(|s| s.series.is_none() || s.series.as_deref() == Some(ALL_SERIES)).cloned().collect();
    Ok((test_loss, scores::best(&pooled)))
}

/// `--ensemble N`'s other members: each trained as the first was, from --seed + k, its kept
/// weights in `member_file(k)` (k from 1); the forecast rolls every member on and takes the
/// median. Nothing else of theirs is kept.
fn train_members(out: &Path, settings: &Settings, windows: &Windows, controls: &Controls, stop: &Stop) -> Result<()> {
    for k in 1..settings.ensemble {
        let member = Settings { seed: settings.seed.wrapping_add(k), ..settings.clone() };
        if !controls.quiet {
            eprintln!("ensemble: training model {} of {} (--seed {})", k + 1, settings.ensemble, member.seed);
        }
        let mut t = Trainer::start(&member, windows, Initial::Seeded, controls.backward.backward)?;
        let quiet = Progress::new(true, 0, member.epochs as u64);
        if let Ended::Interrupted(signal) = train::run_epochs(&mut t, 0, stop, &quiet, &mut |_| Ok(()))? {
            bail!(crate::signals::Stopped { signal, during: "the ensemble's members", saved_in: None });
        }
        save_safetensors(&t.kept_params(), &out.join(member_file(k)))?;
    }
    Ok(())
}

/// scores.csv: each forecaster's errors on the test tail (the RNN's first), in the series' units,
/// MASE scaled by the seasonal naive's MAE on the rows up to the last training target. In a file
/// of many series: all of them pooled, then each series' (each scaled by its own MASE scale).
fn test_scores(windows: &Windows, forecasters: &[&dyn Forecaster], season: Option<usize>) -> Result<Vec<Score>> {
    let (names, rows) = (&windows.series.names, &windows.series.rows);
    let first = windows.test_start();
    let predictions = forecasters.iter().map(|f| f.test_predictions(windows)).collect::<Result<Vec<_>>>()?;
    let mut out = vec![];
    for k in windows.kept_series() {
        let scale = windows.mase_scale(k, season);
        let mine: Vec<usize> = windows.of_series(first..windows.targets.len(), k).map(|i| i - first).collect();
        let name = windows.series.name_of(k).map(String::from);
        for (f, p) in forecasters.iter().zip(&predictions) {
            let pairs: Vec<(&[f64], &[f64])> =
                mine.iter().filter_map(|&n| p.get(n).map(|p| (&rows[windows.targets[first + n]], p))).collect();
            out.extend(scores::score(f.name(), names, &pairs, &scale).into_iter().map(|s| Score { series: name.clone(), ..s }));
        }
    }
    if windows.series.groups.is_some() {
        out.splice(0..0, scores::pooled(&out.iter().filter(|s| s.windows > 0).cloned().collect::<Vec<_>>(), ALL_SERIES));
    }
    Ok(out)
}
