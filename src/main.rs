//! The command line: train, predict, forecast, bench, plot, export.

use anyhow::Result;
use clap::Parser;
use std::path::Path;
use vanilla_rnn::commands::forecast::{self, ForecastArgs};
use vanilla_rnn::commands::predict::{self, PredictArgs};
use vanilla_rnn::commands::trained;
use vanilla_rnn::commands::{Cli, Command};
use vanilla_rnn::files::export::export_torchscript;
use vanilla_rnn::files::run_dir::RunDir;
use vanilla_rnn::train::interrupt::{exit_code, Stop};
use vanilla_rnn::train::Ended;
use vanilla_rnn::{commands, figures};

/// mimalloc for the whole process, libtorch included (the `override` feature exports malloc and
/// free, which the dynamic linker then resolves for libtorch too): every ATen call allocates, a
/// step at the blog's size makes dozens of small allocations, and glibc's malloc took ~10% of it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(args) => {
            let mut stop = Stop::install()?;
            stop.after_steps = args.controls.stop_after_steps;
            let s = commands::train::run(&args, &stop)?;
            let out = s.out.display();
            match s.ended {
                Ended::Interrupted(signal) => {
                    let name = if signal == 15 { "SIGTERM" } else { "Ctrl-C" };
                    eprintln!("stopped by {name} after step {} (epoch {} done): checkpoint, weights and metrics saved in {out}; continue with: vanilla-rnn train --resume {out}", s.step, s.epoch);
                    std::process::exit(exit_code(signal));
                }
                _ if args.controls.quiet => {}
                _ => eprintln!(
                    "trained {} epochs ({} steps, {} backward) in {:.1}s{}: test MSE {:.3e}; {}{}{}; wrote {out}",
                    s.epoch,
                    s.step,
                    s.backward,
                    s.seconds,
                    s.kept
                        .as_ref()
                        .map_or(String::new(), |k| format!("; kept epoch {} (lowest validation MSE, {:.3e})", k.epoch, k.val_loss)),
                    s.test_loss,
                    s.baselines.iter().map(|b| format!("{} {:.3e}", b.label, b.test_loss)).collect::<Vec<_>>().join(", "),
                    if s.gaps.cells > 0 { format!(" ({})", s.gaps) } else { String::new() },
                    s.best.as_ref().map_or(String::new(), |(name, mase)| format!(
                        "; best on the test tail: {} (MASE {mase:.3})",
                        name.replace('_', " ")
                    ))
                ),
            }
        }
        Command::Predict(args) => predict_and_write(&args)?,
        Command::Forecast(args) => forecast_and_draw(&args)?,
        Command::Bench(args) => println!("{}", serde_json::to_string(&commands::bench::bench(&args)?)?),
        Command::Plot { dir } => {
            if !dir.is_dir() {
                anyhow::bail!("{} has no config.json: not a vanilla-rnn run directory", dir.display());
            }
            let _held = RunDir::lock(&dir)?;
            let mut written = figures::run::draw_all(&dir)?;
            if forecast::redraw(&dir)?.is_some() {
                written.push("forecast.png".into());
            }
            eprintln!("wrote {} in {}", written.join(", "), dir.join("plots").display());
        }
        Command::Export { weights, out, model } => export(&weights, &out, &model)?,
    }
    Ok(())
}

/// `predict`: the CSV to --out, or to standard output.
fn predict_and_write(args: &PredictArgs) -> Result<()> {
    let mse = predict::predict(args)?;
    if let Some(path) = &args.out {
        eprintln!("one-step MSE over all windows {mse:.3e}; wrote {}", path.display());
    }
    Ok(())
}

/// `forecast`: the CSV and its figure beside it.
/// `vanilla-rnn export`: model.pt, in the series' units when the run scaled its series.
fn export(weights: &Path, out: &Path, model: &vanilla_rnn::train::settings::ModelArgs) -> Result<()> {
    let loaded = trained::load_model(weights, model)?;
    let scaling = loaded.run.as_ref().map(|r| r.scalings()).unwrap_or_default();
    export_torchscript(&loaded.rnn, loaded.seq_len, &loaded.framing, &scaling, out)?;
    let units = match scaling.len() {
        0 => "float32, as the model",
        1 => "in the series' units, float64 out",
        _ => "in each series' units, float64 out; model(x, series) takes each window's series index, config.json's series order",
    };
    eprintln!(
        "wrote {} (TorchScript: input [batch, {}, {}] -> the next point [batch, {}], {units})",
        out.display(),
        loaded.seq_len,
        loaded.rnn.input_length,
        loaded.rnn.input_length
    );
    Ok(())
}

