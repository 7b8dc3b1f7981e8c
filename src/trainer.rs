//! The training loop, as the blog runs it: batches of windows, the loop over time outside
//! forward from a zero hidden state, MSE, autograd, Adam.

use crate::config::{DeviceArg, LossKind, RunConfig, TrainConfig, Versions};
use crate::data::{self, epoch_order, split_point, Scaling, Series, TrignoDS};
use crate::export::export_rnn;
use crate::model::{unroll, RNN};
use crate::optim::{clip_grad_norm, Adam, AdamConfig};
use crate::output::{num, prepare_dir, write_bytes, Csv};
use crate::predict::predictions_csv;
use crate::weights::{load_into, save_ot, save_safetensors};
use anyhow::{bail, Context, Result};
use std::time::Instant;
use tch::{nn, Device, Reduction, Tensor};

pub struct Summary {
    pub test_loss: f64,
    pub seconds: f64,
    pub epochs: i64,
}

pub fn resolve_device(arg: DeviceArg) -> Result<Device> {
    match arg {
        DeviceArg::Cpu => Ok(Device::Cpu),
        DeviceArg::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
        DeviceArg::Cuda => bail!("--device cuda: no CUDA GPU is available to libtorch here (use --device cpu or auto)"),
        DeviceArg::Auto => Ok(Device::cuda_if_available()),
    }
}

/// The built-in circle, or the user's CSV with the per-column scaling onto [-1, 1].
pub fn load_series(data: Option<&std::path::Path>) -> Result<(Series, Option<Scaling>)> {
    match data {
        None => Ok((data::circle(), None)),
        Some(path) => {
            let series = data::read_csv(path)?;
            let scaling = Scaling::fit(&series);
            Ok((series, Some(scaling)))
        }
    }
}

/// The loss of one batch: the final step's MSE (the blog), or the mean over steps of each
/// step's MSE against the next point (`--loss all`).
pub fn batch_loss(rnn: &RNN, inputs: &Tensor, targets: &Tensor, loss: LossKind) -> Tensor {
    match loss {
        LossKind::Last => {
            let y = unroll(rnn, inputs, false).pop().expect("seq_len >= 1");
            y.mse_loss(targets, Reduction::Mean)
        }
        LossKind::All => {
            let outputs = unroll(rnn, inputs, true);
            let seq_len = outputs.len() as i64;
            let losses: Vec<Tensor> = outputs
                .iter()
                .enumerate()
                .map(|(t, y)| {
                    let t = t as i64;
                    let next = if t + 1 < seq_len { inputs.select(1, t + 1) } else { targets.shallow_clone() };
                    y.mse_loss(&next, Reduction::Mean)
                })
                .collect();
            Tensor::stack(&losses, 0).mean(None)
        }
    }
}

/// One-step-ahead MSE of the final output over a set of windows, in one batch.
pub fn evaluate(rnn: &RNN, inputs: &Tensor, targets: &Tensor) -> f64 {
    if inputs.size()[0] == 0 {
        return f64::NAN;
    }
    tch::no_grad(|| {
        let y = unroll(rnn, inputs, false).pop().expect("seq_len >= 1");
        f64::try_from(y.mse_loss(targets, Reduction::Mean)).unwrap_or(f64::NAN)
    })
}

