//! `--backward manual`: the backward pass written out. Opt-in; the default is libtorch's
//! autograd, as in the blog.
//!
//! At the blog's size a step is a few dozen tiny ATen calls, and what autograd adds around them
//! (recording ~18 graph nodes in the forward, then its engine visiting them: a thread-local
//! state swap, a ready queue and shape checks per node) costs more than the arithmetic. This
//! module makes the calls autograd's engine would make, and nothing else: the derivative
//! formulas of libtorch's derivatives.yaml, with the same arguments and tensor layouts (which
//! choose the same BLAS kernels), in the order the engine runs them, and each parameter's
//! contributions summed in the order they reach it. So the gradients are autograd's to the last
//! bit; `agrees_with_autograd` checks that on the run's first batch, the unit tests on many
//! shapes, and tests/pytorch.rs trains with it against Python.
//!
//! For step t, with data_t = [h_{t-1} : x_t] (no gradient at t = 0: h_{-1} is zeros):
//!   h_t = f(b_h + data_t . W_h^T)     y_t = tanh(b_y + data_t . W_y^T)
//! and dz = the gradient at a layer's pre-activation, autograd's AddmmBackward0 gives
//!   dW = dz^T . data_t   (mm_mat2_backward: W^T is column-major, so grad.t().mm(mat1), then .t())
//!   db = sum over the batch of dz   (the engine's sum_to for the broadcast bias)
//!   d data_t = dz . W   (mm_mat1_backward), whose first H columns are dh_{t-1} (CatBackward0).
//! The engine reaches the steps in reverse time, so every parameter's contributions add up
//! from the last step back: ((g_T + g_T-1) + ...) + g_0.

use crate::model::loss::{batch_loss, loss, truth, LossKind};
use crate::model::{Activation, RNN};
use serde::{Deserialize, Serialize};
use tch::{Reduction, Tensor};

/// Who computes the gradients. Both give the same bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backward {
    /// libtorch's autograd: loss.backward(), as in the blog
    #[default]
    Autograd,
    /// the same derivative formulas called in the engine's order without the engine (faster at small sizes; checked against autograd on the first batch)
    Manual,
}

impl std::fmt::Display for Backward {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Backward::Autograd => "autograd",
            Backward::Manual => "manual",
        })
    }
}

/// The loss of one batch and the gradients of the four parameters, in state_dict order; None
/// where autograd would leave the gradient untouched (W_h and b_h when seq_len is 1).
pub fn loss_and_grads(rnn: &RNN, inputs: &Tensor, targets: &Tensor, kind: LossKind) -> (Tensor, [Option<Tensor>; 4]) {
    tch::no_grad(|| {
        let (wh, wy) = (&rnn.get_ht.ws, &rnn.get_yt.ws);
        // The forward: the model's own loop (without a graph), read back step by step.
        let fw = rnn.unroll(inputs, rnn.zero_hidden(inputs), kind.outputs());
        let value = loss(&fw, targets, kind);
        let steps = fw.steps.len();

        // The gradient reaching each step's MSE: backward()'s seed 1, or under --loss all what
        // MeanBackward0 and StackBackward0 hand each of the `steps` losses: 1 / steps in float.
        let seed = Tensor::ones([], (value.kind(), value.device()));
        let seed = if kind == LossKind::All { seed / steps as f64 } else { seed };

        let (mut gwh, mut gbh, mut gwy, mut gby) = (Sum::default(), Sum::default(), Sum::default(), Sum::default());
        let mut grad_data: Option<Tensor> = None; // d loss / d data_{t+1}
        for t in (0..steps).rev() {
            let (step, mut into_data) = (&fw.steps[t], Sum::default());
            // h_t = f(b_h + data_t . W_h^T): its gradient arrives through data_{t+1}.
            if let Some(g_next) = grad_data.take() {
                let h = step.ht.as_ref().expect("h_t is kept for every step but the last");
                let dh = g_next.narrow(1, 0, rnn.hidden_length);
                let dz = match rnn.activation {
                    Activation::Tanh => Tensor::tanh_backward(&dh, h),
                    Activation::Relu => h.threshold_backward(&dh, 0.0),
                };
                gwh.add(dz.tr().mm(&step.data));
                gbh.add(dz.sum_dim_intlist([0i64].as_slice(), false, None));
                if t > 0 {
                    into_data.add(dz.mm(wh));
                }
            }
            // y_t = tanh(b_y + data_t . W_y^T), when the loss reads it.
            if let Some(y) = &step.yt {
                let dy = y.mse_loss_backward(&seed, &truth(&fw, targets, t), Reduction::Mean);
                let dz = Tensor::tanh_backward(&dy, y);
                gwy.add(dz.tr().mm(&step.data));
                gby.add(dz.sum_dim_intlist([0i64].as_slice(), false, None));
                if t > 0 {
                    into_data.add(dz.mm(wy));
                }
            }
            grad_data = into_data.0;
        }
        (value, [gwh.0, gbh.0, gwy.0, gby.0])
    })
}

