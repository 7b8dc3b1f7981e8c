//! What `train` tells the user while it runs: a progress bar over epochs when stderr is a
//! terminal, one plain line per epoch when it is not (logs, pipes, CI), nothing with --quiet.

use super::metrics::EpochMetrics;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub enum Progress {
    Quiet,
    Lines { epochs: u64 },
    Bar(ProgressBar),
}

impl Progress {
    pub fn new(quiet: bool, first_epoch: u64, epochs: u64) -> Progress {
        if quiet {
            Progress::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(epochs);
            bar.set_style(
                ProgressStyle::with_template("{bar:30.cyan/blue} epoch {pos}/{len} {msg} [{elapsed_precise}<{eta_precise}]")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_position(first_epoch);
            Progress::Bar(bar)
        } else {
            Progress::Lines { epochs }
        }
    }

    pub fn epoch(&self, m: &EpochMetrics) {
        let EpochMetrics { epoch, train_loss, val_loss, test_loss, seconds } = *m;
        let val = if val_loss.is_nan() { String::new() } else { format!("  val {val_loss:.3e}") };
        match self {
            Progress::Quiet => {}
            Progress::Lines { epochs } => {
                eprintln!("epoch {epoch:>4}/{epochs}  train {train_loss:.3e}{val}  test {test_loss:.3e}  {seconds:.1}s")
            }
            Progress::Bar(bar) => {
                bar.set_message(format!("train {train_loss:.3e}{val}  test {test_loss:.3e}"));
                bar.set_position(epoch as u64);
            }
        }
    }

    /// Says that a stop was asked for and the progress is being saved (the bar is cleared).
    pub fn stopping(&self, signal: i32) {
        self.finish();
        if !matches!(self, Progress::Quiet) {
            let by = crate::signals::name(signal);
            eprintln!("{by}: stopping and saving the run (Ctrl-C again quits at once, without saving)");
        }
    }

    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
