//! `vanilla-rnn predict`: a trained model's prediction of every window's next point, in the
//! series' own units.

use crate::data::Windows;
use crate::files::predictions::Written;
use crate::forecasters::rnn::Predicted;
use crate::pipeline::trained::{chosen_series, load_model, series_for, RunSeries, TrainedArgs};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;

/// `vanilla-rnn predict`'s command line.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    #[command(flatten)]
    pub trained: TrainedArgs,
    /// Write the predictions here [default: standard output]
    #[arg(long, value_name = "CSV")]
    pub out: Option<PathBuf>,
}

/// `vanilla-rnn predict`: the predictions, to --out or standard output; their one-step MSE over
/// all windows.
pub fn run(args: &PredictArgs) -> Result<Report> {
    let loaded = load_model(&args.trained.weights()?, &args.trained.model)?;
    let RunSeries { windows, .. } = series_for(&loaded, &args.trained.data)?;
    let chosen = chosen_series(&windows, args.trained.series.as_deref())?;
    let mut predicted = Predicted::of(&loaded.rnn, &loaded.framing, &windows)?;
    predicted.only = args.trained.series.as_ref().map(|_| chosen[0]);
    match &args.out {
        Some(path) => predicted.save(path)?,
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`| head`) is the reader's choice, not an error.
            let written = predicted.write(&mut out).and_then(|()| Ok(out.flush()?));
            match written {
                Err(e) if e.downcast_ref::<std::io::Error>().is_none_or(|e| e.kind() != std::io::ErrorKind::BrokenPipe) => return Err(e),
                _ => {}
            }
        }
    }
    Ok(Report { mse: mse_of(&predicted, &windows), out: args.out.clone() })
}

/// The one-step MSE over the windows written, and where (none: standard output, which the
/// predictions alone fill).
pub struct Report {
    mse: f64,
    out: Option<PathBuf>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match &self.out {
            Some(path) => write!(f, "one-step MSE over all windows {:.3e}; wrote {}", self.mse, path.display()),
            None => Ok(()),
        }
    }
}

/// The one-step MSE in model units over every window written (as `evaluate`, in f64 over the
/// batches).
fn mse_of(predicted: &Predicted, windows: &Windows) -> f64 {
    let y: Vec<f32> = Vec::try_from(windows.ds.Y.flatten(0, -1)).unwrap_or_default();
    let f = windows.series.features();
    let written = |&(i, _): &(usize, _)| predicted.only.is_none_or(|k| windows.series_of_window(i / f) == k);
    let squares: Vec<f64> =
        predicted.model.iter().zip(&y).enumerate().filter(written).map(|(_, (&p, &t))| (p as f64 - t as f64).powi(2)).collect();
    if squares.is_empty() {
        return f64::NAN;
    }
    squares.iter().sum::<f64>() / squares.len() as f64
}