pub fn train(cfg: &TrainConfig) -> Result<Summary> {
    let device = resolve_device(cfg.device)?;
    tch::set_num_threads(cfg.threads);

    // The data: windows of the series, the chronological tail held out.
    let (series, scaling) = load_series(cfg.data.as_deref())?;
    let features = series.features() as i64;
    let ds = TrignoDS::new(&data::model_rows(&series, scaling.as_ref()), series.features(), cfg.seq_len as usize)?;
    let n_train = split_point(ds.len(), cfg.test_fraction)?;
    let n_test = ds.len() - n_train;
    let (train_x, train_y) = (ds.X.narrow(0, 0, n_train as i64).to_device(device), ds.Y.narrow(0, 0, n_train as i64).to_device(device));
    let (test_x, test_y) = (ds.X.narrow(0, n_train as i64, n_test as i64).to_device(device), ds.Y.narrow(0, n_train as i64, n_test as i64).to_device(device));

    prepare_dir(&cfg.out)?;

    // The model, initialised on the CPU as PyTorch would (or from a file), then moved.
    let mut vs = nn::VarStore::new(Device::Cpu);
    let mut rnn = RNN::new(&vs.root(), features, cfg.hidden, features, cfg.activation);
    match &cfg.init {
        Some(path) => load_into(&rnn, path)?,
        None => rnn.init_like_pytorch(cfg.seed),
    }
    vs.set_device(device);
    let params: Vec<&Tensor> = rnn.named_parameters().iter().map(|(_, t)| *t).collect();
    let mut optimizer = Adam::new(&params, AdamConfig::with_lr(cfg.lr));

    let mut metrics = Csv::new(&["epoch", "train_loss", "test_loss", "seconds"].map(String::from));
    let mut steps = Csv::new(&["epoch", "step", "loss"].map(String::from));
    let start = Instant::now();
    let mut test_loss = evaluate(&rnn, &test_x, &test_y);
    let batch = cfg.batch_size as usize;
    let mut step = 0u64;
    for epoch in 1..=cfg.epochs as usize {
        let order = epoch_order(n_train, !cfg.no_shuffle, cfg.seed, epoch).to_device(device);
        let mut epoch_loss = 0.0f64;
        let mut batches = 0usize;
        for first in (0..n_train).step_by(batch) {
            let idx = order.narrow(0, first as i64, batch.min(n_train - first) as i64);
            let (inputs, targets) = (train_x.index_select(0, &idx), train_y.index_select(0, &idx));
            let loss = batch_loss(&rnn, &inputs, &targets, cfg.loss);
            optimizer.zero_grad();
            loss.backward();
            if let Some(max_norm) = cfg.clip_grad_norm {
                clip_grad_norm(&optimizer.params, max_norm);
            }
            optimizer.step();
            step += 1;
            let loss = f64::try_from(&loss).context("reading the loss")?;
            steps.row(&[epoch.to_string(), step.to_string(), num(loss)]);
            epoch_loss += loss;
            batches += 1;
        }
        let train_loss = epoch_loss / batches as f64;
        test_loss = evaluate(&rnn, &test_x, &test_y);
        let seconds = start.elapsed().as_secs_f64();
        metrics.row(&[epoch.to_string(), num(train_loss), num(test_loss), format!("{seconds:.3}")]);
        if !cfg.quiet {
            eprintln!("epoch {epoch:>4}/{}  train {train_loss:.3e}  test {test_loss:.3e}  {seconds:.1}s", cfg.epochs);
        }
    }
    let seconds = start.elapsed().as_secs_f64();

    // The outputs, each written whole or not at all.
    let run = RunConfig {
        settings: cfg.clone(),
        seed: cfg.seed,
        device: format!("{device:?}").to_lowercase(),
        features: series.names.clone(),
        scaling: scaling.clone(),
        windows: ds.len(),
        train_windows: n_train,
        versions: Versions::current(),
    };
    let out = &cfg.out;
    write_bytes(&out.join("config.json"), (serde_json::to_string_pretty(&run)? + "\n").as_bytes())?;
    metrics.save(&out.join("metrics.csv"))?;
    steps.save(&out.join("steps.csv"))?;
    save_safetensors(&rnn, &out.join("weights.safetensors"))?;
    save_ot(&rnn, &out.join("weights.ot"))?;
    predictions_csv(&rnn, &ds, &series, scaling.as_ref(), n_train)?.save(&out.join("predictions.csv"))?;
    export_rnn(&rnn, cfg.seq_len, &out.join("model.pt"))?;
    Ok(Summary { test_loss, seconds, epochs: cfg.epochs })
}
