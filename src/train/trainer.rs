//! The trainer: the blog's loop over epochs and batches, Adam, the kept epoch, and what a checkpoint saves.

use super::device::resolve_device;
use super::interrupt::Stop;
use super::metrics::{EpochMetrics, StepLoss};
use super::progress::Progress;
use super::settings::Settings;
use crate::data::framing::Framing;
use crate::data::{epoch_order, TrignoDS, Windows};
use crate::exact::optim::{clip_grad_norm, Adam, AdamConfig, AdamPath, AdamState};
use crate::fast::{self, Backward, BackwardArg};
use crate::model::loss::{batch_loss, evaluate, evaluate_rollout, rollout_loss};
use crate::model::RNN;
use anyhow::{bail, Context, Result};
use std::time::Instant;
use tch::{nn, Device, Tensor};

/// Where a run stands.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Position {
    /// Epochs completed.
    pub epoch: usize,
    /// Batches done in epoch `epoch + 1` (0 at an epoch boundary).
    pub batch: usize,
    /// The sum of those batches' losses.
    pub epoch_loss: f64,
}

/// Everything a run carries from step to step: what a checkpoint holds besides the settings.
pub struct TrainState {
    /// The parameters, in state_dict order.
    pub params: Vec<Tensor>,
    pub adam: Vec<AdamState>,
    pub position: Position,
    pub metrics: Vec<EpochMetrics>,
    pub steps: Vec<StepLoss>,
    /// Seconds of training so far.
    pub elapsed: f64,
    /// The parameters at the epoch of the lowest validation loss so far (with validation).
    pub best: Option<Vec<Tensor>>,
}

/// The epoch of the lowest validation loss (the first, on a tie), if any epoch had one.
pub fn best_epoch(metrics: &[EpochMetrics]) -> Option<usize> {
    let mut best: Option<&EpochMetrics> = None;
    for m in metrics.iter().filter(|m| !m.val_loss.is_nan()) {
        if best.is_none_or(|b| m.val_loss < b.val_loss) {
            best = Some(m);
        }
    }
    best.map(|m| m.epoch)
}

/// Where a new run's weights come from.
pub enum Initial {
    /// PyTorch's init after `torch.manual_seed(settings.seed)`.
    Seeded,
    /// A weights file's tensors, in state_dict order (`--init`).
    Weights(Vec<Tensor>),
}

/// What one optimizer step came to.
pub enum StepOutcome {
    Loss(f64),
    /// A non-finite loss or gradient: the step was not applied, the weights are as they were.
    Diverged(String),
}

/// How `train` ended. Every ending has handed its progress to `save` first.
#[derive(Debug, Clone)]
pub enum Ended {
    Finished,
    /// Stopped by this signal.
    Interrupted(i32),
    /// Stopped before the step that would have made the weights non-finite.
    Diverged {
        epoch: usize,
        step: usize,
        why: String,
    },
}

/// The phases of a step, timed by `bench --profile`.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    /// Slicing the batch from the epoch's windows.
    Data,
    /// The loop over time, to the loss (autograd only; the fast step counts it as backward).
    Forward,
    /// The gradients, and reading the loss.
    Backward,
    /// The finiteness check, clipping, and Adam.
    Optimizer,
}

/// Seconds spent in each phase, when switched on; `lap` costs nothing when off.
#[derive(Debug, Default)]
pub struct Laps {
    last: Option<Instant>,
    pub seconds: [f64; 4],
}

impl Laps {
    pub fn off() -> Laps {
        Laps::default()
    }

    pub fn on() -> Laps {
        Laps { last: Some(Instant::now()), seconds: [0.0; 4] }
    }

    /// The time since the last lap went to `phase`.
    pub fn lap(&mut self, phase: Phase) {
        if let Some(last) = self.last {
            let now = Instant::now();
            self.seconds[phase as usize] += (now - last).as_secs_f64();
            self.last = Some(now);
        }
    }
}

