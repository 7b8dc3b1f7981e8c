//! The blog's step without autograd's engine: which backward runs, and the fast forward and backward that give libtorch's bits.

use super::kernels::{values, values_mut, Mkl};
use crate::model::loss::{batch_loss, LossKind};
use crate::model::{Activation, RNN};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Reduction, Tensor};

/// `--backward`: who computes the gradients. Every choice gives the same bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BackwardArg {
    /// the fast step where it applies and gave autograd's bits on this run's batches, else autograd
    #[default]
    Auto,
    /// libtorch's autograd: loss.backward(), as in the blog
    Autograd,
    /// as auto, with a note when autograd runs instead
    #[value(alias = "manual")]
    Fast,
}

/// Who computed a run's gradients (config.json's `backward`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backward {
    #[default]
    Autograd,
    /// Runs before 0.3 called it `manual`.
    #[serde(alias = "manual")]
    Fast,
}

impl std::fmt::Display for Backward {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Backward::Autograd => "autograd",
            Backward::Fast => "fast",
        })
    }
}

/// Why the fast step does not train a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhyNot {
    /// The libtorch loaded exports no MKL: worth a note on every run it would have served.
    NoMkl,
    /// The run is not the blog's step on one CPU thread, or the step did not agree.
    NotThisRun(&'static str),
}

impl std::fmt::Display for WhyNot {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            WhyNot::NoMkl => "this libtorch exports no MKL (sgemm_, vmsTanh)",
            WhyNot::NotThisRun(why) => why,
        })
    }
}

/// Why the fast step cannot train this run; None when it can (if it agrees with autograd).
pub fn why_not(activation: Activation, loss: LossKind, device: Device) -> Option<WhyNot> {
    let other = |why| Some(WhyNot::NotThisRun(why));
    if super::kernels::mkl().is_none() {
        Some(WhyNot::NoMkl)
    } else if device != Device::Cpu {
        other("it runs on the CPU only")
    } else if activation != Activation::Tanh || loss != LossKind::Last {
        other("it computes the blog's model only (--activation tanh, --loss last)")
    } else if tch::get_num_threads() != 1 {
        // ATen splits elementwise work between threads, these kernels do not (14% slower at
        // hidden 1024 / batch 256 on two threads).
        other("it runs on one thread only (--threads 1)")
    } else {
        None
    }
}

/// The gradients of W_h, b_h, W_y, b_y (state_dict order) as plain values; None where autograd
/// leaves a gradient untouched (W_h and b_h when seq_len is 1).
pub type Grads = [Option<Vec<f32>>; 4];

/// The loss of one batch and its gradients, for the parameters `params` (state_dict order: W_h,
/// b_h, W_y, b_y). None when the tensors are not contiguous float32 on the CPU, or MKL is absent.
pub fn loss_and_grads(params: &[Tensor], inputs: &Tensor, targets: &Tensor) -> Option<(Tensor, Grads)> {
    let mkl = super::kernels::mkl()?;
    let [wh, bh, wy, by] = <&[Tensor; 4]>::try_from(params).ok()?;
    let weights = Weights { wh: values(wh)?, bh: values(bh)?, wy: values(wy)?, by: values(by)? };
    let step = Forward::of(mkl, &weights, inputs)?;
    let grads = step.backward(mkl, &weights, targets)?;
    Some((step.loss(targets), grads))
}

/// The model's prediction of each window's next point (`RNN::predict`), computed as the fast
/// step's forward computes it (the kernels ATen calls, in the same order) without keeping what a
/// backward reads, nor the y of the steps before the last (no y feeds an h). None where the fast
/// step does not apply; where it does, `predicts_as_libtorch` says whether it gave libtorch's bits.
pub fn predict(rnn: &RNN, inputs: &Tensor) -> Option<Tensor> {
    if why_not(rnn.activation, LossKind::Last, inputs.device()).is_some() {
        return None;
    }
    let mkl = super::kernels::mkl()?;
    let params: Vec<Tensor> = rnn.named_parameters().iter().map(|(_, p)| p.detach()).collect();
    let [wh, bh, wy, by] = <&[Tensor; 4]>::try_from(params.as_slice()).ok()?;
    let w = Weights { wh: values(wh)?, bh: values(bh)?, wy: values(wy)?, by: values(by)? };
    let inputs = inputs.contiguous();
    let x = values(&inputs)?;
    let [rows, steps, f] = <[i64; 3]>::try_from(inputs.size()).ok()?.map(|v| v as usize);
    let (h, k) = (w.bh.len(), w.bh.len() + f);
    if rows == 0 || steps == 0 || w.wy.len() != f * k || w.wh.len() != h * k || w.by.len() != f {
        return None;
    }
    let (mut data, mut z, mut ht, mut y) = (vec![0f32; rows * k], vec![0f32; rows * h], vec![0f32; rows * h], vec![0f32; rows * f]);
    for t in 0..steps {
        concat(&mut data, (t > 0).then_some(&ht[..]), x, t, (steps, f));
        if t + 1 < steps {
            super::kernels::linear(mkl, w.bh, &data, w.wh, &mut z);
            super::kernels::tanh(mkl, &z, &mut ht);
        } else {
            let mut zy = vec![0f32; rows * f];
            super::kernels::linear(mkl, w.by, &data, w.wy, &mut zy);
            super::kernels::tanh(mkl, &zy, &mut y);
        }
    }
    Some(Tensor::from_slice(&y).view([rows as i64, f as i64]))
}

