//! The optimizer: `torch.optim.Adam` and `torch.nn.utils.clip_grad_norm_`, step for step as
//! PyTorch 2.13 runs them on the CPU, so that a run here and in Python agree to the last bit.
//!
//! tch's `nn::Adam` is libtorch's C++ `torch::optim::Adam`, which computes the update with other
//! operations than Python's default CPU path (`_single_tensor_adam` in torch/optim/adam.py) and
//! drifts from it after a few steps. So we write `_single_tensor_adam` out here, same tensor
//! operations in the same order, with the state PyTorch keeps (a float32 step count, exp_avg,
//! exp_avg_sq).

use super::simd::{cpu_f32, with_avx2};
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

/// Which implementation of the step runs: both give PyTorch's bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdamPath {
    /// One fused pass per parameter in Rust, with ATen's sqrt (`Adam::step_cpu`).
    CpuFused,
    /// adam.py's tensor operations (`Adam::step_tensor_ops`).
    TensorOps,
}

#[derive(Debug)]
pub struct Adam {
    config: AdamConfig,
    params: Vec<Tensor>, // shallow clones: they share storage with the model's parameters
    state: Vec<AdamState>,
    /// The last step left every gradient at zero (the CPU path does) and no zero_grad has run
    /// since, so the next zero_grad has nothing to do.
    grads_zeroed: bool,
}

impl Adam {
    pub fn new(params: &[&Tensor], config: AdamConfig) -> Adam {
        let state = params.iter().map(|p| AdamState { step: 0.0, exp_avg: p.zeros_like(), exp_avg_sq: p.zeros_like() }).collect();
        Adam { config, params: params.iter().map(|p| p.shallow_clone()).collect(), state, grads_zeroed: false }
    }

    /// The parameters it updates (sharing the model's storage).
    pub fn params(&self) -> &[Tensor] {
        &self.params
    }

    /// Its state per parameter, as `optimizer.state`.
    pub fn state(&self) -> &[AdamState] {
        &self.state
    }

