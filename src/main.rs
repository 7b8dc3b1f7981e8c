//! The command line: train, predict, export.

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;
use vanilla_rnn::checkpoint::Checkpoint;
use vanilla_rnn::config::TrainConfig;
use vanilla_rnn::interrupt::{exit_code, Stop};
use vanilla_rnn::model::Activation;
use vanilla_rnn::trainer::Ended;
use vanilla_rnn::{export, predict, trainer};

/// mimalloc for the whole process, libtorch included (the `override` feature exports malloc and
/// free, which the dynamic linker then resolves for libtorch too): every ATen call allocates, a
/// step at the blog's size makes dozens of small allocations, and glibc's malloc took ~10% of it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "vanilla-rnn", version, about = "The blog's vanilla RNN on the [sin, cos] circle, trained through libtorch (tch-rs)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train the RNN and write config.json, metrics.csv, steps.csv, weights.safetensors, weights.ot, predictions.csv, model.pt, checkpoint.safetensors and plots/*.png into --out
    Train(TrainConfig),
    /// Predict every window of a series with trained weights
    Predict {
        /// Weights: .safetensors, .pt (torch.save of a state_dict) or .ot; a config.json beside them is read too
        #[arg(long, value_name = "FILE")]
        weights: PathBuf,
        /// The series: CSV with a header row (default: the built-in circle)
        #[arg(long, value_name = "FILE")]
        data: Option<PathBuf>,
        /// Write the predictions here (default: standard output)
        #[arg(long, value_name = "CSV")]
        out: Option<PathBuf>,
        /// Window length, when no config.json comes with the weights (default 4)
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=100000))]
        seq_len: Option<i64>,
        /// Hidden non-linearity, when no config.json comes with the weights (default tanh)
        #[arg(long, value_enum)]
        activation: Option<Activation>,
    },
    /// Closed-loop forecast: feed each prediction back as the next input; writes a CSV and a plot
    Forecast {
        /// Weights: .safetensors, .pt or .ot; a config.json beside them is read too
        #[arg(long, value_name = "FILE")]
        weights: PathBuf,
        /// How many points to generate
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        steps: u64,
        /// First row to generate; the seq_len rows before it start the loop (default: the first row after the training part)
        #[arg(long, value_name = "INDEX")]
        from: Option<usize>,
        /// The series: CSV with a header row (default: the built-in circle)
        #[arg(long, value_name = "FILE")]
        data: Option<PathBuf>,
        /// The CSV to write (default: forecast.csv beside the weights); the plot goes beside it (.png)
        #[arg(long, value_name = "CSV")]
        out: Option<PathBuf>,
    },
    /// Time the training loop: microseconds per step and windows per second, as one JSON line
    Bench(vanilla_rnn::bench::BenchConfig),
    /// Redraw the figures of a run (DIR/plots/*.png) from its CSVs
    Plot {
        /// A directory written by `train`
        dir: PathBuf,
    },
    /// Trace the model into a TorchScript module: torch.jit.load(OUT)(x), x [batch, seq_len, features]
    Export {
        /// Weights: .safetensors, .pt or .ot; a config.json beside them is read too
        #[arg(long, value_name = "FILE")]
        weights: PathBuf,
        /// The TorchScript file to write
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Window length, when no config.json comes with the weights (default 4)
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=100000))]
        seq_len: Option<i64>,
        /// Hidden non-linearity, when no config.json comes with the weights (default tanh)
        #[arg(long, value_enum)]
        activation: Option<Activation>,
    },
}

