//! The training loop, as the blog runs it: batches of windows, the loop over time outside
//! forward from a zero hidden state, MSE, autograd, Adam. Around it, what real runs need:
//! checkpoints and resume, a clean stop on Ctrl-C, and a stop on divergence.

use crate::checkpoint::Checkpoint;
use crate::config::{Backward, DeviceArg, LossKind, RunConfig, TrainConfig, Versions};
use crate::data::{self, epoch_order, split_point, Scaling, Series, TrignoDS};
use crate::export::export_rnn;
use crate::interrupt::Stop;
use crate::model::{unroll, RNN};
use crate::optim::{clip_grad_norm, Adam, AdamConfig};
use crate::output::{num, prepare_dir, write_bytes, Csv};
use crate::predict::predictions_csv;
use crate::progress::Progress;
use crate::weights::{load_into, save_ot, save_safetensors};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::Instant;
use tch::{nn, Device, Reduction, Tensor};

pub enum Ended {
    Finished,
    /// Stopped by this signal after saving a checkpoint.
    Interrupted(i32),
}

pub struct Summary {
    pub test_loss: f64,
    pub seconds: f64,
    pub epoch: usize,
    pub step: usize,
    pub ended: Ended,
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
pub fn load_series(data: Option<&Path>) -> Result<(Series, Option<Scaling>)> {
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

/// One optimizer step on one batch: forward over the sequence, loss, backward, (clip), Adam.
/// Returns the loss, or (as the inner error) why the step was refused: a non-finite loss or
/// gradient, in which case the weights are left as they were.
pub fn train_step(
    rnn: &RNN,
    optimizer: &mut Adam,
    inputs: &Tensor,
    targets: &Tensor,
    loss: LossKind,
    clip: Option<f64>,
    backward: Backward,
) -> Result<std::result::Result<f64, String>> {
    let loss = match backward {
        Backward::Autograd => {
            let loss = batch_loss(rnn, inputs, targets, loss);
            optimizer.zero_grad();
            loss.backward();
            loss
        }
        Backward::Manual => {
            let (loss, grads) = crate::backward::loss_and_grads(rnn, inputs, targets, loss);
            optimizer.set_grads(&grads);
            loss
        }
    };
    let loss = f64::try_from(&loss).context("reading the loss")?;
    if !loss.is_finite() {
        return Ok(Err(format!("the loss is {loss}")));
    }
    if !optimizer.grads_finite() {
        return Ok(Err("a gradient is not finite".into()));
    }
    if let Some(max_norm) = clip {
        clip_grad_norm(&optimizer.params, max_norm);
    }
    optimizer.step();
    Ok(Ok(loss))
}

/// The backward a run uses: `--backward manual` only once it has given autograd's bits on a
/// batch of this run on this machine (which also leaves every gradient defined, as
/// `Adam::set_grads` needs); otherwise autograd, with a note.
pub fn checked_backward(requested: Backward, rnn: &RNN, inputs: &Tensor, targets: &Tensor, loss: LossKind, quiet: bool) -> Backward {
    if requested == Backward::Manual && !crate::backward::agrees_with_autograd(rnn, inputs, targets, loss) {
        if !quiet {
            eprintln!("note: --backward manual does not give autograd's gradients bit for bit here; using autograd");
        }
        return Backward::Autograd;
    }
    requested
}

/// Everything the loop carries from step to step; a checkpoint is this plus the tensors.
struct Position {
    epoch: usize, // epochs completed
    batch: usize, // batches done in the current epoch
    epoch_loss: f64,
    metrics: Vec<[f64; 4]>,
    steps: Vec<(u32, f64)>,
}

/// Trains from `cfg`, or continues `resume` (a checkpoint whose settings `cfg` already holds).
pub fn train(cfg: &TrainConfig, resume: Option<Checkpoint>, stop: &Stop) -> Result<Summary> {
    let device = resolve_device(cfg.device)?;
    tch::set_num_threads(cfg.threads);

    // The data: windows of the series, the chronological tail held out.
    let (series, scaling) = load_series(cfg.data.as_deref())?;
    let features = series.features() as i64;
    let rows = data::model_rows(&series, scaling.as_ref());
    let ds = TrignoDS::new(&rows, series.features(), cfg.seq_len as usize)?;
    let series_fingerprint = data::fingerprint(&rows);
    if let Some(ck) = resume.as_ref().filter(|ck| ck.series != series_fingerprint) {
        bail!(
            "the series is not the one this run was trained on (fingerprint {series_fingerprint}, the checkpoint has {}): was {} changed?",
            ck.series,
            cfg.data.as_ref().map_or("the data".to_string(), |p| p.display().to_string())
        );
    }
    let n_train = split_point(ds.len(), cfg.test_fraction)?;
    let n_test = ds.len() - n_train;
    let (train_x, train_y) = (ds.X.narrow(0, 0, n_train as i64).to_device(device), ds.Y.narrow(0, 0, n_train as i64).to_device(device));
    let (test_x, test_y) =
        (ds.X.narrow(0, n_train as i64, n_test as i64).to_device(device), ds.Y.narrow(0, n_train as i64, n_test as i64).to_device(device));

    prepare_dir(&cfg.out)?;

    // The model, initialised on the CPU as PyTorch would (or from a file), then moved.
    let mut vs = nn::VarStore::new(Device::Cpu);
    let mut rnn = RNN::new(&vs.root(), features, cfg.hidden, features, cfg.activation);
    match (&resume, &cfg.init) {
        (Some(ck), _) => rnn.copy_parameters(ck.params.iter().map(|(_, t)| t)).context("restoring the checkpoint's weights")?,
        (None, Some(path)) => load_into(&rnn, path)?,
        (None, None) => rnn.init_like_pytorch(cfg.seed),
    }
    vs.set_device(device);
    let params: Vec<&Tensor> = rnn.named_parameters().iter().map(|(_, t)| *t).collect();
    let mut optimizer = Adam::new(&params, AdamConfig::with_lr(cfg.lr));

    let mut at = Position { epoch: 0, batch: 0, epoch_loss: 0.0, metrics: vec![], steps: vec![] };
    let mut elapsed_before = 0.0;
    if let Some(ck) = resume {
        for (st, (step, m, v)) in optimizer.state.iter_mut().zip(ck.adam) {
            st.step = step;
            st.exp_avg = m.to_device(device);
            st.exp_avg_sq = v.to_device(device);
        }
        at = Position { epoch: ck.epoch, batch: ck.batch, epoch_loss: ck.epoch_loss, metrics: ck.metrics, steps: ck.steps };
        elapsed_before = ck.elapsed;
    }
    let run = RunConfig {
        settings: cfg.clone(),
        seed: cfg.seed,
        device: format!("{device:?}").to_lowercase(),
        features: series.names.clone(),
        scaling: scaling.clone(),
        windows: ds.len(),
        train_windows: n_train,
        series_fingerprint,
        versions: Versions::current(),
    };
    let save = |rnn: &RNN, optimizer: &Adam, at: &Position, elapsed: f64| -> Result<()> {
        save_progress(&cfg.out, &run, rnn, optimizer, at, elapsed)
    };

    let first = (train_x.narrow(0, 0, cfg.batch_size.min(n_train as i64)), train_y.narrow(0, 0, cfg.batch_size.min(n_train as i64)));
    let backward = checked_backward(cfg.backward, &rnn, &first.0, &first.1, cfg.loss, cfg.quiet);
    let progress = Progress::new(cfg.quiet, at.epoch as u64, cfg.epochs as u64);
    let start = Instant::now();
    let elapsed = || elapsed_before + start.elapsed().as_secs_f64();
    let batch = cfg.batch_size as usize;
    let firsts: Vec<usize> = (0..n_train).step_by(batch).collect();
    for epoch in at.epoch + 1..=cfg.epochs as usize {
        // The epoch's windows in its order, gathered once; each batch is then a slice of them.
        let order = epoch_order(n_train, !cfg.no_shuffle, cfg.seed, epoch).to_device(device);
        let (epoch_x, epoch_y) = (train_x.index_select(0, &order), train_y.index_select(0, &order));
        for (b, &first) in firsts.iter().enumerate().skip(at.batch) {
            let size = batch.min(n_train - first) as i64;
            let (inputs, targets) = (epoch_x.narrow(0, first as i64, size), epoch_y.narrow(0, first as i64, size));
            let loss = match train_step(&rnn, &mut optimizer, &inputs, &targets, cfg.loss, cfg.clip_grad_norm, backward)? {
                Ok(loss) => loss,
                // A non-finite loss or gradient stops the run before it touches the weights.
                Err(what) => {
                    save(&rnn, &optimizer, &at, elapsed())?;
                    bail!(
                        "training diverged at epoch {epoch}, step {} ({what}); kept the weights and checkpoint from before it in {} (try a lower --lr than {}, or --clip-grad-norm)",
                        at.steps.len() + 1,
                        cfg.out.display(),
                        cfg.lr
                    );
                }
            };
            at.steps.push((epoch as u32, loss));
            at.epoch_loss += loss;
            at.batch = b + 1;
            if let Some(signal) = stop.requested(at.steps.len() as u64) {
                progress.finish();
                save(&rnn, &optimizer, &at, elapsed())?;
                return Ok(Summary {
                    test_loss: f64::NAN,
                    seconds: elapsed(),
                    epoch: at.epoch,
                    step: at.steps.len(),
                    ended: Ended::Interrupted(signal),
                });
            }
        }
        let train_loss = at.epoch_loss / firsts.len() as f64;
        let test_loss = evaluate(&rnn, &test_x, &test_y);
        let seconds = elapsed();
        at.metrics.push([epoch as f64, train_loss, test_loss, seconds]);
        at = Position { epoch, batch: 0, epoch_loss: 0.0, ..at };
        progress.epoch(epoch, train_loss, test_loss, seconds);
        if cfg.checkpoint_every > 0 && epoch % cfg.checkpoint_every as usize == 0 && epoch < cfg.epochs as usize {
            save(&rnn, &optimizer, &at, seconds)?;
        }
    }
    progress.finish();
    let seconds = elapsed();

    // The outputs, each written whole or not at all.
    save(&rnn, &optimizer, &at, seconds)?;
    predictions_csv(&rnn, &ds, &series, scaling.as_ref(), n_train)?.save(&cfg.out.join("predictions.csv"))?;
    export_rnn(&rnn, cfg.seq_len, &cfg.out.join("model.pt"))?;
    crate::plots::draw_all(&cfg.out)?;
    let test_loss = evaluate(&rnn, &test_x, &test_y);
    Ok(Summary { test_loss, seconds, epoch: at.epoch, step: at.steps.len(), ended: Ended::Finished })
}

/// config.json, metrics.csv, steps.csv, the weights and the checkpoint: what a stopped run keeps.
fn save_progress(out: &Path, run: &RunConfig, rnn: &RNN, optimizer: &Adam, at: &Position, elapsed: f64) -> Result<()> {
    write_bytes(&out.join("config.json"), (serde_json::to_string_pretty(run)? + "\n").as_bytes())?;
    let mut metrics = Csv::new(&["epoch", "train_loss", "test_loss", "seconds"].map(String::from));
    for [epoch, train, test, seconds] in &at.metrics {
        metrics.row(&[format!("{epoch}"), num(*train), num(*test), format!("{seconds:.3}")]);
    }
    metrics.save(&out.join("metrics.csv"))?;
    let mut steps = Csv::new(&["epoch", "step", "loss"].map(String::from));
    for (i, (epoch, loss)) in at.steps.iter().enumerate() {
        steps.row(&[epoch.to_string(), (i + 1).to_string(), num(*loss)]);
    }
    steps.save(&out.join("steps.csv"))?;
    save_safetensors(rnn, &out.join("weights.safetensors"))?;
    save_ot(rnn, &out.join("weights.ot"))?;
    let checkpoint = Checkpoint {
        settings: run.settings.clone(),
        series: run.series_fingerprint.clone(),
        epoch: at.epoch,
        batch: at.batch,
        epoch_loss: at.epoch_loss,
        elapsed,
        params: rnn.named_parameters().iter().map(|(n, t)| (n.to_string(), t.detach())).collect(),
        adam: optimizer.state.iter().map(|s| (s.step, s.exp_avg.shallow_clone(), s.exp_avg_sq.shallow_clone())).collect(),
        metrics: at.metrics.clone(),
        steps: at.steps.clone(),
    };
    checkpoint.save(&out.join("checkpoint.safetensors"))
}