/// Batches of `--batch-size` windows in an epoch of `n_train`, the last one smaller.
fn batches_per_epoch(n_train: usize, settings: &Settings) -> usize {
    n_train.div_ceil(settings.batch_size as usize)
}

pub struct Trainer {
    pub settings: Settings,
    pub device: Device,
    _vs: nn::VarStore,
    pub rnn: RNN,
    optimizer: Adam,
    /// Who computes the gradients: the fast step only once it gave autograd's bits on this
    /// run's own batches (`fast_agrees`).
    pub backward: Backward,
    /// Why the fast step does not run, when it was asked for (or MKL is missing).
    pub fast_note: Option<String>,
    /// How the windows are put to the model (`--target`, `--window-norm`).
    pub framing: Framing,
    /// The training windows, framed; the others as they are. With `--rollout`, the training and
    /// validation windows as they are, each with its next points (framed as the loop rolls).
    train: TrignoDS,
    validation: TrignoDS,
    test: TrignoDS,
    /// The parameters at the best validation epoch so far (`TrainState::best`).
    best: Option<Vec<Tensor>>,
    pub position: Position,
    pub metrics: Vec<EpochMetrics>,
    pub steps: Vec<StepLoss>,
    elapsed_before: f64,
    started: Instant,
}

impl Trainer {
    /// A new run on `windows`.
    pub fn start(settings: &Settings, windows: &Windows, initial: Initial, backward: BackwardArg) -> Result<Trainer> {
        Trainer::new(settings, windows, backward, |rnn| match initial {
            Initial::Seeded => {
                rnn.init(settings.seed, settings.yt_init);
                Ok(())
            }
            Initial::Weights(params) => rnn.copy_parameters(&params),
        })
    }

    /// A run going on from `state`, checked against the settings before anything is restored.
    pub fn resume(settings: &Settings, windows: &Windows, state: TrainState, backward: BackwardArg) -> Result<Trainer> {
        let per_epoch = batches_per_epoch(windows.n_train, settings);
        let Position { epoch, batch, .. } = state.position;
        let done_steps = epoch * per_epoch + batch;
        let past_the_end = epoch > settings.epochs as usize || (epoch == settings.epochs as usize && batch > 0);
        if past_the_end || batch > per_epoch || state.metrics.len() != epoch || state.steps.len() != done_steps {
            bail!(
                "the checkpoint's position (epoch {epoch}, batch {batch}, {} epochs and {} steps of history) does not fit a run of {} epochs of {per_epoch} batches",
                state.metrics.len(),
                state.steps.len(),
                settings.epochs
            );
        }
        let mut t = Trainer::new(settings, windows, backward, |rnn| {
            rnn.copy_parameters(&state.params).context("restoring the checkpoint's weights")
        })?;
        t.optimizer.restore(state.adam).context("restoring the checkpoint's Adam state")?;
        (t.position, t.metrics, t.steps, t.elapsed_before) = (state.position, state.metrics, state.steps, state.elapsed);
        if best_epoch(&t.metrics).is_some() != state.best.is_some() {
            bail!("the checkpoint's validation history and its best weights do not go together");
        }
        t.best = state.best.map(|b| b.iter().map(|p| p.to_device(t.device)).collect());
        Ok(t)
    }

