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

impl AdamState {
    /// The same tensors, shared (for saving a checkpoint without copying).
    pub fn shallow_clone(&self) -> AdamState {
        AdamState { step: self.step, exp_avg: self.exp_avg.shallow_clone(), exp_avg_sq: self.exp_avg_sq.shallow_clone() }
    }
}

#[derive(Debug)]
pub struct Adam {
    pub config: AdamConfig,
    pub params: Vec<Tensor>, // shallow clones: they share storage with the model's parameters
    pub state: Vec<AdamState>,
    /// The last step left every gradient at zero (the CPU path does) and no zero_grad has run
    /// since, so the next zero_grad has nothing to do.
    grads_zeroed: bool,
}

impl Adam {
    pub fn new(params: &[&Tensor], config: AdamConfig) -> Adam {
        let state = params.iter().map(|p| AdamState { step: 0.0, exp_avg: p.zeros_like(), exp_avg_sq: p.zeros_like() }).collect();
        Adam { config, params: params.iter().map(|p| p.shallow_clone()).collect(), state, grads_zeroed: false }
    }

    /// Puts back the state a checkpoint saved (`optimizer.load_state_dict`), each moment checked
    /// against its parameter's shape and dtype and moved to its device. Nothing changes on error.
    pub fn restore(&mut self, saved: Vec<AdamState>) -> anyhow::Result<()> {
        if saved.len() != self.params.len() {
            anyhow::bail!("Adam's state has {} entries for {} parameters", saved.len(), self.params.len());
        }
        let mut restored = Vec::with_capacity(saved.len());
        for (i, (p, st)) in self.params.iter().zip(saved).enumerate() {
            for (what, t) in [("exp_avg", &st.exp_avg), ("exp_avg_sq", &st.exp_avg_sq)] {
                if t.size() != p.size() || t.kind() != p.kind() {
                    anyhow::bail!(
                        "Adam's {what} of parameter {i} is {:?} {:?}; its parameter is {:?} {:?}",
                        t.kind(),
                        t.size(),
                        p.kind(),
                        p.size()
                    );
                }
            }
            if !(st.step.is_finite() && st.step >= 0.0 && st.step.fract() == 0.0) {
                anyhow::bail!("Adam's step count of parameter {i} is {}, not a whole number of steps", st.step);
            }
            let device = p.device();
            restored.push(AdamState { step: st.step, exp_avg: st.exp_avg.to_device(device), exp_avg_sq: st.exp_avg_sq.to_device(device) });
        }
        self.state = restored;
        Ok(())
    }

