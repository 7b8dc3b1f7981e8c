//! The blog's RNN: `get_ht` and `get_yt`, each an nn.Linear over cat(hidden, input), and `forward`.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use tch::nn::{self, Module};
use tch::Tensor;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    #[default]
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

display_as_flag_value!(Activation);

/// How get_yt starts (`--yt-init`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum YtInit {
    /// nn.Linear's own (the blog)
    #[default]
    Pytorch,
    /// zero: the untrained model's output is 0, so it predicts what --target alone does
    Zero,
}

display_as_flag_value!(YtInit);

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

    /// `init_like_pytorch(seed)`, then get_yt zeroed for `YtInit::Zero`: get_ht's draws stay
    /// PyTorch's, and the zero output makes the untrained prediction the framing's own
    /// (persistence for --target change, the autoregression for --target linear).
    pub fn init(&mut self, seed: u64, yt: YtInit) {
        self.init_like_pytorch(seed);
        if yt == YtInit::Zero {
            tch::no_grad(|| {
                let _ = self.get_yt.ws.zero_();
                if let Some(bs) = self.get_yt.bs.as_mut() {
                    let _ = bs.zero_();
                }
            });
        }
    }

    /// One time step, the blog's `forward(hiddens, inputs)`.
    pub fn forward(&self, hiddens: &Tensor, inputs: &Tensor) -> (Tensor, Tensor) {
        let data = Tensor::cat(&[hiddens, inputs], 1);
        let ht = self.activation.apply(&self.get_ht.forward(&data));
        let yt = self.get_yt.forward(&data).tanh();
        (ht, yt)
    }

    /// The loop over time, outside `forward` as in the blog: from `hiddens` (zeros, see
    /// `zero_hidden`), one step per x_t. Returns every y_t.
    pub fn unroll(&self, inputs: &Tensor, mut hiddens: Tensor) -> Vec<Tensor> {
        let mut outputs = Vec::with_capacity(inputs.size()[1] as usize);
        for x in inputs.unbind(1) {
            let (ht, yt) = self.forward(&hiddens, &x);
            hiddens = ht;
            outputs.push(yt);
        }
        outputs
    }

    /// Another handle to the same layers, for another thread (a tch `Tensor` may move to another
    /// thread but not be shared by two).
    pub fn shallow_clone(&self) -> RNN {
        let layer = |l: &nn::Linear| nn::Linear { ws: l.ws.shallow_clone(), bs: l.bs.as_ref().map(|b| b.shallow_clone()) };
        RNN { get_ht: layer(&self.get_ht), get_yt: layer(&self.get_yt), ..*self }
    }

    /// The zero hidden state a batch starts from: [batch, hidden].
    pub fn zero_hidden(&self, inputs: &Tensor) -> Tensor {
        Tensor::zeros([inputs.size()[0], self.hidden_length], (inputs.kind(), inputs.device()))
    }

    /// The model's prediction of each window's next point: [windows, features].
    pub fn predict(&self, inputs: &Tensor) -> Tensor {
        tch::no_grad(|| self.unroll(inputs, self.zero_hidden(inputs)).pop().expect("a window has at least one step"))
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

    fn tiny(activation: Activation) -> (nn::VarStore, RNN) {
        let vs = nn::VarStore::new(Device::Cpu);
        let rnn = RNN::new(&vs.root(), 2, 3, activation);
        (vs, rnn)
    }

    #[test]
    fn forward_returns_hidden_and_output_shapes() {
        let (_vs, mut rnn) = tiny(Activation::Tanh);
        rnn.init_like_pytorch(1);
        let (ht, yt) = rnn.forward(&Tensor::zeros([5, 3], (Kind::Float, Device::Cpu)), &Tensor::ones([5, 2], (Kind::Float, Device::Cpu)));
        assert_eq!(ht.size(), vec![5, 3]);
        assert_eq!(yt.size(), vec![5, 2]);
    }

    /// Fixed weights, one step: tanh(W [h:x] + b) computed by hand in f64; under relu, the
    /// hidden state is max(0, W [h:x] + b) and the output still tanh.
    #[test]
    fn one_step_matches_a_hand_computation() {
        for activation in [Activation::Tanh, Activation::Relu] {
            let (_vs, rnn) = tiny(activation);
            let wh: Vec<f32> = (0..15).map(|i| (i as f32 - 7.0) / 10.0).collect();
            let bh = [0.1f32, -0.2, 0.3];
            let wy: Vec<f32> = (0..10).map(|i| (i as f32 - 4.0) / 8.0).collect();
            let by = [0.05f32, -0.05];
            let values = [
                Tensor::from_slice(&wh).view([3, 5]),
                Tensor::from_slice(&bh),
                Tensor::from_slice(&wy).view([2, 5]),
                Tensor::from_slice(&by),
            ];
            rnn.copy_parameters(&values).unwrap();
            let h = [0.5f32, -0.25, 0.125];
            let x = [0.8f32, -0.6];
            let (ht, yt) = rnn.forward(&Tensor::from_slice(&h).view([1, 3]), &Tensor::from_slice(&x).view([1, 2]));
            let v: Vec<f64> = h.iter().chain(x.iter()).map(|&a| a as f64).collect();
            let affine = |w: &[f32], b: &[f32], r: usize| -> f64 { (0..5).map(|c| w[r * 5 + c] as f64 * v[c]).sum::<f64>() + b[r] as f64 };
            let f = |z: f64| if activation == Activation::Tanh { z.tanh() } else { z.max(0.0) };
            let ht: Vec<f32> = Vec::try_from(ht.flatten(0, -1)).unwrap();
            let yt: Vec<f32> = Vec::try_from(yt.flatten(0, -1)).unwrap();
            for (r, h) in ht.iter().enumerate() {
                assert!((*h as f64 - f(affine(&wh, &bh, r))).abs() < 1e-6, "{activation} h[{r}]");
            }
            for (r, y) in yt.iter().enumerate() {
                assert!((*y as f64 - affine(&wy, &by, r).tanh()).abs() < 1e-6, "{activation} y[{r}]");
            }
        }
    }

    /// torch.manual_seed(5); nn.Linear(5, 3); nn.Linear(5, 2): values printed by PyTorch 2.13
    /// (the weights are drawn first, then the bias, layer by layer).
    #[test]
    fn seeded_init_draws_pytorchs_values_in_pytorchs_order() {
        let (_vs, mut rnn) = tiny(Activation::Tanh);
        rnn.init_like_pytorch(5);
        let first = |t: &Tensor| f32::try_from(t.flatten(0, -1).get(0)).unwrap();
        let got: Vec<f32> = rnn.named_parameters().iter().map(|(_, p)| first(p)).collect();
        assert_eq!(got, SEED_5_FIRST_VALUES, "first value of each of {PARAM_NAMES:?}");
    }

    const SEED_5_FIRST_VALUES: [f32; 4] = [0.29538625, 0.07095274, -0.3965587, -0.21119155];

    #[test]
    fn unroll_is_forward_step_by_step_from_zeros() {
        let (_vs, mut rnn) = tiny(Activation::Tanh);
        rnn.init_like_pytorch(2);
        let inputs = crate::seeded(4, || Tensor::randn([3, 5, 2], (Kind::Float, Device::Cpu)));
        let ys = rnn.unroll(&inputs, rnn.zero_hidden(&inputs));
        assert_eq!(ys.len(), 5);
        let mut h = Tensor::zeros([3, 3], (Kind::Float, Device::Cpu));
        for (t, y) in ys.iter().enumerate() {
            let data = Tensor::cat(&[&h, &inputs.select(1, t as i64)], 1);
            assert!(y.equal(&data.linear(&rnn.get_yt.ws, rnn.get_yt.bs.as_ref()).tanh()), "y_{t}");
            h = data.linear(&rnn.get_ht.ws, rnn.get_ht.bs.as_ref()).tanh();
        }
        assert!(rnn.predict(&inputs).equal(&ys[4]));
    }
}
