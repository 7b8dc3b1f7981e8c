//! `vanilla-rnn plot RUN`: the run's figures redrawn from its files, and its forecast's when
//! one was made on it (RUN/forecast.json: the forecast is computed again, the same weights
//! giving the same numbers).

use crate::figures;
use crate::files::run_dir::RunDir;
use crate::pipeline::forecast::forecast;
use crate::pipeline::forecast_output::Asked;
use crate::pipeline::trained::TrainedArgs;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// `vanilla-rnn plot DIR`, the run directory held while it draws.
pub fn run(dir: &Path) -> Result<Report> {
    if !dir.is_dir() {
        bail!("{} has no config.json: not a vanilla-rnn run directory", dir.display());
    }
    let _held = RunDir::lock(dir)?;
    let mut written = figures::run::draw_all(dir)?;
    if let Some(asked) = Asked::read(dir)? {
        let trained = TrainedArgs {
            run: Some(dir.to_path_buf()),
            weights: None,
            series: asked.series.clone(),
            data: Default::default(),
            model: Default::default(),
        };
        figures::forecast::draw(&forecast(&trained, &asked)?, &dir.join("plots").join("forecast.png"))?;
        written.push("forecast.png".into());
    }
    Ok(Report { written, plots: dir.join("plots") })
}

/// The figures redrawn, and where.
pub struct Report {
    written: Vec<String>,
    plots: PathBuf,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "wrote {} in {}", self.written.join(", "), self.plots.display())
    }
}