    /// `optimizer.zero_grad()`. Right after a CPU `step` the gradients are zero already; the
    /// flag is used up here, so a backward without a step between two calls is still cleared.
    pub fn zero_grad(&mut self) {
        if std::mem::take(&mut self.grads_zeroed) {
            return;
        }
        for p in &mut self.params {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.detach_().zero_();
            }
        }
    }

    /// Hands the optimizer gradients computed outside autograd (`--backward manual`): copies each
    /// into its parameter's `.grad`, which must exist (a first autograd backward made it); None
    /// leaves it as autograd would have, untouched.
    pub fn set_grads(&mut self, grads: &[Option<Tensor>]) {
        self.grads_zeroed = false;
        tch::no_grad(|| {
            for (p, g) in self.params.iter().zip(grads) {
                if let Some(g) = g {
                    let mut pg = p.grad();
                    assert!(pg.defined(), "set_grads before any backward defined the gradient");
                    pg.copy_(g);
                }
            }
        });
    }

    /// True when every gradient is finite.
    pub fn grads_finite(&self) -> bool {
        match self.cpu_views() {
            Some(views) => views.iter().all(|v| v.grad.iter().all(|g| g.is_finite())),
            None => {
                // A sum is NaN or infinite as soon as one element is.
                let sums: Vec<Tensor> = self.params.iter().map(|p| p.grad()).filter(|g| g.defined()).map(|g| g.sum(None)).collect();
                sums.is_empty() || f64::try_from(Tensor::stack(&sums, 0).sum(None)).is_ok_and(|s| s.is_finite())
            }
        }
    }

    /// `optimizer.step()`: `_single_tensor_adam` with amsgrad, maximize and weight decay off.
    /// On the CPU it runs as one pass over the elements (`step_cpu`), elsewhere as the tensor
    /// operations of adam.py (`step_tensor_ops`); both are bitwise PyTorch's (tests/pytorch.rs).
    pub fn step(&mut self) {
        if !self.step_cpu() {
            self.step_tensor_ops();
        }
    }

    /// The step as adam.py writes it, one tensor operation after another.
    pub fn step_tensor_ops(&mut self) {
        let AdamConfig { beta1, beta2, eps, .. } = self.config;
        self.grads_zeroed = false;
        for i in 0..self.params.len() {
            let grad = self.params[i].grad();
            if !grad.defined() {
                continue;
            }
            let st = &mut self.state[i];
            st.step += 1.0;
            let (step_size, bias_correction2_sqrt) = corrections(&self.config, st.step);
            tch::no_grad(|| {
                // exp_avg.lerp_(grad, 1 - beta1)
                let _ = st.exp_avg.lerp_(&grad, 1.0 - beta1);
                // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2). tch's addcmul_
                // has no `value`; ATen computes `self + value*t1*t2` with value*t1 rounded
                // first, so handing it t1 = grad*(1-beta2) with value 1 is the same arithmetic.
                let _ = st.exp_avg_sq.g_mul_scalar_(beta2);
                let _ = st.exp_avg_sq.addcmul_(&(&grad * (1.0 - beta2)), &grad);
                // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                let mut denom = st.exp_avg_sq.sqrt() / bias_correction2_sqrt;
                let _ = denom.g_add_scalar_(eps);
                // param.addcdiv_(exp_avg, denom, value=-step_size): `self + value*t1/t2`,
                // again with value folded into t1.
                let _ = self.params[i].addcdiv_(&(&st.exp_avg * (-step_size)), &denom);
            });
        }
    }

    /// The same arithmetic element by element, as ATen's CPU kernels do it in float32 (scalars
    /// cast to float; lerp and addcmul fused into one fma), with the gradient zeroed on the way:
    /// two passes over memory and one ATen call per parameter instead of ~40 tensor operations.
    /// The square root stays ATen's: its float kernel is not IEEE sqrt on every CPU (the AVX-512
    /// build approximates it), so only ATen's own sqrt gives ATen's bits. Used only where a
    /// self-check found it bitwise equal to `step_tensor_ops` on this machine. False (nothing
    /// done) when a tensor is not a contiguous float32 CPU tensor.
    fn step_cpu(&mut self) -> bool {
        *CPU_PATH_IS_EXACT.get_or_init(cpu_path_is_exact) && self.step_cpu_unchecked()
    }

    fn step_cpu_unchecked(&mut self) -> bool {
        let AdamConfig { beta1, beta2, eps, .. } = self.config;
        let (w, b2, c2, eps) = ((1.0 - beta1) as f32, beta2 as f32, (1.0 - beta2) as f32, eps as f32);
        let steps: Vec<f32> = self.state.iter().map(|st| st.step + 1.0).collect();
        {
            let Some(mut views) = self.cpu_views() else { return false };
            for v in views.iter_mut() {
                update_moments(v.grad, v.exp_avg, v.exp_avg_sq, w, c2, b2);
            }
            let roots: Vec<Tensor> = tch::no_grad(|| self.state.iter().map(|st| st.exp_avg_sq.sqrt()).collect());
            for ((v, root), &step) in views.iter_mut().zip(&roots).zip(&steps) {
                let (step_size, bias_correction2_sqrt) = corrections(&self.config, step);
                let (neg_step_size, bc2_sqrt) = ((-step_size) as f32, bias_correction2_sqrt as f32);
                // SAFETY: a fresh contiguous f32 tensor of the same length, read only.
                let root = unsafe { std::slice::from_raw_parts(root.data_ptr() as *const f32, v.grad.len()) };
                update_params(root, v.exp_avg, v.param, v.grad, bc2_sqrt, eps, neg_step_size);
            }
        }
        for (st, step) in self.state.iter_mut().zip(steps) {
            st.step = step;
        }
        self.grads_zeroed = true;
        true
    }

    /// Mutable views of every (param, grad, exp_avg, exp_avg_sq) when all are contiguous float32
    /// CPU tensors of the same length and every gradient is defined.
    fn cpu_views(&self) -> Option<Vec<CpuView<'_>>> {
        let mut out = Vec::with_capacity(self.params.len());
        for (p, st) in self.params.iter().zip(self.state.iter()) {
            let g = p.grad();
            let ts = [p, &g, &st.exp_avg, &st.exp_avg_sq];
            let ok = g.defined()
                && ts
                    .iter()
                    .all(|t| t.device() == tch::Device::Cpu && t.kind() == Kind::Float && t.is_contiguous() && t.numel() == p.numel());
            if !ok {
                return None;
            }
            // SAFETY: four distinct contiguous f32 buffers of numel elements each, alive as long
            // as `self` (which holds params and state; a param keeps its grad), and nothing
            // else reads or writes them while the views live (no autograd graph is pending).
            let view = |t: &Tensor| unsafe { std::slice::from_raw_parts_mut(t.data_ptr() as *mut f32, t.numel()) };
            out.push(CpuView { param: view(p), grad: view(&g), exp_avg: view(&st.exp_avg), exp_avg_sq: view(&st.exp_avg_sq) });
        }
        Some(out)
    }
}