    /// The model initialised on the CPU (as PyTorch would, or from a file), then moved.
    fn new(settings: &Settings, windows: &Windows, backward: BackwardArg, init: impl FnOnce(&mut RNN) -> Result<()>) -> Result<Trainer> {
        let device = resolve_device(settings.device)?;
        tch::set_num_threads(settings.threads);
        let mut vs = nn::VarStore::new(Device::Cpu);
        let mut rnn = RNN::new(&vs.root(), windows.series.features() as i64, settings.hidden, settings.activation);
        init(&mut rnn)?;
        vs.set_device(device);
        let params: Vec<&Tensor> = rnn.named_parameters().iter().map(|(_, t)| *t).collect();
        let optimizer = Adam::new(&params, AdamConfig::with_lr(settings.lr));
        let framing = settings.framing(windows)?;
        // (--rollout: the windows as they are, each with its next points, framed as it rolls)
        let rollout = settings.rollout as usize;
        let (train, validation, test) = match rollout {
            1 => (framed(&windows.training(), &framing), windows.validation(), windows.test()),
            h => (windows.ahead(0, windows.n_train, h), windows.ahead(windows.n_train, windows.n_val, h), windows.test()),
        };
        let (train, validation, test) = (train.to_device(device), validation.to_device(device), test.to_device(device));
        let mut t = Trainer {
            settings: settings.clone(),
            device,
            _vs: vs,
            rnn,
            optimizer,
            backward: Backward::Autograd,
            fast_note: None,
            framing,
            train,
            validation,
            test,
            best: None,
            position: Position::default(),
            metrics: vec![],
            steps: vec![],
            elapsed_before: 0.0,
            started: Instant::now(),
        };
        t.choose_backward(backward);
        t.started = Instant::now();
        Ok(t)
    }

    /// The fast step where it applies and agrees with autograd, unless --backward autograd.
    /// A note says why not when it was asked for, or when this libtorch has no MKL.
    fn choose_backward(&mut self, asked: BackwardArg) {
        if asked == BackwardArg::Autograd {
            return;
        }
        let s = &self.settings;
        let rollout =
            (s.rollout > 1).then_some(fast::WhyNot::NotThisRun("--rollout trains through the closed loop, which it does not roll"));
        let why = match rollout.or_else(|| fast::why_not(s.activation, s.loss, self.device)) {
            None if self.fast_agrees() => {
                self.backward = Backward::Fast;
                return;
            }
            None => fast::WhyNot::NotThisRun("it did not give autograd's bits on this run's batches"),
            Some(why) => why,
        };
        if asked == BackwardArg::Fast || why == fast::WhyNot::NoMkl {
            self.fast_note = Some(format!("the fast step is not used ({why}); training with autograd, the same bits, slower"));
        }
    }

    /// Whether the fast step gives autograd's bits, loss and gradients, on this run's first
    /// batch and on its last (which may be smaller). This also leaves every gradient defined,
    /// as `Adam::set_grad_values` needs.
    fn fast_agrees(&self) -> bool {
        let batches = self.batches(1);
        let ends = if batches.is_empty() { vec![] } else { vec![0, batches.len() - 1] };
        ends.into_iter().map(|k| batches.get(k)).all(|b| fast::agrees_with_autograd(&self.rnn, &b.X, &b.Y))
    }

    pub fn batches_per_epoch(&self) -> usize {
        batches_per_epoch(self.train.len(), &self.settings)
    }

    /// Epoch `epoch`'s batches: its windows in its order, each batch gathered when it is asked
    /// for, so that no copy of the epoch's windows is made.
    pub fn batches(&self, epoch: usize) -> Batches {
        let order = epoch_order(self.train.len(), !self.settings.no_shuffle, self.settings.seed, epoch).to_device(self.device);
        Batches { train: self.train.slice(0, self.train.len()), order, size: self.settings.batch_size as usize }
    }