    /// The implementation `step` runs for these tensors on this machine.
    pub fn path(&self) -> AdamPath {
        let all = self.params.iter().chain(self.state.iter().flat_map(|s| [&s.exp_avg, &s.exp_avg_sq]));
        let cpu_float = all.clone().all(|t| t.device() == tch::Device::Cpu && t.kind() == Kind::Float && t.is_contiguous());
        if cpu_float && *CPU_PATH_IS_EXACT.get_or_init(cpu_path_is_exact) {
            AdamPath::CpuFused
        } else {
            AdamPath::TensorOps
        }
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
            let moment = |t: &Tensor| t.to_device(device).contiguous();
            restored.push(AdamState { step: st.step, exp_avg: moment(&st.exp_avg), exp_avg_sq: moment(&st.exp_avg_sq) });
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

    /// Hands the optimizer gradients computed outside autograd (the fast step), as plain values
    /// in state_dict order: each copied into its parameter's `.grad`, which must already be a
    /// float32 CPU buffer (a first autograd backward makes it); None leaves a gradient as
    /// autograd would have, untouched.
    pub fn set_grad_values(&mut self, grads: &[Option<Vec<f32>>; 4]) -> anyhow::Result<()> {
        for (p, g) in self.params.iter().zip(grads) {
            if let Some(g) = g.as_ref() {
                if !cpu_f32(&p.grad()) || g.len() != p.numel() {
                    anyhow::bail!("the fast step's gradients need float32 CPU gradient buffers of their parameters' sizes");
                }
            }
        }
        self.grads_zeroed = false;
        for (p, g) in self.params.iter().zip(grads) {
            if let Some(g) = g.as_ref().filter(|g| !g.is_empty()) {
                // SAFETY: a contiguous f32 CPU gradient buffer of g.len() values (checked above),
                // written only here while `&mut self` keeps every other user away.
                unsafe { elements(&p.grad()) }.copy_from_slice(g);
            }
        }
        Ok(())
    }

    /// True when every gradient is finite.
    pub fn grads_finite(&self) -> bool {
        let grads: Vec<Tensor> = self.params.iter().map(|p| p.grad()).filter(|g| g.defined()).collect();
        if grads.iter().all(cpu_f32) {
            // SAFETY: contiguous f32 CPU buffers, read only, while `&self` keeps every writer away.
            return grads.iter().filter(|g| g.numel() > 0).all(|g| all_finite(unsafe { elements(g) }));
        }
        // A sum is NaN or infinite as soon as one element is.
        let sums: Vec<Tensor> = grads.iter().map(|g| g.sum(None)).collect();
        sums.is_empty() || f64::try_from(Tensor::stack(&sums, 0).sum(None)).is_ok_and(|s| s.is_finite())
    }

    /// `optimizer.step()`: `_single_tensor_adam` with amsgrad, maximize and weight decay off.
    /// On the CPU it runs as one pass over the elements (`step_cpu`), elsewhere as the tensor
    /// operations of adam.py (`step_tensor_ops`); both are bitwise PyTorch's (tests/pytorch.rs).
    /// Returns false when the step would make a weight non-finite (a huge learning rate): the
    /// weights, moments and step counts are left as they were, on either path.
    pub fn step(&mut self) -> bool {
        if *CPU_PATH_IS_EXACT.get_or_init(cpu_path_is_exact) {
            if let Some(applied) = self.step_cpu() {
                return applied;
            }
        }
        self.step_tensor_ops()
    }

    /// The step as adam.py writes it, one tensor operation after another (with a copy of what
    /// it changes, to put back if a weight would become non-finite).
    pub fn step_tensor_ops(&mut self) -> bool {
        let AdamConfig { beta1, beta2, eps, .. } = self.config;
        let before: Vec<(Tensor, AdamState)> =
            tch::no_grad(|| self.params.iter().zip(&self.state).map(|(p, st)| (p.copy(), st.deep_copy())).collect());
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
        let finite = tch::no_grad(|| self.params.iter().all(|p| p.numel() == 0 || f64::try_from(p.sum(None)).is_ok_and(|s| s.is_finite())));
        if !finite {
            tch::no_grad(|| {
                for ((p, st), (p0, st0)) in self.params.iter_mut().zip(self.state.iter_mut()).zip(before) {
                    p.copy_(&p0);
                    *st = st0;
                }
            });
        }
        finite
    }

    /// The buffers of every parameter, found once per step (each lookup is a call into
    /// libtorch), none unless each is a contiguous float32 CPU tensor. The moments are made like
    /// their parameters (`new`, `restore`), so they are contiguous float32 CPU tensors whenever
    /// it is. (A parameter keeps its gradient: the pointers outlive the handles.)
    fn cpu_buffers(&self) -> Option<Vec<Buffers>> {
        let grads: Vec<Tensor> = self.params.iter().map(|p| p.grad()).collect();
        let mut bufs = Vec::with_capacity(self.params.len());
        for ((p, g), st) in self.params.iter().zip(&grads).zip(&self.state) {
            if !(cpu_f32(p) && cpu_f32(g)) || g.numel() != p.numel() {
                return None;
            }
            let ptr = |t: &Tensor| t.data_ptr() as *mut f32;
            bufs.push(Buffers { n: p.numel(), p: ptr(p), g: ptr(g), m: ptr(&st.exp_avg), v: ptr(&st.exp_avg_sq) });
        }
        assert_disjoint(&bufs);
        Some(bufs)
    }

    /// The same arithmetic element by element, as ATen's CPU kernels do it in float32 (scalars
    /// cast to float; lerp and addcmul fused into one fma), with the gradient zeroed on the way:
    /// a few passes over memory and one ATen call per parameter instead of ~40 tensor operations.
    /// The square root stays ATen's: its float kernel is not IEEE sqrt on every CPU (the AVX-512
    /// build approximates it), so only ATen's own sqrt gives ATen's bits. `step` uses it only
    /// where a self-check found it bitwise equal to `step_tensor_ops` on this machine. None
    /// (nothing done) when a tensor or gradient is not a contiguous float32 CPU tensor.
    ///
    /// Phases, so that no slice of a buffer is alive while ATen touches it: the moments in
    /// place (a copy kept); their square roots (ATen, into fresh buffers); the new weights
    /// computed over the roots; a check that all are finite (if not, the moments put back); then
    /// the weights copied in and the gradients zeroed.
    fn step_cpu(&mut self) -> Option<bool> {
        let AdamConfig { beta1, beta2, eps, .. } = self.config;
        let (w, b2, c2, eps) = ((1.0 - beta1) as f32, beta2 as f32, (1.0 - beta2) as f32, eps as f32);
        let bufs = self.cpu_buffers()?;
        let steps: Vec<f32> = self.state.iter().map(|st| st.step + 1.0).collect();
        // SAFETY (every slice below): distinct (asserted) buffers of n contiguous f32 each, owned
        // by tensors `self` holds (a param keeps its grad) behind `&mut self`, or by `roots`;
        // each slice lives within one statement, with no ATen call or autograd graph touching
        // them meanwhile.
        let slice = |ptr: *mut f32, n: usize| unsafe { std::slice::from_raw_parts_mut(ptr, n) };
        // The moments before this step, put back if it is refused (a few kilobytes here).
        let before: Vec<(Vec<f32>, Vec<f32>)> = bufs.iter().map(|b| (slice(b.m, b.n).to_vec(), slice(b.v, b.n).to_vec())).collect();
        for b in bufs.iter().filter(|b| b.n > 0) {
            update_moments(slice(b.g, b.n), slice(b.m, b.n), slice(b.v, b.n), w, c2, b2);
        }
        let roots: Vec<Tensor> = tch::no_grad(|| self.state.iter().map(|st| st.exp_avg_sq.sqrt()).collect());
        let parts: Vec<(&Buffers, *mut f32, f32, f32)> = bufs
            .iter()
            .zip(&roots)
            .zip(&steps)
            .filter(|((b, _), _)| b.n > 0)
            .map(|((b, root), &step)| {
                let (step_size, bias_correction2_sqrt) = corrections(&self.config, step);
                (b, root.data_ptr() as *mut f32, (-step_size) as f32, bias_correction2_sqrt as f32)
            })
            .collect();
        // The new weights, computed over the roots; written only if all are finite.
        let mut finite = true;
        for &(b, r, nss, bc2) in &parts {
            finite &= new_params(slice(r, b.n), slice(b.m, b.n), slice(b.p, b.n), bc2, eps, nss);
        }
        if !finite {
            for (b, (m, v)) in bufs.iter().zip(&before) {
                slice(b.m, b.n).copy_from_slice(m);
                slice(b.v, b.n).copy_from_slice(v);
            }
            return Some(false);
        }
        for &(b, r, _, _) in &parts {
            take_params(slice(r, b.n), slice(b.p, b.n), slice(b.g, b.n));
        }
        for (st, step) in self.state.iter_mut().zip(steps) {
            st.step = step;
        }
        self.grads_zeroed = true;
        Some(true)
    }
}

/// One parameter's buffers for the CPU path: n elements each.
struct Buffers {
    n: usize,
    p: *mut f32,
    g: *mut f32,
    m: *mut f32,
    v: *mut f32,
}

/// The elements of a non-empty contiguous f32 CPU tensor.
/// SAFETY: the caller guarantees `cpu_f32(t)`, `t.numel() > 0`, and that for as long as the
/// slice lives nothing else reads or writes the buffer (no other slice of it, no ATen call).
#[allow(clippy::mut_from_ref)]
unsafe fn elements(t: &Tensor) -> &mut [f32] {
    debug_assert!(cpu_f32(t) && t.numel() > 0);
    std::slice::from_raw_parts_mut(t.data_ptr() as *mut f32, t.numel())
}

/// Panics unless the buffers share no byte (what makes the slices of one step distinct).
fn assert_disjoint(bufs: &[Buffers]) {
    let mut spans: Vec<(usize, usize)> =
        bufs.iter().filter(|b| b.n > 0).flat_map(|b| [b.p, b.g, b.m, b.v].map(|ptr| (ptr as usize, b.n * 4))).collect();
    spans.sort_unstable();
    assert!(spans.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0), "Adam's CPU path was handed overlapping buffers");
}

