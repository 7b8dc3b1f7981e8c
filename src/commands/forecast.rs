//! `vanilla-rnn forecast`: the forecast of each series asked for, written to forecast.csv and
//! forecast_horizons.csv, drawn beside them, and summed up in a few lines.

use crate::figures;
use crate::figures::run::SHOWN_SERIES;
use crate::forecasters::band;
use crate::forecasters::closed_loop::Method;
use crate::pipeline::forecast::forecast;
use crate::pipeline::forecast_output::{forecasts_csv, horizons_csv, Choice, Forecast, Reason, NEAR};
use crate::pipeline::forecast_output::{is_band_step, is_coverage, Asked};
use crate::pipeline::trained::TrainedArgs;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// `vanilla-rnn forecast`'s command line.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub trained: TrainedArgs,
    /// How many points to generate [default: one season, when the run's series has one (config.json's season); else as many as the window reads (its seq_len)]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub steps: Option<u64>,
    /// First row to generate, by its time label (`1958-01`) or its row number; the seq_len rows before it start the loop [default: the row after the last, the future]
    #[arg(long, value_name = "LABEL|ROW")]
    pub from: Option<String>,
    /// The band's coverage: conformal on the held-out windows' errors seen before the forecast's start (none without validation windows)
    #[arg(long, default_value_t = 0.9, value_parser = coverage)]
    pub coverage: f64,
    /// How far each test-tail truth moves the band's level: by this step times (the miss rate asked - whether its band missed it), adaptive conformal inference's; 0 keeps --coverage's quantile (plain split conformal)
    #[arg(long, default_value_t = band::ADAPT, value_parser = band_step)]
    pub band_step: f64,
    /// The band at a horizon whose errors are too few for the level's rank (fewer than 9 at 90%, or a level that --band-step has raised): the largest error, or the larger of it and Student's t band from the errors' root mean square, which keeps widening as the level rises
    #[arg(long, default_value_t = band::FewErrors::T, value_enum)]
    pub few_errors: band::FewErrors,
    /// Who forecasts [default: for a series with a season, median-of-rnn-theta-damped-and-seasonal-naive, unless another erred more than 10% less; otherwise whichever of these (but damped) errs least on the held-out tails' closed loops over the horizon asked]. Theta, the damped trend and their means where the run's series are scaled without --transform log; the autoregression with --target linear
    #[arg(long, value_enum)]
    pub by: Option<Method>,
    /// The CSV to write [default: forecast.csv beside the weights]; the plot goes beside it (.png)
    #[arg(long, value_name = "CSV")]
    pub out: Option<PathBuf>,
}

/// `vanilla-rnn forecast`: the CSVs, their figure, and the summary.
pub fn run(args: &ForecastArgs) -> Result<Report> {
    let fcs = forecast(&args.trained, &args.asked())?;
    let written = write(args, &fcs)?;
    let lines = match fcs.as_slice() {
        [fc] => one_series(fc, &written),
        _ => vec![many_series(&fcs, &written)],
    };
    Ok(Report { lines })
}

/// What `forecast` wrote, and its summary: a line for one series (two with a test tail to
/// score), or one line for many.
pub struct Report {
    lines: Vec<String>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.lines.join("\n"))
    }
}

/// Where the forecast's files go.
struct Written {
    csv: PathBuf,
    horizons: PathBuf,
    plot: PathBuf,
}

impl ForecastArgs {
    /// What the band is asked.
    fn rule(&self) -> band::Rule {
        band::Rule { coverage: self.coverage, step: self.band_step, few: self.few_errors, fewest: band::FEWEST }
    }

    /// What was asked, as forecast.json keeps it.
    fn asked(&self) -> Asked {
        Asked { series: self.trained.series.clone(), steps: self.steps, from: self.from.clone(), by: self.by, rule: self.rule() }
    }
}

fn band_step(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(s) if is_band_step(s) => Ok(s),
        _ => Err(format!("{v} is not a band step: give a number from 0 to 1, such as {}", band::ADAPT)),
    }
}

fn coverage(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(c) if is_coverage(c) => Ok(c),
        _ => Err(format!("{v} is not a coverage: give a fraction between 0 and 1, such as 0.9")),
    }
}

/// forecast.csv and forecast_horizons.csv (at --out, or beside the weights) and the figure: a
/// run directory's in its plots/, with forecast.json for `plot` to redraw it; a forecast
/// written elsewhere keeps its own beside it.
fn write(args: &ForecastArgs, fcs: &[Forecast]) -> Result<Written> {
    let csv = match &args.out {
        Some(out) => out.clone(),
        None => args.trained.weights()?.parent().unwrap_or(Path::new(".")).join("forecast.csv"),
    };
    forecasts_csv(fcs).save(&csv)?;
    let stem = csv.file_stem().map_or("forecast".into(), |s| s.to_string_lossy().into_owned());
    let horizons = csv.with_file_name(format!("{stem}_horizons.csv"));
    if fcs.iter().any(|fc| !fc.horizons.is_empty()) {
        horizons_csv(fcs).save(&horizons)?;
    }
    let plot = match (&args.trained.run, &args.out) {
        (Some(run), None) => {
            args.asked().save(run)?;
            run.join("plots").join("forecast.png")
        }
        _ => csv.with_extension("png"),
    };
    figures::forecast::draw(fcs, &plot)?;
    Ok(Written { csv, horizons, plot })
}

