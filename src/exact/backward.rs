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

use super::kernels::{self, values, values_mut};
use crate::model::loss::{batch_loss, loss, truth, LossKind};
use crate::model::{Activation, RNN};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Reduction, Tensor};

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
/// The gradients of W_h, b_h, W_y, b_y (None where the loss does not reach a parameter), as
/// tensors or, from `direct`, as plain values.
pub enum Grads {
    Tensors([Option<Tensor>; 4]),
    Values([Option<Vec<f32>>; 4]),
}

impl Grads {
    /// As tensors shaped like `params`.
    pub fn tensors(self, params: &[&Tensor]) -> [Option<Tensor>; 4] {
        match self {
            Grads::Tensors(t) => t,
            Grads::Values(v) => {
                let mut i = 0;
                v.map(|g| {
                    let shape = params[i].size();
                    i += 1;
                    g.map(|g| Tensor::from_slice(&g).view(shape.as_slice()))
                })
            }
        }
    }
}

/// `--backward manual`: the loss and the gradients. On the CPU with one thread, for the blog's
/// model (tanh, `--loss last`, float32), the step's kernels are called directly (`Direct`);
/// otherwise through ATen (`loss_and_grads`). (With more threads ATen splits the elementwise
/// work between them, and `Direct`, which does not, was 14% slower at hidden 1024 / batch 256.)
pub fn manual(rnn: &RNN, inputs: &Tensor, targets: &Tensor, kind: LossKind) -> (Tensor, Grads) {
    if kind == LossKind::Last && rnn.activation == Activation::Tanh && tch::get_num_threads() == 1 {
        if let Some(step) = Direct::forward(rnn, inputs) {
            if let Some(grads) = step.backward(rnn, targets) {
                return (step.loss(targets), Grads::Values(grads));
            }
        }
    }
    let (value, grads) = loss_and_grads(rnn, inputs, targets, kind);
    (value, Grads::Tensors(grads))
}

/// The blog's step with each kernel called as ATen calls it (exact::kernels): `RNN::unroll` and
/// `loss_and_grads` for tanh and `--loss last`, the same formulas in the same order, without the
/// ~50 ATen calls around them. Every run checks it against autograd on its first batch, and the
/// unit tests below on many shapes.
struct Direct {
    rows: usize,
    /// data_t = [h_{t-1} : x_t], [rows, hidden + features], for every step.
    data: Vec<Vec<f32>>,
    /// h_t for every step but the last (which reads only y).
    h: Vec<Vec<f32>>,
    /// The last step's y, [rows, features].
    y: Vec<f32>,
}

impl Direct {
    /// `RNN::unroll` from zeros, keeping what the backward reads.
    fn forward(rnn: &RNN, inputs: &Tensor) -> Option<Direct> {
        let x = values(inputs)?;
        let (wh, bh) = (values(&rnn.get_ht.ws)?, values(rnn.get_ht.bs.as_ref()?)?);
        let (wy, by) = (values(&rnn.get_yt.ws)?, values(rnn.get_yt.bs.as_ref()?)?);
        let [rows, steps, f] = <[i64; 3]>::try_from(inputs.size()).ok()?.map(|v| v as usize);
        let (h, k) = (bh.len(), bh.len() + f);
        if rows == 0 || steps == 0 || wy.len() != f * k {
            return None;
        }
        let mut out = Direct { rows, data: Vec::with_capacity(steps), h: Vec::with_capacity(steps), y: vec![0f32; rows * f] };
        let mut z = vec![0f32; rows * h];
        for t in 0..steps {
            // torch.concat((hiddens, inputs), dim=1), hiddens zeros at t = 0
            let mut data = vec![0f32; rows * k];
            for (r, row) in data.chunks_exact_mut(k).enumerate() {
                if let Some(prev) = out.h.last() {
                    row[..h].copy_from_slice(&prev[r * h..(r + 1) * h]);
                }
                row[h..].copy_from_slice(&x[(r * steps + t) * f..(r * steps + t + 1) * f]);
            }
            if t + 1 < steps {
                kernels::linear(bh, &data, wh, &mut z);
                let mut ht = vec![0f32; rows * h];
                kernels::tanh(&z, &mut ht);
                out.h.push(ht);
            } else {
                let mut zy = vec![0f32; rows * f];
                kernels::linear(by, &data, wy, &mut zy);
                kernels::tanh(&zy, &mut out.y);
            }
            out.data.push(data);
        }
        Some(out)
    }

