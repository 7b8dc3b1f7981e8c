//! What training minimises, and how a model is scored: `nn.MSELoss` over the loop's outputs.

use super::rnn::RNN;
use crate::data::framing::Framing;
use crate::data::{map_batches, per_worker, TrignoDS, ONE_BATCH};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use tch::{Kind, Reduction, Tensor};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LossKind {
    /// MSE of the final step's output against the target (the blog's choice)
    #[default]
    Last,
    /// mean over steps of the MSE of each step's prediction of its next point
    All,
}

display_as_flag_value!(LossKind);

/// The loss of one batch, from a zero hidden state, recorded for autograd: the final step's MSE
/// (the blog), or the mean over steps of each y_t's MSE against the point after x_t.
pub fn batch_loss(rnn: &RNN, inputs: &Tensor, targets: &Tensor, kind: LossKind) -> Tensor {
    let outputs = rnn.unroll(inputs, rnn.zero_hidden(inputs));
    match kind {
        LossKind::Last => outputs.last().expect("a window has at least one step").mse_loss(targets, Reduction::Mean),
        LossKind::All => {
            let steps = outputs.len() as i64;
            let next = |t: i64| if t + 1 < steps { inputs.select(1, t + 1) } else { targets.shallow_clone() };
            let losses: Vec<Tensor> = outputs.iter().zip(0..).map(|(y, t)| y.mse_loss(&next(t), Reduction::Mean)).collect();
            Tensor::stack(&losses, 0).mean(None)
        }
    }
}

/// The loss of the forecast's closed loop (`--rollout`), recorded for autograd: each window
/// framed, its next point predicted and fed back as the window's newest, as `forecast` rolls it,
/// once per step of `ahead` [windows, steps, features]; the mean squared error, in scaled units,
/// over every step and feature whose target is known (not NaN), the gradient running back
/// through every step (and through the autoregression's anchor, which reads the fed-back points).
pub fn rollout_loss(rnn: &RNN, framing: &Framing, inputs: &Tensor, ahead: &Tensor) -> Tensor {
    let (squares, known) = rollout_sums(rnn, framing, inputs, ahead);
    squares / known
}

/// The closed loop's summed squared errors and the number of known targets they sum over.
fn rollout_sums(rnn: &RNN, framing: &Framing, inputs: &Tensor, ahead: &Tensor) -> (Tensor, Tensor) {
    let known = ahead.isnan().logical_not().to_kind(Kind::Float);
    let truth = ahead.nan_to_num(0.0, None::<f64>, None::<f64>);
    let mut window = inputs.shallow_clone();
    let mut sum = Tensor::zeros([], (Kind::Float, inputs.device()));
    for j in 0..ahead.size()[1] {
        // as predict_next, but recorded for autograd
        let next = predict_next_by(framing, &window, |x| rnn.unroll(x, rnn.zero_hidden(x)).pop().expect("a window has at least one step"));
        sum = sum + ((&next - truth.select(1, j)).square() * known.select(1, j)).sum(Kind::Float);
        window = fed_back(&window, &next);
    }
    (sum, known.sum(Kind::Float))
}

/// The window rolled on one step, as the closed loop rolls it: its oldest point dropped, `next`
/// [windows, features] its newest.
pub fn fed_back(window: &Tensor, next: &Tensor) -> Tensor {
    let seq = window.size()[1];
    Tensor::cat(&[window.narrow(1, 1, seq - 1), next.unsqueeze(1)], 1)
}

/// The closed loop's MSE over a set of windows with their next points (`Windows::ahead`), NaN
/// for none: in one batch, or beyond `ONE_BATCH` windows each batch's sums (computed on every
/// core, a signal's stop read between the batches) added in f64 in batch order.
pub fn evaluate_rollout(rnn: &RNN, framing: &Framing, windows: &TrignoDS) -> Result<f64> {
    let n = windows.len();
    if n == 0 {
        return Ok(f64::NAN);
    }
    let value = |t: Tensor| f64::try_from(t).unwrap_or(f64::NAN);
    if n <= ONE_BATCH {
        return Ok(tch::no_grad(|| value(rollout_loss(rnn, framing, &windows.X, &windows.Y))));
    }
    let states = per_worker(windows.X.device(), || (rnn.shallow_clone(), windows.X.shallow_clone(), windows.Y.shallow_clone()));
    let sums = map_batches(n, states, |(rnn, x, y), first, count| {
        // (autograd's switch is each thread's own)
        let (squares, known) = tch::no_grad(|| rollout_sums(rnn, framing, &x.narrow(0, first, count), &y.narrow(0, first, count)));
        Ok((value(squares), value(known)))
    })?;
    let (squares, known) = sums.iter().fold((0.0, 0.0), |(s, k), (a, b)| (s + a, k + b));
    Ok(squares / known)
}

/// The model's prediction of each window's next point, `inputs` framed as it was trained on
/// them (data/framing.rs) and the output mapped back: [windows, features], in scaled units.
pub fn predict_next(rnn: &RNN, framing: &Framing, inputs: &Tensor) -> Tensor {
    predict_next_by(framing, inputs, |x| rnn.predict(x))
}

/// `predict_next`, the model's `predict` of the framed inputs given (the fast step's, where it
/// gives the same bits).
pub fn predict_next_by(framing: &Framing, inputs: &Tensor, predict: impl FnOnce(&Tensor) -> Tensor) -> Tensor {
    let framed = framing.frame(inputs);
    framed.prediction(&predict(&framed.inputs))
}