/// data_t = [h_{t-1} : x_t] for every window, `torch.concat((hiddens, inputs), dim=1)`:
/// `data` [rows, h + f], `hidden` h_{t-1} [rows, h] (None at t = 0: `data`'s zeros stay), `x` the
/// windows [rows, steps, f].
fn concat(data: &mut [f32], hidden: Option<&[f32]>, x: &[f32], t: usize, (steps, f): (usize, usize)) {
    let rows = x.len() / (steps * f);
    let k = data.len() / rows;
    let h = k - f;
    for (r, row) in data.chunks_exact_mut(k).enumerate() {
        if let Some(prev) = hidden {
            row[..h].copy_from_slice(&prev[r * h..(r + 1) * h]);
        }
        row[h..].copy_from_slice(&x[(r * steps + t) * f..(r * steps + t + 1) * f]);
    }
}

/// Whether `predict` gives `RNN::predict`'s bits on `inputs`.
pub fn predicts_as_libtorch(rnn: &RNN, inputs: &Tensor) -> bool {
    predict(rnn, inputs).is_some_and(|fast| same_bits(&rnn.predict(inputs), &fast))
}

struct Weights<'a> {
    wh: &'a [f32],
    bh: &'a [f32],
    wy: &'a [f32],
    by: &'a [f32],
}

/// The forward pass from zeros, keeping what the backward reads.
struct Forward {
    rows: usize,
    /// data_t = [h_{t-1} : x_t], [rows, hidden + features], for every step.
    data: Vec<Vec<f32>>,
    /// h_t for every step but the last (the loss reads only its y).
    h: Vec<Vec<f32>>,
    /// The last step's y, [rows, features].
    y: Vec<f32>,
}

