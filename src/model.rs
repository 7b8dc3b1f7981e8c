//! The model: the blog's `RNN`, one time step per `forward`.
//!
//!   h_t = f(W_h . [h_{t-1} : x_t] + b_h)      get_ht, f = tanh (or relu with --activation relu)
//!   y_t = g(W_y . [h_{t-1} : x_t] + b_y)      get_yt, g = tanh
//!
//! The loop over time lives outside `forward`, in the trainer, as in the blog.

use serde::{Deserialize, Serialize};
use tch::{nn, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Tanh,
    Relu,
}

/// The hidden state's non-linearity f. The output's g stays tanh: the targets live in [-1, 1]
/// and a relu output could never predict the negative half of the circle.
impl Activation {
    pub fn apply(self, t: &Tensor) -> Tensor {
        match self {
            Activation::Tanh => t.tanh(),
            Activation::Relu => t.relu(),
        }
    }
}

/// The parameter names, exactly as PyTorch's `state_dict()` of the blog's module spells them.
pub const PARAM_NAMES: [&str; 4] = ["get_ht.weight", "get_ht.bias", "get_yt.weight", "get_yt.bias"];

#[derive(Debug)]
pub struct RNN {
    pub get_ht: nn::Linear,
    pub get_yt: nn::Linear,
    pub input_length: i64,
    pub hidden_length: i64,
    pub output_length: i64,
    pub activation: Activation,
}

impl RNN {
    /// Layers start at zero: `init_like_pytorch` or a weights file fills them. tch's own linear
    /// init draws from a different distribution and would spend the random stream.
    pub fn new(vs: &nn::Path, input_length: i64, hidden_length: i64, output_length: i64, activation: Activation) -> RNN {
        let zero = nn::LinearConfig { ws_init: nn::Init::Const(0.0), bs_init: Some(nn::Init::Const(0.0)), bias: true };
        let get_ht = nn::linear(vs / "get_ht", hidden_length + input_length, hidden_length, zero);
        let get_yt = nn::linear(vs / "get_yt", hidden_length + input_length, output_length, zero);
        RNN { get_ht, get_yt, input_length, hidden_length, output_length, activation }
    }

    /// What `torch.manual_seed(seed)` then `nn.Linear(H+I, H)`, `nn.Linear(H+I, O)` would hold:
    /// kaiming_uniform_(a=sqrt(5)) on each weight, then U(-1/sqrt(fan_in), 1/sqrt(fan_in)) on its
    /// bias, drawn in that order from the CPU generator, with the bounds computed in f64 as
    /// torch/nn/init.py computes them. Parameters must be on the CPU.
    pub fn init_like_pytorch(&mut self, seed: u64) {
        crate::seeded(seed, || {
            tch::no_grad(|| {
                for layer in [&mut self.get_ht, &mut self.get_yt] {
                    let fan_in = layer.ws.size()[1];
                    let a = 5f64.sqrt();
                    let gain = (2.0 / (1.0 + a.powf(2.0))).sqrt(); // calculate_gain("leaky_relu", a)
                    let std = gain / (fan_in as f64).sqrt();
                    let bound = 3f64.sqrt() * std;
                    let _ = layer.ws.uniform_(-bound, bound);
                    let bias_bound = if fan_in > 0 { 1.0 / (fan_in as f64).sqrt() } else { 0.0 };
                    if let Some(bs) = layer.bs.as_mut() {
                        let _ = bs.uniform_(-bias_bound, bias_bound);
                    }
                }
            })
        });
    }

    /// One time step, the blog's forward: `data = cat((hiddens, inputs), dim=1)`.
    /// `Tensor::linear` is `at::linear`, the very kernel `nn.Linear` calls (addmm), so the
    /// numbers match PyTorch's bit for bit; tch's `nn::Linear::forward` uses matmul + add.
    pub fn forward(&self, hiddens: &Tensor, inputs: &Tensor) -> (Tensor, Tensor) {
        let data = Tensor::cat(&[hiddens, inputs], 1);
        (self.ht(&data), self.yt(&data))
    }

    /// h_t from `data = [h_{t-1} : x_t]`.
    pub fn ht(&self, data: &Tensor) -> Tensor {
        self.activation.apply(&data.linear(&self.get_ht.ws, self.get_ht.bs.as_ref()))
    }

    /// y_t from `data = [h_{t-1} : x_t]`.
    pub fn yt(&self, data: &Tensor) -> Tensor {
        data.linear(&self.get_yt.ws, self.get_yt.bs.as_ref()).tanh()
    }

