//! The model: the blog's `RNN`, one time step per `forward`, and the loop over time outside it.
//!
//!   h_t = f(W_h . [h_{t-1} : x_t] + b_h)      get_ht, f = tanh (or relu with --activation relu)
//!   y_t = g(W_y . [h_{t-1} : x_t] + b_y)      get_yt, g = tanh
//!
//! As in the blog, `forward` computes one step and `unroll` iterates over time by calling it,
//! from a zero hidden state. Every path runs that one loop: training with autograd (and with
//! --backward manual outside its fast case), evaluation, predict, forecast and the TorchScript
//! export. (--backward manual on one CPU thread calls the same kernels directly, exact::kernels,
//! and each run checks it against this loop under autograd.) `loss` is what training minimises.

pub mod loss;

use anyhow::Result;
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

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
        })
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
    pub activation: Activation,
}

/// Which outputs of a step its caller reads. What is not read is not computed: that changes no
/// number (the values kept are the same bits, and autograd never visits what the loss does not
/// depend on), and under the blog's loss at seq_len 4 it makes 4 of the blog's 8 layer calls.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    pub ht: bool,
    pub yt: bool,
}

/// Which outputs a loop over time keeps: the last step's y (`Last`, the blog's), or every y.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outputs {
    Last,
    Every,
}

/// One step as `forward` leaves it: `data` = [h_{t-1} : x_t], and the outputs that were wanted.
pub struct Step {
    pub data: Tensor,
    pub ht: Option<Tensor>,
    pub yt: Option<Tensor>,
}

/// A batch run through the loop over time: the inputs x_t (unbound once) and each step.
pub struct Unrolled {
    pub xs: Vec<Tensor>,
    pub steps: Vec<Step>,
}

impl Unrolled {
    /// y_t of step t; it predicts the point after x_t.
    pub fn y(&self, t: usize) -> &Tensor {
        self.steps[t].yt.as_ref().expect("unroll keeps y_t for every step the loss reads")
    }

    /// The last step's output: the prediction of the window's target.
    pub fn last_y(&self) -> &Tensor {
        self.y(self.steps.len() - 1)
    }
}

/// One `nn.Linear` as the steps of a batch apply it: `b + data . W^T` (what `at::linear`
/// computes, through the same `addmm`), with W^T made once per batch instead of once per call.
pub struct Linear {
    w_t: Tensor,
    b: Tensor,
}

impl Linear {
    fn of(layer: &nn::Linear) -> Linear {
        Linear { w_t: layer.ws.tr(), b: layer.bs.as_ref().expect("RNN::new gives every layer a bias").shallow_clone() }
    }

    pub fn apply(&self, data: &Tensor) -> Tensor {
        self.b.addmm(data, &self.w_t)
    }
}

/// The RNN's two layers, prepared for the steps of one batch (see `Linear`).
pub struct Layers {
    pub get_ht: Linear,
    pub get_yt: Linear,
}