static CPU_PATH_IS_EXACT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Runs both Adam paths over awkward sizes (vector bodies and scalar tails) and gradients over
/// eight orders of magnitude, and says whether they agree to the bit on this machine.
fn cpu_path_is_exact() -> bool {
    // Values from a fixed LCG, not libtorch's generator, whose state belongs to the run.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let unit = (state >> 40) as f64 / (1u64 << 24) as f64; // [0, 1)
        let mantissa = (state >> 11 & 0xffff) as f64 / 65536.0 - 0.5;
        (mantissa * 10f64.powf(unit * 8.0 - 5.0)) as f32
    };
    let sizes = [1usize, 7, 16, 17, 33, 1000];
    let mut gen = || -> Vec<Tensor> { sizes.iter().map(|&n| Tensor::from_slice(&(0..n).map(|_| next()).collect::<Vec<f32>>())).collect() };
    let start: Vec<Tensor> = gen();
    let grads: Vec<Vec<Tensor>> = (0..3).map(|_| gen()).collect();
    let run = |cpu: bool| -> Vec<Tensor> {
        let params: Vec<Tensor> = start.iter().map(|t| t.copy().set_requires_grad(true)).collect();
        let mut adam = Adam::new(&params.iter().collect::<Vec<_>>(), AdamConfig::with_lr(1e-3));
        for g in &grads {
            adam.zero_grad();
            for (p, g) in params.iter().zip(g) {
                (p * g).sum(None).backward(); // d/dp sum(p * g) = g exactly
            }
            if cpu {
                adam.step_cpu_unchecked();
            } else {
                adam.step_tensor_ops();
            }
        }
        params.iter().map(|p| p.detach().copy()).chain(adam.state.iter().flat_map(|s| [s.exp_avg.copy(), s.exp_avg_sq.copy()])).collect()
    };
    let (a, b) = (run(true), run(false));
    a.iter().zip(&b).all(|(x, y)| x.view_dtype(Kind::Int).equal(&y.view_dtype(Kind::Int)))
}

/// exp_avg.lerp_(grad, w) and exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=c2), element by
/// element: fma(w, g - m, m) and fma(c2*g, g, v*b2), as ATen's float kernels compute them.
#[inline(always)]
fn moments(grad: &[f32], exp_avg: &mut [f32], exp_avg_sq: &mut [f32], w: f32, c2: f32, b2: f32) {
    for ((&g, m), v) in grad.iter().zip(exp_avg.iter_mut()).zip(exp_avg_sq.iter_mut()) {
        *m = w.mul_add(g - *m, *m);
        *v = (c2 * g).mul_add(g, *v * b2);
    }
}

/// denom = sqrt(exp_avg_sq) / bias_correction2_sqrt + eps, then param.addcdiv_(exp_avg, denom,
/// value=-step_size), i.e. param + (value * exp_avg) / denom; the gradient is zeroed.
#[inline(always)]
fn params(root: &[f32], exp_avg: &[f32], param: &mut [f32], grad: &mut [f32], bc2_sqrt: f32, eps: f32, neg_step_size: f32) {
    for (((&r, &m), p), g) in root.iter().zip(exp_avg).zip(param.iter_mut()).zip(grad.iter_mut()) {
        *p += (neg_step_size * m) / (r / bc2_sqrt + eps);
        *g = 0.0;
    }
}