fn forecast_and_draw(args: &ForecastArgs) -> Result<()> {
    let fcs = forecast::forecast(args)?;
    let out = args.out.clone().unwrap_or_else(|| args.trained.weights().parent().unwrap_or(Path::new(".")).join("forecast.csv"));
    forecast::forecasts_csv(&fcs).save(&out)?;
    let stem = out.file_stem().map_or("forecast".into(), |s| s.to_string_lossy().into_owned());
    let horizons = out.with_file_name(format!("{stem}_horizons.csv"));
    if fcs.iter().any(|fc| !fc.horizons.is_empty()) {
        forecast::horizons_csv(&fcs).save(&horizons)?;
    }
    // A run directory's figures live in its plots/; a forecast written elsewhere keeps its own beside it.
    let plot = match (&args.trained.run, &args.out) {
        (Some(run), None) => {
            forecast::Asked::of(args).save(run)?;
            run.join("plots").join("forecast.png")
        }
        _ => out.with_extension("png"),
    };
    forecast::figure::draw(&fcs, &plot)?;
    let [fc] = fcs.as_slice() else {
        report_many(&fcs, [&out, &horizons, &plot]);
        return Ok(());
    };
    let start = fc.label(fc.from).map_or(format!("row {}", fc.from), |l| format!("{l} (row {})", fc.from));
    let band = how_forecast(fc);
    if fc.builtin {
        eprintln!(
            "forecast {} steps from {start}: the first {} stay within {} of the truth; {} of the {} with a known truth do (Euclidean, model units); wrote {} and {}",
            fc.generated.len(),
            fc.steps_near(),
            forecast::NEAR,
            fc.within(),
            fc.with_truth(),
            out.display(),
            plot.display()
        );
    } else {
        eprintln!("forecast {} steps from {start}{band}; wrote {} and {}", fc.generated.len(), out.display(), plot.display());
    }
    if let (Some(first), Some(last)) = (fc.horizons.first(), fc.horizons.last()) {
        let ahead = fc.horizons.iter().filter(|h| h.rnn < h.persistence).count();
        let coverage = fc.coverage_reached().map_or(String::new(), |c| format!("; the band held {:.1}% of the truths", 100.0 * c));
        eprintln!(
            "closed loop from {} held-out starts: MSE at h=1 {:.3e} (persistence {:.3e}), at h={} {:.3e} (persistence {:.3e}); ahead of persistence at {ahead} of {} horizons; MASE {:.3} over h=1..{}{coverage}; wrote {}",
            first.starts,
            first.rnn,
            first.persistence,
            last.h,
            last.rnn,
            last.persistence,
            fc.horizons.len(),
            fc.mase().unwrap_or(f64::NAN),
            last.h,
            horizons.display()
        );
    }
    Ok(())
}

/// The fallback's name in a summary.
const DRIFT: &str = "the drift (random walk with drift, no band)";

/// What a series' forecast came with: its band, or none and why, or the drift; and who made it.
fn how_forecast(fc: &forecast::Forecast) -> String {
    let band = match (&fc.band, fc.by) {
        (_, forecast::Forecaster::Drift) => return format!(" by {DRIFT}: the series is too short for the model's window"),
        (Some(b), _) => format!(" with a {:.0}% band", b.coverage * 100.0),
        (None, _) => " (no band: the run has no validation windows)".to_string(),
    };
    band + &chosen(fc.by, fc.choice)
}

/// Which of the RNN and its autoregression alone forecast, and why.
fn chosen(by: forecast::Forecaster, choice: Option<forecast::Choice>) -> String {
    let Some(c) = choice else { return String::new() };
    let (mine, other, rival) = match by {
        forecast::Forecaster::Autoregression => (c.linear, c.rnn, "the RNN's"),
        _ => (c.rnn, c.linear, "the autoregression's alone"),
    };
    format!(", by {by} (its closed loops on the held-out tails err {mine:.4} against {rival} {other:.4}, MASE-scaled)")
}

/// The summary of a forecast of many series: their mean closed-loop MASE and the band's coverage.
fn report_many(fcs: &[forecast::Forecast], [out, horizons, plot]: [&Path; 3]) {
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
    let fallback = match fcs.iter().filter(|fc| fc.by == forecast::Forecaster::Drift).count() {
        0 => String::new(),
        n => format!("; {n} series too short for the model's window forecast by {DRIFT}"),
    };
    let by = fcs.iter().find(|fc| fc.choice.is_some()).map_or(String::new(), |fc| chosen(fc.by, fc.choice));
    let drawn = if fcs.len() > figures::run::SHOWN_SERIES {
        format!(" (the first {} series drawn)", figures::run::SHOWN_SERIES)
    } else {
        String::new()
    };
    eprintln!(
        "forecast {} steps for each of {} series{by}{mase}{coverage}{fallback}; wrote {}, {} and {}{drawn}",
        fcs.first().map_or(0, |fc| fc.generated.len()),
        fcs.len(),
        out.display(),
        horizons.display(),
        plot.display()
    );
}

/// clap's message without its usage block: the error on one line (with what clap lists under it:
/// the missing arguments, the possible values), then clap's tips (a similar argument, how to
/// pass a value), each on a line of its own.
fn usage_error(clap_text: &str) -> String {
    let mut lines = clap_text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let mut first = lines.next().unwrap_or("invalid arguments").trim_start_matches("error: ").to_string();
    let mut tips = String::new();
    for line in lines {
        if line.starts_with("tip:") {
            tips += &format!("  {line}\n");
        } else {
            first += &format!(" {line}");
        }
    }
    format!("error: {first} (see --help)\n{tips}")
}

fn main() {
    // Every failure a user can cause is an error value; this only guards against our own bugs,
    // so that even those end in one line rather than a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info.payload().downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| info.payload().downcast_ref::<String>().cloned());
        let first = msg.as_deref().and_then(|m| m.lines().next()).unwrap_or("unknown").to_string();
        eprintln!("error: internal error: {first} (please report this)");
        std::process::exit(1);
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(e.kind(), DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand) {
                let _ = e.print();
                std::process::exit(if e.kind() == DisplayHelpOnMissingArgumentOrSubcommand { 2 } else { 0 });
            }
            eprint!("{}", usage_error(&e.render().to_string()));
            std::process::exit(2);
        }
    };
    if let Err(e) = run(cli) {
        eprintln!("error: {:#}", e);
        std::process::exit(1);
    }
}