    /// Copies `src` (in state_dict order, any device) into the parameters, refusing a shape that
    /// does not fit with the tensor's name and both shapes.
    pub fn copy_parameters<'a>(&self, src: impl IntoIterator<Item = &'a Tensor>) -> anyhow::Result<()> {
        tch::no_grad(|| {
            for ((name, dst), src) in self.named_parameters().iter().zip(src) {
                if src.size() != dst.size() {
                    anyhow::bail!(
                        "tensor {name} has shape {:?}, but the model (--hidden {} and {} features) needs {:?}",
                        src.size(),
                        self.hidden_length,
                        self.input_length,
                        dst.size()
                    );
                }
                dst.shallow_clone().f_copy_(src).map_err(|e| anyhow::anyhow!("copying {name}: {}", crate::weights::first_line(e)))?;
            }
            Ok(())
        })
    }

    /// The named parameters, in PyTorch's state_dict order.
    pub fn named_parameters(&self) -> [(&'static str, &Tensor); 4] {
        fn bias(l: &nn::Linear) -> &Tensor {
            l.bs.as_ref().expect("RNN::new always gives its layers a bias")
        }
        [
            (PARAM_NAMES[0], &self.get_ht.ws),
            (PARAM_NAMES[1], bias(&self.get_ht)),
            (PARAM_NAMES[2], &self.get_yt.ws),
            (PARAM_NAMES[3], bias(&self.get_yt)),
        ]
    }
}

/// The loop over time, outside forward, from a zero hidden state: the blog's `forward` step by
/// step, computing only what is read. Returns every step's y (`y_t` predicts the point after
/// x_t; the last one predicts the target), or with `all_steps = false` only the last; the last
/// step's h is never read. Skipping them changes no number: the values kept, and the gradients
/// (autograd never visits what the loss does not depend on), are the same bits.
pub fn unroll(rnn: &RNN, inputs: &Tensor, all_steps: bool) -> Vec<Tensor> {
    unroll_from(rnn, inputs, initial_hidden(rnn, inputs), all_steps)
}

/// The zero hidden state a batch starts from: [batch, hidden].
pub fn initial_hidden(rnn: &RNN, inputs: &Tensor) -> Tensor {
    Tensor::zeros([inputs.size()[0], rnn.hidden_length], (inputs.kind(), inputs.device()))
}

/// `unroll` from a given first hidden state (the TorchScript export's follows the input's shape).
pub fn unroll_from(rnn: &RNN, inputs: &Tensor, hiddens: Tensor, all_steps: bool) -> Vec<Tensor> {
    unroll_steps(rnn, inputs, hiddens, all_steps).ys.into_iter().flatten().collect()
}

/// Every step of the loop over time, as `--backward manual` reads them back (src/backward.rs).
pub struct Steps {
    pub xs: Vec<Tensor>,         // x_t
    pub datas: Vec<Tensor>,      // data_t = [h_{t-1} : x_t]
    pub hs: Vec<Tensor>,         // h_t, for every step but the last
    pub ys: Vec<Option<Tensor>>, // y_t, where read
}

/// The loop itself, keeping every step. At the blog's size a step is ~25 small ATen calls, each
/// paying libtorch's dispatch and autograd bookkeeping, so the loop makes as few as the
/// arithmetic allows: one `unbind` for all the x_t, and one `W.t()` per layer shared by every
/// step instead of the one `at::linear` makes per call (`linear` is `addmm(b, data, W.t())` for
/// a batch, so the products are the same calls; autograd sums the shared transpose's gradients
/// in the same order it summed them into W.grad before).
pub fn unroll_steps(rnn: &RNN, inputs: &Tensor, mut hiddens: Tensor, all_steps: bool) -> Steps {
    let xs = inputs.unbind(1);
    let (wh_t, wy_t) = (rnn.get_ht.ws.tr(), rnn.get_yt.ws.tr());
    let (bh, by) = (rnn.get_ht.bs.as_ref().expect("RNN has biases"), rnn.get_yt.bs.as_ref().expect("RNN has biases"));
    let steps = xs.len();
    let (mut datas, mut hs, mut ys) = (Vec::with_capacity(steps), Vec::with_capacity(steps), Vec::with_capacity(steps));
    for (t, x) in xs.iter().enumerate() {
        let data = Tensor::cat(&[&hiddens, x], 1);
        let last = t + 1 == steps;
        ys.push((all_steps || last).then(|| by.addmm(&data, &wy_t).tanh()));
        if !last {
            hiddens = rnn.activation.apply(&bh.addmm(&data, &wh_t));
            hs.push(hiddens.shallow_clone());
        }
        datas.push(data);
    }
    Steps { xs, datas, hs, ys }
}