/// One-step-ahead MSE of the prediction over a set of windows, in scaled units whatever the
/// framing (NaN for none): in one batch, or beyond `ONE_BATCH` windows the squared errors of
/// each batch summed in f64. Errs only where a signal's stop came between the batches.
pub fn evaluate(rnn: &RNN, framing: &Framing, inputs: &Tensor, targets: &Tensor) -> Result<f64> {
    let n = inputs.size()[0] as usize;
    if n == 0 {
        return Ok(f64::NAN);
    }
    if n <= ONE_BATCH {
        return Ok(f64::try_from(predict_next(rnn, framing, inputs).mse_loss(targets, Reduction::Mean)).unwrap_or(f64::NAN));
    }
    let states = per_worker(inputs.device(), || (rnn.shallow_clone(), inputs.shallow_clone(), targets.shallow_clone()));
    let batches = map_batches(n, states, |(rnn, inputs, targets), first, count| {
        let (x, y) = (inputs.narrow(0, first, count), targets.narrow(0, first, count));
        let squares = (predict_next(rnn, framing, &x) - y).square().to_kind(tch::Kind::Double).sum(tch::Kind::Double);
        Ok(f64::try_from(squares).unwrap_or(f64::NAN))
    });
    let sum = match batches {
        // added in batch order, as one thread would
        Ok(squares) => squares.iter().fold(0.0, |sum, s| sum + s),
        Err(e) if e.is::<crate::signals::Stopped>() => return Err(e),
        Err(_) => f64::NAN,
    };
    Ok(sum / (n as f64 * targets.size()[1] as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::autoregression::{LinearAr, RidgeChoice};
    use crate::data::framing::Target;
    use crate::data::{for_batches, TrignoDS};
    use crate::model::Activation;
    use tch::{nn, Device, Kind};

    /// `--rollout`'s validation beyond one batch: each batch's sums added, over the known targets
    /// of every batch (a NaN target left out), the loss of the whole set at once to float32's
    /// rounding; and a rollout of one step is the one-step MSE.
    #[test]
    fn the_closed_loops_validation_adds_its_batches_over_their_known_targets() {
        let vs = nn::VarStore::new(Device::Cpu);
        let mut rnn = RNN::new(&vs.root(), 1, 3, Activation::Tanh);
        rnn.init_like_pytorch(7);
        let n = ONE_BATCH as i64 + 100;
        let (x, y) = crate::seeded(5, || {
            (Tensor::randn([n, 4, 1], (Kind::Float, Device::Cpu)), Tensor::randn([n, 3, 1], (Kind::Float, Device::Cpu)))
        });
        // the last batch's windows know only their first point ahead
        let y = y.copy();
        let _ = y.narrow(0, ONE_BATCH as i64, 100).narrow(1, 1, 2).fill_(f64::NAN);
        let windows = TrignoDS { X: x.shallow_clone(), Y: y.shallow_clone() };
        let batched = evaluate_rollout(&rnn, &Framing::BLOG, &windows).unwrap();
        let whole = tch::no_grad(|| f64::try_from(rollout_loss(&rnn, &Framing::BLOG, &x, &y)).unwrap());
        assert!((batched - whole).abs() < 1e-5 * whole, "{batched} against {whole}");
        let one = TrignoDS { X: x.narrow(0, 0, 50), Y: y.narrow(0, 0, 50).narrow(1, 0, 1) };
        let mse = evaluate(&rnn, &Framing::BLOG, &one.X, &one.Y.select(1, 0)).unwrap();
        assert!((evaluate_rollout(&rnn, &Framing::BLOG, &one).unwrap() - mse).abs() < 1e-6 * mse);
    }

    /// Windows shared out between threads give the bits one thread gives, batch for batch: what
    /// predictions.csv, the losses and the linear AR's sums rely on.
    #[test]
    fn batches_on_other_threads_give_the_same_bits() {
        let vs = nn::VarStore::new(Device::Cpu);
        let mut rnn = RNN::new(&vs.root(), 2, 16, Activation::Tanh);
        rnn.init_like_pytorch(3);
        let n = 2 * ONE_BATCH + 1234;
        let (x, y) = crate::seeded(4, || {
            (Tensor::randn([n as i64, 5, 2], (Kind::Float, Device::Cpu)), Tensor::randn([n as i64, 2], (Kind::Float, Device::Cpu)))
        });
        let framing = Framing {
            target: Target::Linear,
            linear: Some(std::sync::Arc::new(
                LinearAr::fit(
                    &TrignoDS { X: x.shallow_clone(), Y: y.shallow_clone() },
                    &TrignoDS { X: x.narrow(0, 0, 0), Y: y.narrow(0, 0, 0) },
                    RidgeChoice::Lowest,
                )
                .unwrap(),
            )),
            ..Framing::BLOG
        };
        // one thread, here, batch after batch
        let mut alone: Vec<f32> = vec![];
        for (first, count) in crate::data::batches_of(n) {
            alone.extend(Vec::<f32>::try_from(predict_next(&rnn, &framing, &x.narrow(0, first, count)).flatten(0, -1)).unwrap());
        }
        // three threads, each with its own handles
        let states = (0..3).map(|_| (rnn.shallow_clone(), x.shallow_clone())).collect();
        let mut shared: Vec<f32> = vec![];
        let predict = |(rnn, x): &(RNN, Tensor), first, count| {
            Ok(Vec::<f32>::try_from(predict_next(rnn, &framing, &x.narrow(0, first, count)).flatten(0, -1))?)
        };
        for_batches(n, states, predict, |b| {
            shared.extend(b);
            Ok(())
        })
        .unwrap();
        assert_eq!(alone.len(), n * 2);
        assert!(
            alone.len() == shared.len() && alone.iter().zip(&shared).all(|(a, b)| a.to_bits() == b.to_bits()),
            "the predictions differ"
        );
    }
}