    /// One optimizer step on one batch: the loop over time to the loss, the gradients, (clipping),
    /// Adam. Refuses a non-finite loss or gradient before it touches the weights.
    pub fn step(&mut self, batch: &TrignoDS, laps: &mut Laps) -> Result<StepOutcome> {
        let fast = match self.backward {
            Backward::Fast => fast::loss_and_grads(self.optimizer.params(), &batch.X, &batch.Y),
            Backward::Autograd => None,
        };
        let loss = match fast {
            Some((loss, grads)) => {
                self.optimizer.set_grad_values(&grads)?;
                loss
            }
            None => {
                let loss = match self.settings.rollout {
                    1 => batch_loss(&self.rnn, &batch.X, &batch.Y, self.settings.loss),
                    _ => rollout_loss(&self.rnn, &self.framing, &batch.X, &batch.Y),
                };
                laps.lap(Phase::Forward);
                self.optimizer.zero_grad();
                loss.backward();
                loss
            }
        };
        let loss = f64::try_from(&loss).context("reading the loss")?;
        laps.lap(Phase::Backward);
        if !loss.is_finite() {
            return Ok(StepOutcome::Diverged(format!("the loss is {loss}")));
        }
        if !self.optimizer.grads_finite() {
            return Ok(StepOutcome::Diverged("a gradient is not finite".into()));
        }
        if let Some(max_norm) = self.settings.clip_grad_norm {
            clip_grad_norm(self.optimizer.params(), max_norm);
        }
        if !self.optimizer.step() {
            return Ok(StepOutcome::Diverged("Adam's step would make a weight non-finite".into()));
        }
        laps.lap(Phase::Optimizer);
        Ok(StepOutcome::Loss(loss))
    }

    /// Closes epoch `epoch`: its train loss, the validation and test losses, the clock; and keeps
    /// the parameters when the validation loss is the lowest yet.
    fn end_epoch(&mut self, epoch: usize) -> Result<EpochMetrics> {
        let v = &self.validation;
        let val_loss = match (v.is_empty(), self.settings.rollout) {
            (true, _) => f64::NAN,
            (false, 1) => evaluate(&self.rnn, &self.framing, &v.X, &v.Y)?,
            (false, _) => evaluate_rollout(&self.rnn, &self.framing, v)?,
        };
        let m = EpochMetrics {
            epoch,
            train_loss: self.position.epoch_loss / self.batches_per_epoch() as f64,
            val_loss,
            test_loss: self.test_loss()?,
            seconds: self.elapsed(),
        };
        self.metrics.push(m);
        if best_epoch(&self.metrics) == Some(epoch) {
            self.best = Some(tch::no_grad(|| self.rnn.named_parameters().iter().map(|(_, p)| p.copy()).collect()));
        }
        self.position = Position { epoch, batch: 0, epoch_loss: 0.0 };
        Ok(m)
    }

    /// The epoch whose parameters the run's outputs hold: the best validation epoch, else the last.
    pub fn kept_epoch(&self) -> usize {
        best_epoch(&self.metrics).unwrap_or(self.position.epoch)
    }

    /// The parameters the run's outputs hold (state_dict order): the best validation epoch's, else
    /// the current ones.
    pub fn kept_params(&self) -> Vec<Tensor> {
        match &self.best {
            Some(best) => best.iter().map(Tensor::shallow_clone).collect(),
            None => self.rnn.named_parameters().iter().map(|(_, p)| p.detach()).collect(),
        }
    }

    /// Puts the kept parameters into the model, for the outputs of a finished run.
    pub fn keep_best(&mut self) -> Result<()> {
        let kept = self.kept_params();
        self.rnn.copy_parameters(&kept)
    }

    /// Whether --patience epochs have passed without a lower validation loss.
    fn patience_spent(&self) -> bool {
        let patience = self.settings.patience as usize;
        patience > 0 && best_epoch(&self.metrics).is_some_and(|best| self.position.epoch - best >= patience)
    }

    /// Which implementation of Adam's step runs.
    pub fn adam_path(&self) -> AdamPath {
        self.optimizer.path()
    }

    /// The one-step-ahead MSE of the held-out tail now.
    pub fn test_loss(&self) -> Result<f64> {
        evaluate(&self.rnn, &self.framing, &self.test.X, &self.test.Y)
    }

    /// Seconds of training, across resumes.
    pub fn elapsed(&self) -> f64 {
        self.elapsed_before + self.started.elapsed().as_secs_f64()
    }