/// Contributions to one gradient, added in the order they arrive (as the engine's InputBuffer).
#[derive(Default)]
struct Sum(Option<Tensor>);

impl Sum {
    fn add(&mut self, g: Tensor) {
        self.0 = Some(match self.0.take() {
            None => g,
            Some(acc) => acc + g,
        });
    }
}

/// Whether this module's gradients are autograd's, bit for bit, on one batch. Leaves the
/// parameters' gradients defined and zeroed, ready for `Adam::set_grads`.
pub fn agrees_with_autograd(rnn: &RNN, inputs: &Tensor, targets: &Tensor, kind: LossKind) -> bool {
    let params: Vec<&Tensor> = rnn.named_parameters().iter().map(|(_, p)| *p).collect();
    let zero_grads = || {
        for p in &params {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
    };
    zero_grads();
    let autograd_loss = batch_loss(rnn, inputs, targets, kind);
    autograd_loss.backward();
    let (manual_loss, grads) = loss_and_grads(rnn, inputs, targets, kind);
    let agree = same_bits(&autograd_loss.detach(), &manual_loss)
        && params.iter().zip(&grads).all(|(p, g)| match g {
            Some(g) => same_bits(&p.grad(), g),
            None => !p.grad().defined() || p.grad().count_nonzero(None::<i64>).int64_value(&[]) == 0,
        });
    zero_grads();
    agree
}

/// Same shape and the same float32 bits in every element (NaN included; -0 is not 0).
fn same_bits(a: &Tensor, b: &Tensor) -> bool {
    a.defined() && b.defined() && a.size() == b.size() && a.view_dtype(tch::Kind::Int).equal(&b.view_dtype(tch::Kind::Int))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn, Device, Kind};

    /// Autograd's gradients and ours, for one random batch of a random model.
    fn both(activation: Activation, loss: LossKind, input: i64, hidden: i64, batch: i64, seq_len: i64, seed: u64) -> bool {
        let vs = nn::VarStore::new(Device::Cpu);
        let mut rnn = RNN::new(&vs.root(), input, hidden, activation);
        rnn.init_like_pytorch(seed);
        let (inputs, targets) = crate::seeded(seed + 1, || {
            (Tensor::randn([batch, seq_len, input], (Kind::Float, Device::Cpu)), Tensor::randn([batch, input], (Kind::Float, Device::Cpu)))
        });
        agrees_with_autograd(&rnn, &inputs, &targets, loss)
    }

    #[test]
    fn gradients_are_autograds_bit_for_bit() {
        let mut cases = 0;
        for activation in [Activation::Tanh, Activation::Relu] {
            for loss in [LossKind::Last, LossKind::All] {
                for (input, hidden, batch, seq_len) in [(2, 32, 32, 4), (2, 32, 16, 1), (3, 7, 5, 2), (1, 64, 33, 9), (5, 17, 1, 6)] {
                    for seed in [0, 1] {
                        assert!(
                            both(activation, loss, input, hidden, batch, seq_len, seed),
                            "{activation:?} {loss:?} input {input} hidden {hidden} batch {batch} seq_len {seq_len} seed {seed}"
                        );
                        cases += 1;
                    }
                }
            }
        }
        assert_eq!(cases, 40);
    }

    #[test]
    fn the_comparison_sees_one_ulp_and_the_sign_of_zero() {
        let a = Tensor::from_slice(&[1.0f32, 0.0, 2.5]);
        assert!(same_bits(&a, &a.copy()));
        assert!(!same_bits(&a, &Tensor::from_slice(&[f32::from_bits(1.0f32.to_bits() + 1), 0.0, 2.5])));
        assert!(!same_bits(&a, &Tensor::from_slice(&[1.0f32, -0.0, 2.5])));
        assert!(!same_bits(&a, &a.narrow(0, 0, 2)));
    }
}
