//! Every setting of a training run, with its default, in one place. The same struct is the
//! `train` command line and the `settings` of config.json.

use crate::data::Scaling;
use crate::model::Activation;
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LossKind {
    /// MSE of the final step's output against the target (the blog's choice)
    Last,
    /// mean over steps of the MSE of each step's prediction of its next point
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DeviceArg {
    Cpu,
    Cuda,
    /// CUDA when a GPU is available, else the CPU
    Auto,
}

/// Who computes the gradients. Both give the same bits; see src/backward.rs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backward {
    /// libtorch's autograd: loss.backward(), as in the blog
    #[default]
    Autograd,
    /// the same derivative formulas called in the engine's order without the engine (faster at small sizes; checked against autograd on the first batch)
    Manual,
}

#[derive(Debug, Clone, Serialize, Deserialize, clap::Args)]
pub struct TrainConfig {
    /// Output directory (created; files are written atomically)
    #[arg(long, default_value = "runs/latest")]
    pub out: PathBuf,
    /// Length of the hidden state h_t
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(i64).range(1..=65536))]
    pub hidden: i64,
    /// Past points the model reads to predict the next one (the blog's seq_length)
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(i64).range(1..=100000))]
    pub seq_len: i64,
    /// Windows per optimizer step
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(i64).range(1..))]
    pub batch_size: i64,
    /// Passes over the training windows; 0 writes the initial model and its outputs
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(i64).range(0..))]
    pub epochs: i64,
    /// Adam's learning rate (its other settings are PyTorch's defaults)
    #[arg(long, default_value_t = 3e-3, value_parser = positive_f64)]
    pub lr: f64,
    /// Seed of the initial weights (as torch.manual_seed) and of the batch order
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Keep the windows in order instead of shuffling them each epoch
    #[arg(long)]
    pub no_shuffle: bool,
    /// Start from these weights (.safetensors, torch.save .pt, or tch .ot) instead of --seed's
    #[arg(long, value_name = "FILE")]
    pub init: Option<PathBuf>,
    /// Which outputs the loss reads
    #[arg(long, value_enum, default_value_t = LossKind::Last)]
    pub loss: LossKind,
    /// Non-linearity of the hidden state (the output keeps tanh)
    #[arg(long, value_enum, default_value_t = Activation::Tanh)]
    pub activation: Activation,
    /// Rescale gradients whose global L2 norm exceeds this (torch.nn.utils.clip_grad_norm_)
    #[arg(long, value_name = "F", value_parser = positive_f64)]
    pub clip_grad_norm: Option<f64>,
    /// Fraction of the windows, at the end of the series, held out for the test loss
    #[arg(long, default_value_t = 0.2, value_parser = fraction)]
    pub test_fraction: f64,
    /// Train on your own series: CSV with a header row and one numeric column per feature
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// libtorch intra-op threads (1 is fastest at the blog's size, and bitwise reproducible)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=1024))]
    pub threads: i32,
    /// Where to train
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// How the gradients are computed (same bits either way)
    #[arg(long, value_enum, default_value_t = Backward::Autograd)]
    #[serde(default)]
    pub backward: Backward,
    /// Also write DIR/checkpoint.safetensors every N epochs (it is always written at the end and on Ctrl-C)
    #[arg(long, value_name = "N", default_value_t = 0)]
    #[serde(default)]
    pub checkpoint_every: u64,
    /// Continue the run in DIR from its checkpoint, with the settings it was started with
    #[arg(long, value_name = "DIR")]
    #[serde(skip)]
    pub resume: Option<PathBuf>,
    /// Print nothing but errors
    #[arg(long)]
    #[serde(skip)]
    pub quiet: bool,
    /// Testing aid: stop as if Ctrl-C came after this many optimizer steps
    #[arg(long, hide = true)]
    #[serde(skip)]
    pub stop_after_steps: Option<u64>,
}

impl TrainConfig {
    /// The settings of a resumed run: the checkpoint's, with each flag given on the command line
    /// (`explicit`, by field name) checked against them. Only what cannot change the numbers may
    /// differ: --epochs (to train on), --checkpoint-every, --backward, --quiet.
    pub fn resume_from(&self, explicit: &[String], saved: TrainConfig, dir: &Path, done_epochs: usize) -> Result<TrainConfig> {
        let given = serde_json::to_value(self)?;
        let before = serde_json::to_value(&saved)?;
        for id in explicit {
            let flag = id.replace('_', "-");
            match id.as_str() {
                "resume" | "quiet" | "epochs" | "checkpoint_every" | "backward" | "stop_after_steps" => {}
                "out" if self.out != dir => {
                    bail!("--out {} contradicts --resume {}: a resumed run goes on in its own directory", self.out.display(), dir.display())
                }
                "out" => {}
                _ if given.get(id) != before.get(id) => bail!(
                    "--{flag} {} contradicts the run being resumed, which was started with --{flag} {} (drop the flag, or start a new run)",
                    show(&given[id]),
                    show(&before[id])
                ),
                _ => {}
            }
        }
        let mut cfg = saved;
        cfg.out = dir.to_path_buf();
        cfg.resume = self.resume.clone();
        cfg.quiet = self.quiet;
        cfg.stop_after_steps = self.stop_after_steps;
        if explicit.iter().any(|id| id == "epochs") {
            if (self.epochs as usize) < done_epochs {
                bail!("--epochs {} is fewer than the {done_epochs} epochs the run in {} has already done", self.epochs, dir.display());
            }
            cfg.epochs = self.epochs;
        }
        if explicit.iter().any(|id| id == "checkpoint_every") {
            cfg.checkpoint_every = self.checkpoint_every;
        }
        if explicit.iter().any(|id| id == "backward") {
            cfg.backward = self.backward;
        }
        Ok(cfg)
    }
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(unset)".into(),
        v => v.to_string(),
    }
}

fn positive_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s} is not a positive finite number")),
    }
}

fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s} is not in [0, 1)")),
    }
}

/// What config.json holds: the settings, and what a later `predict` needs to read the weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunConfig {
    pub settings: TrainConfig,
    pub seed: u64,
    pub device: String,
    pub features: Vec<String>,
    pub scaling: Option<Scaling>,
    pub windows: usize,
    pub train_windows: usize,
    /// data::fingerprint of the series as the model saw it
    #[serde(default)]
    pub series_fingerprint: String,
    pub versions: Versions,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Versions {
    pub vanilla_rnn: String,
    pub tch: String,
    pub libtorch: String,
}

impl Versions {
    pub fn current() -> Versions {
        Versions {
            vanilla_rnn: env!("CARGO_PKG_VERSION").into(),
            tch: env!("VANILLA_RNN_TCH_VERSION").into(),
            libtorch: env!("VANILLA_RNN_LIBTORCH_VERSION").into(),
        }
    }
}

impl RunConfig {
    /// The config.json beside a weights file, when there is one.
    pub fn beside(weights: &Path) -> Result<Option<RunConfig>> {
        RunConfig::in_dir(weights.parent().unwrap_or(Path::new(".")))
    }

    /// The config.json of a run directory, when there is one.
    pub fn in_dir(dir: &Path) -> Result<Option<RunConfig>> {
        let path = dir.join("config.json");
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        match serde_json::from_str(&text) {
            Ok(c) => Ok(Some(c)),
            Err(e) => bail!("{}: not a vanilla-rnn config.json: {e}", path.display()),
        }
    }
}