    /// What a checkpoint saves (the tensors shared, not copied).
    pub fn state(&self) -> TrainState {
        TrainState {
            params: self.rnn.named_parameters().iter().map(|(_, t)| t.detach()).collect(),
            adam: self.optimizer.state().iter().map(AdamState::shallow_clone).collect(),
            position: self.position,
            metrics: self.metrics.clone(),
            steps: self.steps.clone(),
            elapsed: self.elapsed(),
            best: self.best.as_ref().map(|b| b.iter().map(Tensor::shallow_clone).collect()),
        }
    }
}

/// The training windows as the model trains on them (data/framing.rs): framed inputs and targets.
fn framed(train: &TrignoDS, framing: &Framing) -> TrignoDS {
    let framed = framing.frame(&train.X);
    TrignoDS { Y: framed.target(&train.Y), X: framed.inputs }
}

/// One epoch's batches, in its order (the training windows shared, not copied).
pub struct Batches {
    train: TrignoDS,
    order: Tensor,
    size: usize,
}

impl Batches {
    pub fn len(&self) -> usize {
        self.train.len().div_ceil(self.size)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Batch `k`: the windows at its places in the order, gathered.
    pub fn get(&self, k: usize) -> TrignoDS {
        let first = k * self.size;
        let picked = self.order.narrow(0, first as i64, self.size.min(self.train.len() - first) as i64);
        TrignoDS { X: self.train.X.index_select(0, &picked), Y: self.train.Y.index_select(0, &picked) }
    }

    pub fn iter(&self) -> impl Iterator<Item = TrignoDS> + '_ {
        (0..self.len()).map(|k| self.get(k))
    }
}

/// The end of `epoch`: its evaluation, shown. A signal's stop during it: saved where the epoch's
/// steps ended, so that a resume evaluates it first.
fn evaluated(t: &mut Trainer, epoch: usize, progress: &Progress, save: &mut dyn FnMut(&Trainer) -> Result<()>) -> Result<Option<Ended>> {
    match t.end_epoch(epoch) {
        Ok(metrics) => progress.epoch(&metrics),
        Err(e) => {
            let stopped = e.downcast::<crate::signals::Stopped>()?;
            progress.stopping(stopped.signal);
            save(t)?;
            return Ok(Some(Ended::Interrupted(stopped.signal)));
        }
    }
    Ok(None)
}

/// The training loop: the epochs left, each a pass over its batches, one step per batch. The
/// progress goes to `save` every `checkpoint_every` epochs (0: never), at the end, and before
/// returning early on divergence or a stop request.
pub fn run_epochs(
    t: &mut Trainer,
    checkpoint_every: u64,
    stop: &Stop,
    progress: &Progress,
    save: &mut dyn FnMut(&Trainer) -> Result<()>,
) -> Result<Ended> {
    let epochs = t.settings.epochs as usize;
    for epoch in t.position.epoch + 1..=epochs {
        if t.patience_spent() {
            break;
        }
        let batches = t.batches(epoch);
        for k in t.position.batch..batches.len() {
            match t.step(&batches.get(k), &mut Laps::off())? {
                StepOutcome::Loss(loss) => {
                    t.steps.push(StepLoss { epoch, loss });
                    t.position.epoch_loss += loss;
                    t.position.batch += 1;
                }
                StepOutcome::Diverged(why) => {
                    progress.finish();
                    save(t)?;
                    return Ok(Ended::Diverged { epoch, step: t.steps.len() + 1, why });
                }
            }
            if let Some(signal) = stop.requested(t.steps.len() as u64) {
                progress.stopping(signal);
                save(t)?;
                return Ok(Ended::Interrupted(signal));
            }
        }
        if let Some(stopped) = evaluated(t, epoch, progress, save)? {
            return Ok(stopped);
        }
        if checkpoint_every > 0 && epoch % checkpoint_every as usize == 0 && epoch < epochs {
            save(t)?;
        }
    }
    progress.finish();
    save(t)?;
    Ok(Ended::Finished)
}