// The passes compiled for AVX2 + FMA when the CPU has them: the same IEEE operations per
// element, on eight at a time (mul_add would otherwise be a libm call). Any vector width gives
// the same bits; the self-check runs these very functions.
#[cfg(target_arch = "x86_64")]
fn has_avx2_fma() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"))
}

fn update_moments(grad: &[f32], exp_avg: &mut [f32], exp_avg_sq: &mut [f32], w: f32, c2: f32, b2: f32) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn simd(grad: &[f32], exp_avg: &mut [f32], exp_avg_sq: &mut [f32], w: f32, c2: f32, b2: f32) {
            moments(grad, exp_avg, exp_avg_sq, w, c2, b2)
        }
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { simd(grad, exp_avg, exp_avg_sq, w, c2, b2) };
    }
    moments(grad, exp_avg, exp_avg_sq, w, c2, b2)
}

fn update_params(root: &[f32], exp_avg: &[f32], param: &mut [f32], grad: &mut [f32], bc2_sqrt: f32, eps: f32, neg_step_size: f32) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn simd(root: &[f32], exp_avg: &[f32], param: &mut [f32], grad: &mut [f32], bc2_sqrt: f32, eps: f32, neg_step_size: f32) {
            params(root, exp_avg, param, grad, bc2_sqrt, eps, neg_step_size)
        }
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { simd(root, exp_avg, param, grad, bc2_sqrt, eps, neg_step_size) };
    }
    params(root, exp_avg, param, grad, bc2_sqrt, eps, neg_step_size)
}

/// The bias corrections of a step, as Python floats (f64) from the float32 step count, which
/// is what `_get_value(step_t)` gives adam.py. Returns (step_size, bias_correction2_sqrt).
fn corrections(config: &AdamConfig, step: f32) -> (f64, f64) {
    let step = step as f64;
    let bias_correction1 = 1.0 - config.beta1.powf(step);
    let bias_correction2 = 1.0 - config.beta2.powf(step);
    (config.lr / bias_correction1, bias_correction2.powf(0.5))
}

struct CpuView<'a> {
    param: &'a mut [f32],
    grad: &'a mut [f32],
    exp_avg: &'a mut [f32],
    exp_avg_sq: &'a mut [f32],
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

#[cfg(test)]
mod tests {
    use super::*;

    fn grad_of(p: &Tensor) -> Vec<f32> {
        Vec::try_from(p.grad()).unwrap()
    }

    #[test]
    fn zero_grad_clears_a_backward_that_no_step_consumed() {
        let p = Tensor::from_slice(&[1.0f32, 2.0]).set_requires_grad(true);
        let mut adam = Adam::new(&[&p], AdamConfig::with_lr(0.1));
        (&p * 3.0).sum(None).backward();
        adam.step();
        assert_eq!(grad_of(&p), vec![0.0, 0.0], "the CPU step leaves the gradient zeroed");
        adam.zero_grad();
        (&p * 5.0).sum(None).backward(); // say the step is refused (divergence)
        adam.zero_grad();
        assert_eq!(grad_of(&p), vec![0.0, 0.0]);
        (&p * 2.0).sum(None).backward();
        assert_eq!(grad_of(&p), vec![2.0, 2.0]);
    }

    #[test]
    fn both_paths_move_the_parameters_alike() {
        let run = |tensor_ops: bool| {
            let p = Tensor::from_slice(&[0.5f32, -1.5, 3.0]).set_requires_grad(true);
            let mut adam = Adam::new(&[&p], AdamConfig::with_lr(0.01));
            for k in 1..=5 {
                adam.zero_grad();
                (&p * (k as f64)).pow_tensor_scalar(2).sum(None).backward();
                if tensor_ops {
                    adam.step_tensor_ops()
                } else {
                    adam.step()
                }
            }
            Vec::<f32>::try_from(p.detach()).unwrap()
        };
        let (a, b) = (run(false), run(true));
        assert_eq!(a, b);
        assert!(a[0] < 0.5 && a[1] > -1.5 && a[2] < 3.0, "every parameter moved towards 0: {a:?}");
    }
}
