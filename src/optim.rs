//! The optimizer: `torch.optim.Adam` and `torch.nn.utils.clip_grad_norm_`, step for step as
//! PyTorch 2.13 runs them on the CPU, so that a run here and in Python agree to the last bit.
//!
//! tch's `nn::Adam` is libtorch's C++ `torch::optim::Adam`, which computes the update with other
//! operations than Python's default CPU path (`_single_tensor_adam` in torch/optim/adam.py) and
//! drifts from it after a few steps. So we write `_single_tensor_adam` out here, same tensor
//! operations in the same order, with the state PyTorch keeps (a float32 step count, exp_avg,
//! exp_avg_sq).

use tch::{Kind, Tensor};

#[derive(Debug, Clone, Copy)]
pub struct AdamConfig {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

impl AdamConfig {
    /// PyTorch's defaults but for the learning rate.
    pub fn with_lr(lr: f64) -> AdamConfig {
        AdamConfig { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
}

/// Adam's state for one parameter tensor, as in `optimizer.state[p]`.
#[derive(Debug)]
pub struct AdamState {
    pub step: f32, // PyTorch keeps `step` as a float32 tensor
    pub exp_avg: Tensor,
    pub exp_avg_sq: Tensor,
}

#[derive(Debug)]
pub struct Adam {
    pub config: AdamConfig,
    pub params: Vec<Tensor>, // shallow clones: they share storage with the model's parameters
    pub state: Vec<AdamState>,
}

impl Adam {
    pub fn new(params: &[&Tensor], config: AdamConfig) -> Adam {
        let state = params
            .iter()
            .map(|p| AdamState { step: 0.0, exp_avg: p.zeros_like(), exp_avg_sq: p.zeros_like() })
            .collect();
        Adam { config, params: params.iter().map(|p| p.shallow_clone()).collect(), state }
    }

    /// `optimizer.zero_grad()`.
    pub fn zero_grad(&mut self) {
        for p in &mut self.params {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.detach_().zero_();
            }
        }
    }

    /// `optimizer.step()`: `_single_tensor_adam` with amsgrad, maximize and weight decay off.
    pub fn step(&mut self) {
        let AdamConfig { lr, beta1, beta2, eps } = self.config;
        tch::no_grad(|| {
            for (param, st) in self.params.iter_mut().zip(self.state.iter_mut()) {
                let grad = param.grad();
                if !grad.defined() {
                    continue;
                }
                st.step += 1.0;
                // exp_avg.lerp_(grad, 1 - beta1)
                let _ = st.exp_avg.lerp_(&grad, 1.0 - beta1);
                // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2). tch's addcmul_
                // has no `value`; ATen computes `self + value*t1*t2` as fma(value*t1, t2, self),
                // so handing it t1 = grad*(1-beta2) with value 1 is the same single rounding.
                let _ = st.exp_avg_sq.g_mul_scalar_(beta2);
                let _ = st.exp_avg_sq.addcmul_(&(&grad * (1.0 - beta2)), &grad);
                // Python floats (f64) from the float32 step, as `_get_value(step_t)` gives them.
                let step = st.step as f64;
                let bias_correction1 = 1.0 - beta1.powf(step);
                let bias_correction2 = 1.0 - beta2.powf(step);
                let step_size = lr / bias_correction1;
                let bias_correction2_sqrt = bias_correction2.powf(0.5);
                // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                let mut denom = st.exp_avg_sq.sqrt() / bias_correction2_sqrt;
                let _ = denom.g_add_scalar_(eps);
                // param.addcdiv_(exp_avg, denom, value=-step_size): ATen's `self + value*t1/t2`,
                // again with value folded into t1 (value*t1 rounds first in both).
                let _ = param.addcdiv_(&(&st.exp_avg * (-step_size)), &denom);
            }
        });
    }
}

/// `torch.nn.utils.clip_grad_norm_(params, max_norm)` (norm 2, CPU): the `_foreach_norm` path
/// computes one `linalg.vector_norm` per gradient, then the norm of their stack;
/// `max_norm / (total + 1e-6)` is Tensor.__rtruediv__, i.e. `reciprocal() * max_norm`; clamped
/// to 1 and multiplied into every gradient (even when it is 1). Returns the total norm.
pub fn clip_grad_norm(params: &[Tensor], max_norm: f64) -> f64 {
    tch::no_grad(|| {
        let grads: Vec<Tensor> = params.iter().map(|p| p.grad()).filter(|g| g.defined()).collect();
        if grads.is_empty() {
            return 0.0;
        }
        // tch binds no linalg_vector_norm; linalg_norm of a 1-D tensor is exactly that call.
        let vector_norm = |t: &Tensor| t.flatten(0, -1).linalg_norm(2.0, None::<&[i64]>, false, None::<Kind>);
        let norms: Vec<Tensor> = grads.iter().map(vector_norm).collect();
        let total_norm = vector_norm(&Tensor::stack(&norms, 0));
        let clip_coef = (&total_norm + 1e-6).reciprocal() * max_norm;
        let clip_coef_clamped = clip_coef.clamp_max(1.0);
        for mut g in grads {
            let _ = g.g_mul_(&clip_coef_clamped);
        }
        f64::try_from(&total_norm).unwrap_or(f64::NAN)
    })
}
