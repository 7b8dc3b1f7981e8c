//! What a run directory holds while training goes on: config.json, metrics.csv, steps.csv, the
//! weights and the checkpoint. Written together, at each save; what a stopped run keeps.

use super::atomic::{format_num, Csv};
use super::checkpoint::Checkpoint;
use super::config::RunConfig;
use super::weights::{save_ot, save_safetensors};
use crate::train::{EpochMetrics, StepLoss, Trainer};
use anyhow::Result;
use std::path::Path;

/// `epoch,train_loss,test_loss,seconds`
pub fn metrics_csv(metrics: &[EpochMetrics]) -> Csv {
    let mut csv = Csv::new(&["epoch", "train_loss", "test_loss", "seconds"].map(String::from));
    for m in metrics {
        csv.row(&[m.epoch.to_string(), format_num(m.train_loss), format_num(m.test_loss), format!("{:.3}", m.seconds)]);
    }
    csv
}

/// `epoch,step,loss`
pub fn steps_csv(steps: &[StepLoss]) -> Csv {
    let mut csv = Csv::new(&["epoch", "step", "loss"].map(String::from));
    for (i, s) in steps.iter().enumerate() {
        csv.row(&[s.epoch.to_string(), (i + 1).to_string(), format_num(s.loss)]);
    }
    csv
}

/// Saves the trainer's progress into `dir`, each file whole or not at all.
pub fn save_progress(dir: &Path, run: &RunConfig, t: &Trainer) -> Result<()> {
    run.save(dir)?;
    metrics_csv(&t.metrics).save(&dir.join("metrics.csv"))?;
    steps_csv(&t.steps).save(&dir.join("steps.csv"))?;
    save_safetensors(&t.rnn, &dir.join("weights.safetensors"))?;
    save_ot(&t.rnn, &dir.join("weights.ot"))?;
    let checkpoint = Checkpoint { settings: run.settings.clone(), series: run.series_fingerprint.clone(), state: t.state() };
    checkpoint.save(&dir.join("checkpoint.safetensors"))
}