impl AdamState {
    fn deep_copy(&self) -> AdamState {
        AdamState { step: self.step, exp_avg: self.exp_avg.copy(), exp_avg_sq: self.exp_avg_sq.copy() }
    }
}

static CPU_PATH_IS_EXACT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Whether the CPU path gives `step_tensor_ops`'s bits on this machine (see `paths_agree`).
fn cpu_path_is_exact() -> bool {
    paths_agree(|adam| adam.step_cpu().unwrap_or(false), Adam::step_tensor_ops)
}

/// Runs two implementations of the step over awkward sizes (vector bodies and scalar tails) and
/// gradients over eight orders of magnitude, three steps, and says whether they leave the same
/// bits in every weight and moment.
fn paths_agree(a: fn(&mut Adam) -> bool, b: fn(&mut Adam) -> bool) -> bool {
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
    let run = |step: fn(&mut Adam) -> bool| -> Vec<Tensor> {
        let params: Vec<Tensor> = start.iter().map(|t| t.copy().set_requires_grad(true)).collect();
        let mut adam = Adam::new(&params.iter().collect::<Vec<_>>(), AdamConfig::with_lr(1e-3));
        for g in &grads {
            adam.zero_grad();
            for (p, g) in params.iter().zip(g) {
                (p * g).sum(None).backward(); // d/dp sum(p * g) = g exactly
            }
            step(&mut adam);
        }
        params.iter().map(|p| p.detach().copy()).chain(adam.state.iter().flat_map(|s| [s.exp_avg.copy(), s.exp_avg_sq.copy()])).collect()
    };
    let (x, y) = (run(a), run(b));
    x.iter().zip(&y).all(|(x, y)| x.view_dtype(Kind::Int).equal(&y.view_dtype(Kind::Int)))
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

/// The new weight: denom = sqrt(exp_avg_sq) / bias_correction2_sqrt + eps, then
/// param.addcdiv_(exp_avg, denom, value=-step_size), i.e. param + (value * exp_avg) / denom.
#[inline(always)]
fn new_param(r: f32, m: f32, p: f32, bc2_sqrt: f32, eps: f32, neg_step_size: f32) -> f32 {
    p + (neg_step_size * m) / (r / bc2_sqrt + eps)
}

/// The new weights, written over the square roots they are computed from; whether all are
/// finite (no exponent with every bit set), tested on the bits so that the loop vectorizes.
#[inline(always)]
fn candidates(root: &mut [f32], exp_avg: &[f32], param: &[f32], bc2_sqrt: f32, eps: f32, neg_step_size: f32) -> bool {
    let mut bad = 0u32;
    for ((r, &m), &p) in root.iter_mut().zip(exp_avg).zip(param) {
        *r = new_param(*r, m, p, bc2_sqrt, eps, neg_step_size);
        bad |= (r.to_bits() & 0x7f80_0000 == 0x7f80_0000) as u32;
    }
    bad == 0
}

#[inline(always)]
fn no_exponent_all_ones(values: &[f32]) -> bool {
    values.iter().fold(0u32, |bad, v| bad | (v.to_bits() & 0x7f80_0000 == 0x7f80_0000) as u32) == 0
}

/// The new weights copied in, the gradient zeroed.
#[inline(always)]
fn take(new: &[f32], param: &mut [f32], grad: &mut [f32]) {
    for ((&n, p), g) in new.iter().zip(param.iter_mut()).zip(grad.iter_mut()) {
        *p = n;
        *g = 0.0;
    }
}

// The passes compiled for AVX2 + FMA when the CPU has them: the same IEEE operations per
// element, on eight at a time (mul_add would otherwise be a libm call). Any vector width gives
// the same bits; the self-check runs these very functions.
fn update_moments(grad: &[f32], exp_avg: &mut [f32], exp_avg_sq: &mut [f32], w: f32, c2: f32, b2: f32) {
    with_avx2!(moments(grad: &[f32], exp_avg: &mut [f32], exp_avg_sq: &mut [f32], w: f32, c2: f32, b2: f32) -> ())
}

fn new_params(root: &mut [f32], exp_avg: &[f32], param: &[f32], bc2_sqrt: f32, eps: f32, neg_step_size: f32) -> bool {
    with_avx2!(candidates(root: &mut [f32], exp_avg: &[f32], param: &[f32], bc2_sqrt: f32, eps: f32, neg_step_size: f32) -> bool)
}

/// No infinity and no NaN, tested on the bits with no early exit, so that the loop vectorizes.
fn all_finite(values: &[f32]) -> bool {
    with_avx2!(no_exponent_all_ones(values: &[f32]) -> bool)
}

fn take_params(new: &[f32], param: &mut [f32], grad: &mut [f32]) {
    with_avx2!(take(new: &[f32], param: &mut [f32], grad: &mut [f32]) -> ())
}

/// The bias corrections of a step, as Python floats (f64) from the float32 step count, which
/// is what `_get_value(step_t)` gives adam.py. Returns (step_size, bias_correction2_sqrt).
fn corrections(config: &AdamConfig, step: f32) -> (f64, f64) {
    let step = step as f64;
    let bias_correction1 = 1.0 - config.beta1.powf(step);
    let bias_correction2 = 1.0 - config.beta2.powf(step);
    (config.lr / bias_correction1, bias_correction2.powf(0.5))
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
        assert!(adam.step());
        adam.zero_grad(); // after the CPU path's step: nothing left to do; after the other: clears
        assert_eq!(grad_of(&p), vec![0.0, 0.0]);
        (&p * 5.0).sum(None).backward(); // say the step is refused (divergence)
        adam.zero_grad();
        assert_eq!(grad_of(&p), vec![0.0, 0.0]);
        (&p * 2.0).sum(None).backward();
        assert_eq!(grad_of(&p), vec![2.0, 2.0]);
    }

    #[test]
    fn both_paths_move_the_parameters_alike() {
        let run = |step: fn(&mut Adam) -> bool| {
            let p = Tensor::from_slice(&[0.5f32, -1.5, 3.0]).set_requires_grad(true);
            let mut adam = Adam::new(&[&p], AdamConfig::with_lr(0.01));
            for k in 1..=5 {
                adam.zero_grad();
                (&p * (k as f64)).pow_tensor_scalar(2).sum(None).backward();
                assert!(step(&mut adam));
            }
            Vec::<f32>::try_from(p.detach()).unwrap()
        };
        let (a, b) = (run(Adam::step), run(Adam::step_tensor_ops));
        assert_eq!(a, b);
        assert!(a[0] < 0.5 && a[1] > -1.5 && a[2] < 3.0, "every parameter moved towards 0: {a:?}");
    }

    #[test]
    fn the_self_check_accepts_equal_paths_and_sees_one_ulp() {
        assert!(paths_agree(Adam::step_tensor_ops, Adam::step_tensor_ops));
        fn one_ulp_off(adam: &mut Adam) -> bool {
            let done = adam.step_tensor_ops();
            let last = adam.params.last().unwrap();
            let v = f32::try_from(last.get(0)).unwrap();
            let _ = tch::no_grad(|| last.get(0).fill_(f32::from_bits(v.to_bits() + 1) as f64));
            done
        }
        assert!(!paths_agree(Adam::step_tensor_ops, one_ulp_off));
    }

    #[test]
    fn the_cpu_path_takes_float32_cpu_tensors_only() {
        let p = Tensor::from_slice(&[1.0f64]).set_requires_grad(true);
        assert_eq!(Adam::new(&[&p], AdamConfig::with_lr(0.1)).path(), AdamPath::TensorOps, "float64");
        let p = Tensor::from_slice(&[1.0f32, 2.0]).set_requires_grad(true);
        assert_eq!(Adam::new(&[&p], AdamConfig::with_lr(0.1)).path(), AdamPath::CpuFused, "on this x86_64 machine it agrees");
    }

    #[test]
    fn a_step_that_would_make_a_weight_non_finite_leaves_weights_and_moments_on_either_path() {
        for step in [Adam::step as fn(&mut Adam) -> bool, Adam::step_tensor_ops] {
            let p = Tensor::from_slice(&[1.0f32, 0.0, -2.0]).set_requires_grad(true);
            let mut adam = Adam::new(&[&p], AdamConfig::with_lr(1e-2));
            (&p * 3.0).sum(None).backward();
            assert!(step(&mut adam));
            let (weights, m, v) = (p.detach().copy(), adam.state[0].exp_avg.copy(), adam.state[0].exp_avg_sq.copy());
            adam.config.lr = 1e39; // step_size overflows float32: the new weights would be infinite
            adam.zero_grad();
            (&p * 3.0).sum(None).backward();
            assert!(!step(&mut adam));
            assert!(p.detach().equal(&weights), "the weights are left as they were");
            assert_eq!(adam.state[0].step, 1.0, "and so is the step count");
            assert!(adam.state[0].exp_avg.equal(&m) && adam.state[0].exp_avg_sq.equal(&v), "and so are the moments");
        }
    }

    #[test]
    fn empty_parameters_are_stepped_without_touching_memory() {
        let (p, e) = (
            Tensor::from_slice(&[1.0f32]).set_requires_grad(true),
            Tensor::zeros([0], (Kind::Float, tch::Device::Cpu)).set_requires_grad(true),
        );
        let mut adam = Adam::new(&[&p, &e], AdamConfig::with_lr(0.1));
        (&p * 2.0).sum(None).backward();
        e.sum(None).backward();
        assert!(adam.step());
        assert_eq!(
            adam.state.iter().map(|s| s.step).collect::<Vec<_>>(),
            vec![1.0, 1.0],
            "PyTorch counts a step for every parameter with a gradient"
        );
    }
}