/// The summary of one series' forecast: where it starts and how it came, then its closed loop's
/// scores on the test tail.
fn one_series(fc: &Forecast, w: &Written) -> Vec<String> {
    let start = fc.label(fc.from).map_or(format!("row {}", fc.from), |l| format!("{l} (row {})", fc.from));
    let (csv, plot) = (w.csv.display(), w.plot.display());
    let mut lines = vec![if fc.builtin {
        format!(
            "forecast {} steps from {start}: the first {} stay within {} of the truth; {} of the {} with a known truth do (Euclidean, model units); wrote {csv} and {plot}",
            fc.generated.len(),
            fc.steps_near(),
            NEAR,
            fc.within(),
            fc.with_truth(),
        )
    } else {
        format!("forecast {} steps from {start}{}; wrote {csv} and {plot}", fc.generated.len(), how_forecast(fc))
    }];
    lines.extend(closed_loop(fc, &w.horizons));
    lines
}

/// The closed loop from the test tail's starts, at h = 1 and the last horizon.
fn closed_loop(fc: &Forecast, horizons: &Path) -> Option<String> {
    let (first, last) = (fc.horizons.first()?, fc.horizons.last()?);
    let coverage = fc.coverage_reached().map_or(String::new(), |c| format!("; the band held {:.1}% of the truths", 100.0 * c));
    Some(format!(
        "closed loop from {} held-out starts: MSE at h=1 {:.3e} (persistence {:.3e}), at h={} {:.3e} (persistence {:.3e}); {} over h=1..{}{coverage}; wrote {}",
        first.starts,
        first.rnn,
        first.persistence,
        last.h,
        last.rnn,
        last.persistence,
        fc.headline().unwrap_or_default(),
        last.h,
        horizons.display()
    ))
}

/// The fallback's name in a summary.
fn fallback(by: Method) -> String {
    match by {
        Method::Drift => "the drift (random walk with drift, no band)".into(),
        by => format!("{by} (no band)"),
    }
}

/// What a series' forecast came with: its band, or none and why, or the drift; and who made it.
fn how_forecast(fc: &Forecast) -> String {
    let band = match (&fc.band, fc.by) {
        _ if fc.too_short => return format!(" by {}: the series is too short for the model's window", fallback(fc.by)),
        (Some(b), _) => format!(" with a {:.0}% band", b.coverage * 100.0),
        (None, _) => " (no band: the run has no validation windows)".to_string(),
    };
    band + &chosen(fc.by, fc.choice.as_ref())
}

/// Which forecaster forecast, and why: what each it was chosen among erred.
fn chosen(by: Method, choice: Option<&Choice>) -> String {
    let Some(c) = choice else { return String::new() };
    let mine = c.errors.iter().find(|(m, _)| *m == by).map_or(f64::NAN, |e| e.1);
    let others: Vec<String> = c.errors.iter().filter(|(m, _)| *m != by).map(|(m, e)| format!("{m} {e:.4}")).collect();
    let asked = match c.reason {
        Reason::Asked => format!("as --by {} asked; ", by.flag()),
        Reason::Combined => "the default for a series with a season; ".to_string(),
        Reason::Least => String::new(),
    };
    let ensemble = match c.models {
        1 => String::new(),
        n => format!("the RNN the median of {n} models' closed loops; "),
    };
    format!(", by {by} ({asked}{ensemble}its closed loops on the held-out tails err {mine:.4}, against {}; MASE-scaled)", others.join(", "))
}

/// The summary of a forecast of many series: their mean closed-loop MASE and the band's coverage.
fn many_series(fcs: &[Forecast], w: &Written) -> String {
    let mases: Vec<f64> = fcs.iter().filter_map(|fc| fc.mase()).collect();
    let mase = match mases.len() {
        0 => String::new(),
        n => format!("; closed-loop MASE on the test tails {:.3} (mean of {n} series)", mases.iter().sum::<f64>() / n as f64),
    };
    let (within, all) = fcs.iter().flat_map(|fc| &fc.horizons).fold((0.0, 0.0), |(w, a), h| match h.coverage {
        Some(c) => (w + c * h.starts as f64, a + h.starts as f64),
        None => (w, a),
    });
    let coverage = if all > 0.0 { format!("; the bands held {:.1}% of the truths", 100.0 * within / all) } else { String::new() };
    let short = |by: Method| fcs.iter().filter(|fc| fc.too_short && fc.by == by).count();
    let fallback: String = [Method::Theta, Method::Drift]
        .into_iter()
        .filter(|&by| short(by) > 0)
        .map(|by| format!("; {} series too short for the model's window forecast by {}", short(by), fallback(by)))
        .collect();
    let by = fcs.iter().find(|fc| fc.choice.is_some()).map_or(String::new(), |fc| chosen(fc.by, fc.choice.as_ref()));
    let drawn = if fcs.len() > SHOWN_SERIES { format!(" (the first {} series drawn)", SHOWN_SERIES) } else { String::new() };
    format!(
        "forecast {} steps for each of {} series{by}{mase}{coverage}{fallback}; wrote {}, {} and {}{drawn}",
        fcs.first().map_or(0, |fc| fc.generated.len()),
        fcs.len(),
        w.csv.display(),
        w.horizons.display(),
        w.plot.display()
    )
}
