//! A run directory: held by one vanilla-rnn at a time (a lock), and what it holds while training
//! goes on: config.json, metrics.csv, steps.csv, the weights and the checkpoint, written together
//! at each save (what a stopped run keeps).

use super::checkpoint::Checkpoint;
use super::config::RunConfig;
use super::tables::{metrics_csv, steps_csv};
use super::weights::{save_ot, save_safetensors};
use crate::train::Trainer;
use anyhow::{bail, Context, Result};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// The weights of `--ensemble`'s member `k` (from 1; the first model is weights.safetensors).
pub fn member_file(k: u64) -> String {
    format!("member-{k}.safetensors")
}

/// The outputs of a finished run, derived from its final weights: a new run in the directory
/// removes them before it trains, so that whatever it leaves (finished, stopped or failed)
/// never sits beside another run's weights.
pub const FINISHED_OUTPUTS: [&str; 12] = [
    "predictions.csv",
    "scores.csv",
    "model.pt",
    "plots/data.png",
    "plots/loss.png",
    "plots/predictions.png",
    "plots/phase.png",
    "plots/forecast.png",
    "forecast.csv",
    "forecast.json",
    "forecast.png",
    "forecast_horizons.csv",
];

/// A run directory this process holds: until it is dropped (or the process dies, killed or
/// not: the kernel releases an flock with its last descriptor), another `train`, `train
/// --resume` or `plot` on it is refused.
pub struct RunDir {
    pub path: PathBuf,
    _lock: File,
}

impl RunDir {
    /// The directory of a new or resumed run: created, locked, rid of the temporary files of
    /// killed writers, and proven writable before any training time is spent.
    pub fn prepare(dir: &Path) -> Result<RunDir> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create output directory {}", dir.display()))?;
        let held = RunDir::lock(dir)?;
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let pid = name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp-")).map(|(_, pid)| pid.to_string());
                if let Some(pid) = pid.filter(|p| p.parse::<u32>().is_ok()) {
                    if !Path::new("/proc").join(&pid).exists() {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
        }
        let probe = dir.join(format!(".write-test-{}", std::process::id()));
        std::fs::write(&probe, b"").with_context(|| format!("output directory {} is not writable", dir.display()))?;
        let _ = std::fs::remove_file(&probe);
        Ok(held)
    }

    /// Locks an existing run directory, or says that another vanilla-rnn is using it. The lock
    /// is an flock on the directory itself: no lock file to leave behind.
    pub fn lock(dir: &Path) -> Result<RunDir> {
        let file = File::open(dir).with_context(|| format!("cannot lock {}", dir.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(RunDir { path: dir.to_path_buf(), _lock: file }),
            Err(TryLockError::WouldBlock) => bail!(
                "{} is in use by another vanilla-rnn (a train or plot still running there); wait for it, or use another directory",
                dir.display()
            ),
            Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", dir.display())),
        }
    }

    /// Removes what an earlier finished run left (`FINISHED_OUTPUTS`, and its ensemble's members).
    pub fn remove_finished_outputs(&self) -> Result<()> {
        let members = (1..).map(member_file).take_while(|name| self.path.join(name).exists());
        for name in FINISHED_OUTPUTS.iter().map(|s| s.to_string()).chain(members.collect::<Vec<_>>()) {
            let path = self.path.join(name);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove the earlier run's {}", path.display()))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Saves the trainer's progress, each file whole or not at all.
    pub fn save_progress(&self, run: &RunConfig, t: &Trainer) -> Result<()> {
        let dir = &self.path;
        RunConfig { kept_epoch: Some(t.kept_epoch()), ..run.clone() }.save(dir)?;
        metrics_csv(&t.metrics).save(&dir.join("metrics.csv"))?;
        steps_csv(&t.steps).save(&dir.join("steps.csv"))?;
        // The weights of the kept epoch (the best validation epoch's, with --val-fraction); the
        // checkpoint holds the current ones, to go on from.
        let kept = t.kept_params();
        save_safetensors(&kept, &dir.join("weights.safetensors"))?;
        save_ot(&kept, &dir.join("weights.ot"))?;
        let checkpoint = Checkpoint { settings: run.settings.clone(), series: run.series_fingerprint.clone(), state: t.state() };
        checkpoint.save(&dir.join("checkpoint.safetensors"))
    }
}