/// Zeros of shape [batch, hidden] made from the input itself (`zeros_like` of one column, then
/// expand), so that a TorchScript trace records a batch size that follows the input.
pub fn zero_hidden(inputs: &Tensor, hidden_length: i64) -> Tensor {
    inputs.select(1, 0).narrow(1, 0, 1).zeros_like().expand([-1, hidden_length], false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    fn tiny(activation: Activation) -> (nn::VarStore, RNN) {
        let vs = nn::VarStore::new(Device::Cpu);
        let rnn = RNN::new(&vs.root(), 2, 3, 2, activation);
        (vs, rnn)
    }

    #[test]
    fn forward_returns_hidden_and_output_shapes() {
        let (_vs, mut rnn) = tiny(Activation::Tanh);
        rnn.init_like_pytorch(1);
        let (h, y) = rnn.forward(&Tensor::zeros([5, 3], (Kind::Float, Device::Cpu)), &Tensor::ones([5, 2], (Kind::Float, Device::Cpu)));
        assert_eq!(h.size(), vec![5, 3]);
        assert_eq!(y.size(), vec![5, 2]);
    }

    #[test]
    fn one_step_matches_a_hand_computation() {
        let (_vs, rnn) = tiny(Activation::Tanh);
        // W_h = [[0.1 .. 0.5], ...] fixed; hand-compute tanh(W [h:x] + b) in f64.
        let wh: Vec<f32> = (0..15).map(|i| (i as f32 - 7.0) / 10.0).collect();
        let bh = [0.1f32, -0.2, 0.3];
        let wy: Vec<f32> = (0..10).map(|i| (i as f32 - 4.0) / 8.0).collect();
        let by = [0.05f32, -0.05];
        tch::no_grad(|| {
            let values = [
                Tensor::from_slice(&wh).view([3, 5]),
                Tensor::from_slice(&bh),
                Tensor::from_slice(&wy).view([2, 5]),
                Tensor::from_slice(&by),
            ];
            for ((_, p), v) in rnn.named_parameters().iter().zip(values.iter()) {
                p.shallow_clone().copy_(v);
            }
        });
        let h = [0.5f32, -0.25, 0.125];
        let x = [0.8f32, -0.6];
        let (ht, yt) = rnn.forward(&Tensor::from_slice(&h).view([1, 3]), &Tensor::from_slice(&x).view([1, 2]));
        let v: Vec<f64> = h.iter().chain(x.iter()).map(|&a| a as f64).collect();
        let affine = |w: &[f32], b: &[f32], r: usize| -> f64 { (0..5).map(|c| w[r * 5 + c] as f64 * v[c]).sum::<f64>() + b[r] as f64 };
        let ht: Vec<f32> = Vec::try_from(ht.flatten(0, -1)).unwrap();
        let yt: Vec<f32> = Vec::try_from(yt.flatten(0, -1)).unwrap();
        for (r, h) in ht.iter().enumerate() {
            assert!((*h as f64 - affine(&wh, &bh, r).tanh()).abs() < 1e-6, "h[{r}]");
        }
        for (r, y) in yt.iter().enumerate() {
            assert!((*y as f64 - affine(&wy, &by, r).tanh()).abs() < 1e-6, "y[{r}]");
        }
    }

    #[test]
    fn relu_changes_only_the_hidden_state() {
        let (_vs, mut rnn) = tiny(Activation::Relu);
        rnn.init_like_pytorch(3);
        let x = Tensor::from_slice(&[1.0f32, -1.0]).view([1, 2]);
        let (h, y) = rnn.forward(&Tensor::zeros([1, 3], (Kind::Float, Device::Cpu)), &x);
        assert!(f64::try_from(h.min()).unwrap() >= 0.0);
        assert!(f64::try_from(y.abs().max()).unwrap() < 1.0);
    }

    #[test]
    fn seeded_init_respects_pytorchs_bounds_and_order() {
        let (_vs, mut a) = tiny(Activation::Tanh);
        let (_vs2, mut b) = tiny(Activation::Tanh);
        a.init_like_pytorch(5);
        b.init_like_pytorch(5);
        for ((_, x), (_, y)) in a.named_parameters().iter().zip(b.named_parameters().iter()) {
            assert!(x.equal(y));
        }
        let bound = 1.0 / 5f64.sqrt(); // kaiming(a=sqrt 5) and the bias both give 1/sqrt(fan_in)
        for (name, p) in a.named_parameters() {
            assert!(f64::try_from(p.abs().max()).unwrap() <= bound, "{name}");
        }
    }
}