impl Forward {
    fn of(mkl: &Mkl, w: &Weights, inputs: &Tensor) -> Option<Forward> {
        let x = values(inputs)?;
        let [rows, steps, f] = <[i64; 3]>::try_from(inputs.size()).ok()?.map(|v| v as usize);
        let (h, k) = (w.bh.len(), w.bh.len() + f);
        if rows == 0 || steps == 0 || w.wy.len() != f * k || w.wh.len() != h * k || w.by.len() != f {
            return None;
        }
        let mut out = Forward { rows, data: Vec::with_capacity(steps), h: Vec::with_capacity(steps), y: vec![0f32; rows * f] };
        let mut z = vec![0f32; rows * h];
        for t in 0..steps {
            let mut data = vec![0f32; rows * k];
            concat(&mut data, out.h.last().map(|h| &h[..]), x, t, (steps, f));
            if t + 1 < steps {
                super::kernels::linear(mkl, w.bh, &data, w.wh, &mut z);
                let mut ht = vec![0f32; rows * h];
                super::kernels::tanh(mkl, &z, &mut ht);
                out.h.push(ht);
            } else {
                let mut zy = vec![0f32; rows * f];
                super::kernels::linear(mkl, w.by, &data, w.wy, &mut zy);
                super::kernels::tanh(mkl, &zy, &mut out.y);
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

    /// The gradients, from the loss back to the first step.
    fn backward(&self, mkl: &Mkl, w: &Weights, targets: &Tensor) -> Option<Grads> {
        let (rows, steps) = (self.rows, self.data.len());
        let (h, f) = (w.bh.len(), self.y.len() / rows);
        let k = h + f;
        // d loss / d y, then through tanh: ATen's mse_loss_backward with the seed 1, tanh_backward.
        let mut dy = vec![0f32; rows * f];
        super::kernels::mse_loss_backward(1.0, &self.y, values(targets)?, &mut dy);
        let mut dz_y = Tensor::empty([rows as i64, f as i64], (Kind::Float, Device::Cpu));
        let dz = values_mut(&mut dz_y);
        super::kernels::tanh_backward(&dy, &self.y, dz);
        let mut g_wy = vec![0f32; f * k];
        super::kernels::weight_grad(mkl, dz, &self.data[steps - 1], f, &mut g_wy);
        let mut g_data = vec![0f32; rows * k];
        if steps > 1 {
            super::kernels::input_grad(mkl, dz, w.wy, f, &mut g_data);
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
            super::kernels::tanh_backward(&dh, &self.h[t], dz);
            super::kernels::weight_grad(mkl, dz, &self.data[t], h, &mut w_grad);
            accumulate(&mut g_wh, &w_grad);
            if t > 0 {
                super::kernels::input_grad(mkl, dz, w.wh, h, &mut g_data);
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

/// `acc = acc + g`, or `g` for the first contribution (the engine's InputBuffer).
fn accumulate(acc: &mut Option<Vec<f32>>, g: &[f32]) {
    match acc {
        Some(a) => super::kernels::add_into(a, g),
        None => *acc = Some(g.to_vec()),
    }
}

/// Whether the fast step gives autograd's loss and gradients, bit for bit, on one batch of the
/// blog's model. Leaves the parameters' gradients defined and zeroed, ready for the optimizer.
pub fn agrees_with_autograd(rnn: &RNN, inputs: &Tensor, targets: &Tensor) -> bool {
    let params: Vec<Tensor> = rnn.named_parameters().iter().map(|(_, p)| p.shallow_clone()).collect();
    let zero_grads = || {
        for p in &params {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
    };
    zero_grads();
    let autograd_loss = batch_loss(rnn, inputs, targets, LossKind::Last);
    autograd_loss.backward();
    let agree = match loss_and_grads(&params, inputs, targets) {
        None => false,
        Some((loss, grads)) => {
            same_bits(&autograd_loss.detach(), &loss)
                && params.iter().zip(&grads).all(|(p, g)| match g {
                    Some(g) => same_bits(&p.grad(), &Tensor::from_slice(g).view(p.size().as_slice())),
                    None => !p.grad().defined() || p.grad().count_nonzero(None::<i64>).int64_value(&[]) == 0,
                })
        }
    };
    zero_grads();
    agree
}

/// Same shape and the same float32 bits in every element (NaN included; -0 is not 0).
fn same_bits(a: &Tensor, b: &Tensor) -> bool {
    a.defined() && b.defined() && a.size() == b.size() && a.view_dtype(Kind::Int).equal(&b.view_dtype(Kind::Int))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn;

    #[test]
    fn gradients_are_autograds_bit_for_bit() {
        tch::set_num_threads(1);
        let mut cases = 0;
        for (input, hidden, batch, seq_len) in
            [(2, 32, 32, 4), (2, 32, 16, 1), (3, 7, 5, 2), (1, 64, 33, 9), (5, 17, 1, 6), (2, 256, 128, 4)]
        {
            for seed in [0, 1] {
                let vs = nn::VarStore::new(Device::Cpu);
                let mut rnn = RNN::new(&vs.root(), input, hidden, Activation::Tanh);
                rnn.init_like_pytorch(seed);
                let (inputs, targets) = crate::seeded(seed + 1, || {
                    (
                        Tensor::randn([batch, seq_len, input], (Kind::Float, Device::Cpu)),
                        Tensor::randn([batch, input], (Kind::Float, Device::Cpu)),
                    )
                });
                assert!(
                    agrees_with_autograd(&rnn, &inputs, &targets),
                    "input {input} hidden {hidden} batch {batch} seq_len {seq_len} seed {seed}"
                );
                cases += 1;
            }
        }
        assert_eq!(cases, 12);
    }

    #[test]
    fn predictions_are_libtorchs_bit_for_bit() {
        tch::set_num_threads(1);
        for (input, hidden, rows, seq_len) in [(3, 32, 70_000, 8), (1, 7, 5, 1), (2, 64, 33, 24)] {
            let vs = nn::VarStore::new(Device::Cpu);
            let mut rnn = RNN::new(&vs.root(), input, hidden, Activation::Tanh);
            rnn.init_like_pytorch(3);
            // windows as a series' windows are: a strided view, not contiguous
            let series = crate::seeded(4, || Tensor::randn([rows + seq_len, input], (Kind::Float, Device::Cpu)));
            let windows = series.unfold(0, seq_len, 1).transpose(1, 2).narrow(0, 0, rows);
            assert!(!windows.is_contiguous() || seq_len == 1);
            assert!(predicts_as_libtorch(&rnn, &windows), "input {input} hidden {hidden} rows {rows} seq_len {seq_len}");
        }
        let vs = nn::VarStore::new(Device::Cpu);
        let relu = RNN::new(&vs.root(), 2, 4, Activation::Relu);
        assert!(predict(&relu, &Tensor::zeros([3, 2, 2], (Kind::Float, Device::Cpu))).is_none(), "the blog's tanh only");
    }

    #[test]
    fn the_comparison_sees_one_ulp_and_the_sign_of_zero() {
        let a = Tensor::from_slice(&[1.0f32, 0.0, 2.5]);
        assert!(same_bits(&a, &a.copy()));
        assert!(!same_bits(&a, &Tensor::from_slice(&[f32::from_bits(1.0f32.to_bits() + 1), 0.0, 2.5])));
        assert!(!same_bits(&a, &Tensor::from_slice(&[1.0f32, -0.0, 2.5])));
        assert!(!same_bits(&a, &a.narrow(0, 0, 2)));
    }

    #[test]
    fn it_steps_aside_where_it_does_not_compute_the_blogs_step() {
        tch::set_num_threads(1);
        assert_eq!(why_not(Activation::Tanh, LossKind::Last, Device::Cpu), None, "the pinned libtorch exports MKL");
        assert!(why_not(Activation::Relu, LossKind::Last, Device::Cpu).is_some());
        assert!(why_not(Activation::Tanh, LossKind::All, Device::Cpu).is_some());
        assert!(why_not(Activation::Tanh, LossKind::Last, Device::Cuda(0)).is_some());
    }
}