/// `explicit`: the train flags given on the command line (by field name), for --resume's checks.
fn run(cli: Cli, explicit: Vec<String>) -> Result<()> {
    match cli.command {
        Command::Train(mut cfg) => {
            let mut stop = Stop::install()?;
            stop.after_steps = cfg.stop_after_steps;
            let resume = match cfg.resume.clone() {
                None => None,
                Some(dir) => {
                    let ck = Checkpoint::load(&dir.join("checkpoint.safetensors"))?;
                    cfg = cfg.resume_from(&explicit, ck.settings.clone(), &dir, ck.epoch)?;
                    Some(ck)
                }
            };
            let s = trainer::train(&cfg, resume, &stop)?;
            let out = cfg.out.display();
            match s.ended {
                Ended::Finished if !cfg.quiet => eprintln!(
                    "trained {} epochs ({} steps) in {:.1}s: test MSE {:.3e}; wrote {out}",
                    s.epoch, s.step, s.seconds, s.test_loss
                ),
                Ended::Finished => {}
                Ended::Interrupted(signal) => {
                    let name = if signal == 15 { "SIGTERM" } else { "Ctrl-C" };
                    eprintln!("stopped by {name} after step {} (epoch {} done): checkpoint, weights and metrics saved in {out}; continue with: vanilla-rnn train --resume {out}", s.step, s.epoch);
                    std::process::exit(exit_code(signal));
                }
            }
        }
        Command::Predict { weights, data, out, seq_len, activation } => {
            let (csv, mse) = predict::predict(&weights, data.as_deref(), seq_len, activation)?;
            match out {
                Some(path) => {
                    csv.save(&path)?;
                    eprintln!("one-step MSE over all windows {mse:.3e}; wrote {}", path.display());
                }
                None => {
                    // A closed pipe (`| head`) is the reader's choice, not an error.
                    use std::io::Write;
                    match std::io::stdout().lock().write_all(csv.as_str().as_bytes()) {
                        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
                        _ => {}
                    }
                }
            }
        }
        Command::Forecast { weights, steps, from, data, out } => {
            let fc = vanilla_rnn::forecast::forecast(&weights, steps as usize, from, data.as_deref())?;
            let out = out.unwrap_or_else(|| weights.parent().unwrap_or(std::path::Path::new(".")).join("forecast.csv"));
            fc.csv().save(&out)?;
            let plot = out.with_extension("png");
            vanilla_rnn::forecast::draw(&fc, &plot)?;
            let near = vanilla_rnn::forecast::NEAR;
            eprintln!(
                "forecast {} steps from row {}: the first {} stay within {near} of the truth; {} of the {} with a known truth do (Euclidean, model units); wrote {} and {}",
                steps,
                fc.from,
                fc.horizon(),
                fc.within(),
                fc.with_truth(),
                out.display(),
                plot.display()
            );
        }
        Command::Bench(cfg) => println!("{}", serde_json::to_string(&vanilla_rnn::bench::bench(&cfg)?)?),
        Command::Plot { dir } => {
            let written = vanilla_rnn::plots::draw_all(&dir)?;
            eprintln!("wrote {} in {}", written.join(", "), dir.join("plots").display());
        }
        Command::Export { weights, out, seq_len, activation } => {
            let loaded = predict::load_model(&weights, seq_len, activation)?;
            export::export_rnn(&loaded.rnn, loaded.seq_len, &out)?;
            eprintln!("wrote {} (TorchScript; input [batch, {}, {}])", out.display(), loaded.seq_len, loaded.rnn.input_length);
        }
    }
    Ok(())
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
    let parsed = Cli::command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(e.kind(), DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand) {
                let _ = e.print();
                std::process::exit(if e.kind() == DisplayHelpOnMissingArgumentOrSubcommand { 2 } else { 0 });
            }
            // clap's message is several lines (tip, usage); one is enough, with where to look.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            eprintln!("error: {first} (see --help)");
            std::process::exit(2);
        }
    };
    let explicit: Vec<String> = match matches.subcommand() {
        Some(("train", m)) => m
            .ids()
            .filter(|id| m.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine))
            .map(|id| id.to_string())
            .collect(),
        _ => vec![],
    };
    if let Err(e) = run(cli, explicit) {
        eprintln!("error: {:#}", e);
        std::process::exit(1);
    }
}
