//! `vanilla-rnn bench`: how long one training step takes, timing only the loop (no process
//! start, no libtorch load, no data preparation), on the built-in series.

use crate::config::{Backward, DeviceArg, LossKind};
use crate::data::{self, epoch_order, split_point, TrignoDS};
use crate::model::{Activation, RNN};
use crate::optim::{Adam, AdamConfig};
use crate::trainer::{batch_loss, checked_backward, resolve_device, train_step};
use anyhow::{bail, Result};
use serde::Serialize;
use std::time::Instant;
use tch::{nn, Device, Tensor};

#[derive(Debug, Serialize)]
pub struct BenchResult {
    pub implementation: &'static str,
    /// The backward that ran: autograd, or manual (when asked for and it agreed with autograd)
    pub backward: Backward,
    pub hidden: i64,
    pub batch: i64,
    pub seq_len: i64,
    pub threads: i32,
    pub steps: usize,
    pub us_per_step: f64,
    pub windows_per_s: f64,
    /// With --profile: microseconds per step in data (batch gather), forward (to the loss),
    /// backward (zero_grad, backward, reading the loss) and the optimizer. With --backward
    /// manual, forward and backward are one function: null, then their sum.
    pub phases_us: Option<[f64; 4]>,
}

/// `vanilla-rnn bench`'s settings.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchConfig {
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(i64).range(1..=65536))]
    pub hidden: i64,
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(i64).range(1..))]
    pub batch_size: i64,
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(i64).range(1..=900))]
    pub seq_len: i64,
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=1024))]
    pub threads: i32,
    /// Timed steps (after the warm-up)
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: u64,
    /// Untimed steps first
    #[arg(long, default_value_t = 50)]
    pub warmup: u64,
    /// Also time data, forward, backward and optimizer separately
    #[arg(long)]
    pub profile: bool,
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// How the gradients are computed (see `train --backward`)
    #[arg(long, value_enum, default_value_t = Backward::Autograd)]
    pub backward: Backward,
}

pub fn bench(cfg: &BenchConfig) -> Result<BenchResult> {
    let BenchConfig { hidden, batch_size: batch, seq_len, threads, profile, .. } = *cfg;
    let (steps, warmup) = (cfg.steps as usize, cfg.warmup as usize);
    let device = resolve_device(cfg.device)?;
    tch::set_num_threads(threads);
    let series = data::circle();
    let ds = TrignoDS::new(&data::model_rows(&series, None), 2, seq_len as usize)?;
    let n_train = split_point(ds.len(), 0.2)?;
    if (batch as usize) > n_train {
        bail!("--batch-size {batch} is larger than the {n_train} training windows");
    }
    let (x, y) = (ds.X.narrow(0, 0, n_train as i64).to_device(device), ds.Y.narrow(0, 0, n_train as i64).to_device(device));
    let mut vs = nn::VarStore::new(Device::Cpu);
    let mut rnn = RNN::new(&vs.root(), 2, hidden, 2, Activation::Tanh);
    rnn.init_like_pytorch(0);
    vs.set_device(device);
    let params: Vec<&Tensor> = rnn.named_parameters().iter().map(|(_, t)| *t).collect();
    let mut optimizer = Adam::new(&params, AdamConfig::with_lr(1e-3));
    // Full batches only, epoch after epoch, each in its shuffled order.
    let per_epoch = n_train / batch as usize;
    let first = (x.narrow(0, 0, batch), y.narrow(0, 0, batch));
    let backward = checked_backward(cfg.backward, &rnn, &first.0, &first.1, LossKind::Last, false);
    let batches = (0..warmup + steps).map(|s| (s / per_epoch + 1, s % per_epoch));
    let (mut epoch_x, mut epoch_y) = (Tensor::new(), Tensor::new());
    let mut phases = [0.0f64; 4];
    let mut start = Instant::now();
    for (k, (epoch, b)) in batches.enumerate() {
        if k == warmup {
            start = Instant::now();
            phases = [0.0; 4];
        }
        if b == 0 {
            // As the trainer does: the epoch's windows gathered once, batches sliced from them.
            let order = epoch_order(n_train, true, 0, epoch).to_device(device);
            (epoch_x, epoch_y) = (x.index_select(0, &order), y.index_select(0, &order));
        }
        let t0 = Instant::now();
        let (inputs, targets) = (epoch_x.narrow(0, b as i64 * batch, batch), epoch_y.narrow(0, b as i64 * batch, batch));
        if !profile {
            if let Err(what) = train_step(&rnn, &mut optimizer, &inputs, &targets, LossKind::Last, None, backward)? {
                bail!("benchmark run diverged: {what}");
            }
            continue;
        }
        // The same step as train_step, timed piece by piece.
        let t1 = Instant::now();
        let (t2, t3) = match backward {
            Backward::Autograd => {
                let loss = batch_loss(&rnn, &inputs, &targets, LossKind::Last);
                let t2 = Instant::now();
                optimizer.zero_grad();
                loss.backward();
                let _ = f64::try_from(&loss)?;
                (t2, Instant::now())
            }
            Backward::Manual => {
                let (loss, grads) = crate::backward::loss_and_grads(&rnn, &inputs, &targets, LossKind::Last);
                optimizer.set_grads(&grads);
                let _ = f64::try_from(&loss)?;
                (t1, Instant::now())
            }
        };
        optimizer.step();
        let t4 = Instant::now();
        for (p, (a, b)) in phases.iter_mut().zip([(t0, t1), (t1, t2), (t2, t3), (t3, t4)]) {
            *p += (b - a).as_secs_f64();
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(BenchResult {
        implementation: "rust",
        backward,
        hidden,
        batch,
        seq_len,
        threads,
        steps,
        us_per_step: seconds / steps as f64 * 1e6,
        windows_per_s: (steps as f64 * batch as f64) / seconds,
        phases_us: profile.then(|| {
            let mut us = phases.map(|p| p / steps as f64 * 1e6);
            if backward == Backward::Manual {
                us[1] = f64::NAN; // serialized as null
            }
            us
        }),
    })
}
