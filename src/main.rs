//! The command line: parse, dispatch, print the report or the error.

use anyhow::Result;
use clap::Parser;
use vanilla_rnn::commands::{self, Cli, Command};

/// mimalloc for the whole process, libtorch included (the `override` feature exports malloc and
/// free, which the dynamic linker then resolves for libtorch too): every ATen call allocates, a
/// step at the blog's size makes dozens of small allocations, and glibc's malloc took ~10% of it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs the command; its report (a summary, or bench's JSON) to standard output, where a script
/// reads it, while progress, notes, errors and a stopped run's report go to standard error.
/// Returns the exit status.
fn run(cli: Cli) -> Result<i32> {
    let say = |report: String| {
        if !report.is_empty() {
            println!("{report}");
        }
    };
    match cli.command {
        Command::Train(args) => {
            let report = commands::train::run(&args)?;
            // a run stopped by a signal says so, and how to resume, where a person at the terminal sees it
            match report.exit_code() {
                0 => say(report.to_string()),
                _ => eprintln!("{report}"),
            }
            return Ok(report.exit_code());
        }
        Command::Predict(args) => say(commands::predict::run(&args)?.to_string()),
        Command::Forecast(args) => say(commands::forecast::run(&args)?.to_string()),
        Command::Bench(args) => println!("{}", commands::bench::run(&args)?),
        Command::Plot { dir } => say(commands::plot::run(&dir)?.to_string()),
        Command::Export(args) => say(commands::export::run(&args)?.to_string()),
    }
    Ok(0)
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
    match run(cli) {
        Ok(0) => {}
        Ok(code) => std::process::exit(code),
        Err(e) => match e.downcast_ref::<vanilla_rnn::signals::Stopped>() {
            Some(stopped) => {
                eprintln!("{stopped}");
                std::process::exit(128 + stopped.signal);
            }
            None => {
                eprintln!("error: {:#}", e);
                std::process::exit(1);
            }
        },
    }
}