    /// The loss, by ATen's own reduction: `nn.MSELoss()(y, targets)`.
    fn loss(&self, targets: &Tensor) -> Tensor {
        let y = Tensor::from_slice(&self.y).view([self.rows as i64, -1]);
        y.mse_loss(targets, Reduction::Mean)
    }

    /// `loss_and_grads`'s backward: W_h, b_h, W_y, b_y's gradients (None for W_h and b_h when
    /// one step leaves the hidden layer out of the loss).
    fn backward(&self, rnn: &RNN, targets: &Tensor) -> Option<[Option<Vec<f32>>; 4]> {
        let (rows, steps) = (self.rows, self.data.len());
        let (wh, wy) = (values(&rnn.get_ht.ws)?, values(&rnn.get_yt.ws)?);
        let (h, f) = (rnn.hidden_length as usize, self.y.len() / rows);
        let k = h + f;
        // d loss / d y, then through tanh: ATen's mse_loss_backward with the seed 1, tanh_backward.
        let mut dy = vec![0f32; rows * f];
        kernels::mse_loss_backward(1.0, &self.y, values(targets)?, &mut dy);
        let mut dz_y = Tensor::empty([rows as i64, f as i64], (Kind::Float, Device::Cpu));
        let dz = values_mut(&mut dz_y);
        kernels::tanh_backward(&dy, &self.y, dz);
        let mut g_wy = vec![0f32; f * k];
        kernels::weight_grad(dz, &self.data[steps - 1], f, &mut g_wy);
        let mut g_data = vec![0f32; rows * k];
        if steps > 1 {
            kernels::input_grad(dz, wy, f, &mut g_data);
        }
        let g_by = bias_grad(&dz_y)?;
        // The hidden layer, from the second-to-last step back to the first.
        let (mut g_wh, mut g_bh): (Option<Vec<f32>>, Option<Vec<f32>>) = (None, None);
        let mut dz_h = Tensor::empty([rows as i64, h as i64], (Kind::Float, Device::Cpu));
        let (mut dh, mut w_grad) = (vec![0f32; rows * h], vec![0f32; h * k]);
        for t in (0..steps - 1).rev() {
            for (row, g) in dh.chunks_exact_mut(h).zip(g_data.chunks_exact(k)) {
                row.copy_from_slice(&g[..h]); // d data_{t+1}'s first H columns (CatBackward0's narrow)
            }
            let dz = values_mut(&mut dz_h);
            kernels::tanh_backward(&dh, &self.h[t], dz);
            kernels::weight_grad(dz, &self.data[t], h, &mut w_grad);
            accumulate(&mut g_wh, &w_grad);
            if t > 0 {
                kernels::input_grad(dz, wh, h, &mut g_data);
            }
            accumulate(&mut g_bh, &bias_grad(&dz_h)?);
        }
        Some([g_wh, g_bh, Some(g_wy), Some(g_by)])
    }
}

/// The bias gradient: the sum over the batch, by ATen's own reduction (the engine's `sum_to`).
fn bias_grad(dz: &Tensor) -> Option<Vec<f32>> {
    Vec::try_from(dz.sum_dim_intlist([0i64].as_slice(), false, None)).ok()
}

/// `acc = acc + g`, or `g` for the first contribution.
fn accumulate(acc: &mut Option<Vec<f32>>, g: &[f32]) {
    match acc {
        Some(a) => kernels::add_into(a, g),
        None => *acc = Some(g.to_vec()),
    }
}

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
    let (manual_loss, grads) = manual(rnn, inputs, targets, kind);
    let grads = grads.tensors(&params);
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
        // the blog's model takes the direct kernels, the others ATen's calls
        let direct = matches!(manual(&rnn, &inputs, &targets, loss).1, Grads::Values(_));
        assert_eq!(direct, activation == Activation::Tanh && loss == LossKind::Last, "{activation:?} {loss:?}");
        agrees_with_autograd(&rnn, &inputs, &targets, loss)
    }

    #[test]
    fn gradients_are_autograds_bit_for_bit() {
        tch::set_num_threads(1); // as training does by default: the direct kernels' condition
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