impl RNN {
    /// Layers start at zero: `init_like_pytorch` or a weights file fills them. tch's own linear
    /// init draws from a different distribution and would spend the random stream. The output
    /// has as many features as the input: the model predicts the next point of the series.
    pub fn new(vs: &nn::Path, input_length: i64, hidden_length: i64, activation: Activation) -> RNN {
        let zero = nn::LinearConfig { ws_init: nn::Init::Const(0.0), bs_init: Some(nn::Init::Const(0.0)), bias: true };
        let get_ht = nn::linear(vs / "get_ht", hidden_length + input_length, hidden_length, zero);
        let get_yt = nn::linear(vs / "get_yt", hidden_length + input_length, input_length, zero);
        RNN { get_ht, get_yt, input_length, hidden_length, activation }
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

    /// The layers as every step of one batch applies them.
    pub fn layers(&self) -> Layers {
        Layers { get_ht: Linear::of(&self.get_ht), get_yt: Linear::of(&self.get_yt) }
    }

    /// One time step, the blog's `forward(hiddens, inputs)`:
    ///   data = torch.concat((hiddens, inputs), dim=1)
    ///   ht = f(get_ht(data)); yt = tanh(get_yt(data))
    /// computing only the outputs `wanted`. y comes first: the order in which autograd records
    /// the two layers is the order its engine sums their gradients, and --backward manual
    /// follows it.
    pub fn forward(&self, layers: &Layers, hiddens: &Tensor, inputs: &Tensor, wanted: Wanted) -> Step {
        let data = Tensor::cat(&[hiddens, inputs], 1);
        let yt = wanted.yt.then(|| layers.get_yt.apply(&data).tanh());
        let ht = wanted.ht.then(|| self.activation.apply(&layers.get_ht.apply(&data)));
        Step { data, ht, yt }
    }

    /// The loop over time, outside `forward` as in the blog: from `hiddens` (see `zero_hidden`),
    /// one step per x_t, keeping the `outputs` asked for. The last step's h is never read.
    /// At the blog's size a step is a handful of tiny ATen calls whose overhead outweighs the
    /// arithmetic, so the x_t come from one `unbind` and the transposes from one `layers()`.
    pub fn unroll(&self, inputs: &Tensor, mut hiddens: Tensor, outputs: Outputs) -> Unrolled {
        let layers = self.layers();
        let xs = inputs.unbind(1);
        let mut steps = Vec::with_capacity(xs.len());
        for (t, x) in xs.iter().enumerate() {
            let last = t + 1 == xs.len();
            let step = self.forward(&layers, &hiddens, x, Wanted { ht: !last, yt: last || outputs == Outputs::Every });
            if let Some(ht) = &step.ht {
                hiddens = ht.shallow_clone();
            }
            steps.push(step);
        }
        Unrolled { xs, steps }
    }

    /// The zero hidden state a batch starts from: [batch, hidden].
    pub fn zero_hidden(&self, inputs: &Tensor) -> Tensor {
        Tensor::zeros([inputs.size()[0], self.hidden_length], (inputs.kind(), inputs.device()))
    }

    /// The model's prediction of each window's next point: [windows, features].
    pub fn predict(&self, inputs: &Tensor) -> Tensor {
        tch::no_grad(|| self.unroll(inputs, self.zero_hidden(inputs), Outputs::Last).last_y().shallow_clone())
    }

    /// Copies `src` (in state_dict order, any device) into the parameters, refusing a shape that
    /// does not fit with the tensor's name and both shapes.
    pub fn copy_parameters<'a>(&self, src: impl IntoIterator<Item = &'a Tensor>) -> Result<()> {
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
                dst.shallow_clone().f_copy_(src).map_err(|e| anyhow::anyhow!("copying {name}: {}", crate::first_line(e)))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    const BOTH: Wanted = Wanted { ht: true, yt: true };

    fn tiny(activation: Activation) -> (nn::VarStore, RNN) {
        let vs = nn::VarStore::new(Device::Cpu);
        let rnn = RNN::new(&vs.root(), 2, 3, activation);
        (vs, rnn)
    }

    #[test]
    fn forward_returns_hidden_and_output_shapes() {
        let (_vs, mut rnn) = tiny(Activation::Tanh);
        rnn.init_like_pytorch(1);
        let step = rnn.forward(
            &rnn.layers(),
            &Tensor::zeros([5, 3], (Kind::Float, Device::Cpu)),
            &Tensor::ones([5, 2], (Kind::Float, Device::Cpu)),
            BOTH,
        );
        assert_eq!(step.ht.unwrap().size(), vec![5, 3]);
        assert_eq!(step.yt.unwrap().size(), vec![5, 2]);
        assert_eq!(step.data.size(), vec![5, 5]);
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
        let step = rnn.forward(&rnn.layers(), &Tensor::from_slice(&h).view([1, 3]), &Tensor::from_slice(&x).view([1, 2]), BOTH);
        let (ht, yt) = (step.ht.unwrap(), step.yt.unwrap());
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
        let step = rnn.forward(&rnn.layers(), &Tensor::zeros([1, 3], (Kind::Float, Device::Cpu)), &x, BOTH);
        let (h, y) = (step.ht.unwrap(), step.yt.unwrap());
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

    #[test]
    fn unroll_is_forward_step_by_step_from_zeros() {
        let (_vs, mut rnn) = tiny(Activation::Tanh);
        rnn.init_like_pytorch(2);
        let inputs = crate::seeded(4, || Tensor::randn([3, 5, 2], (Kind::Float, Device::Cpu)));
        let fw = rnn.unroll(&inputs, rnn.zero_hidden(&inputs), Outputs::Every);
        let mut h = Tensor::zeros([3, 3], (Kind::Float, Device::Cpu));
        for t in 0..5 {
            // the blog's loop, with nn.Linear's own kernel (at::linear) on every call
            let data = Tensor::cat(&[&h, &inputs.select(1, t)], 1);
            let y = data.linear(&rnn.get_yt.ws, rnn.get_yt.bs.as_ref()).tanh();
            assert!(fw.y(t as usize).equal(&y), "y_{t}");
            h = data.linear(&rnn.get_ht.ws, rnn.get_ht.bs.as_ref()).tanh();
        }
        assert!(fw.steps[4].ht.is_none(), "the last step's h is not computed");
        let last = rnn.unroll(&inputs, rnn.zero_hidden(&inputs), Outputs::Last);
        assert!(last.steps[..4].iter().all(|s| s.yt.is_none()) && last.last_y().equal(fw.last_y()));
    }
}
