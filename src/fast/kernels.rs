//! The kernels ATen runs for this model's step on the CPU, called without ATen around them: MKL's
//! `sgemm_` with the arguments ATen's `addmm` and `mm` hand it for these layouts, MKL VML's
//! `vmsTanh` in the mode ATen's `tanh` uses, and ATen's elementwise formulas written out. At the
//! blog's size a step is ~50 ATen calls of ~1 µs of dispatch, allocation and TensorIterator set-up
//! each around sub-microsecond kernels; these skip that and compute the same bits (unit tests
//! below compare each with ATen, and every run checks the whole step against autograd).
//!
//! MKL's two entry points are looked up at run time in the libtorch the process loaded (`mkl`),
//! never linked: a libtorch built without MKL (aarch64, macOS, Windows, some conda builds) links
//! and runs, and its runs train with autograd.
//!
//! All matrices are row-major, contiguous float32. MKL is column-major: a row-major [r, c] matrix
//! is its column-major [c, r] transpose, which is how the transposes below are chosen.

use crate::exact::simd::{cpu_f32, with_avx2};
use std::os::raw::{c_char, c_int};
use tch::Tensor;

/// MKL's `sgemm_` (LP64: 32-bit integers).
type Sgemm = unsafe extern "C" fn(
    transa: *const c_char,
    transb: *const c_char,
    m: *const c_int,
    n: *const c_int,
    k: *const c_int,
    alpha: *const f32,
    a: *const f32,
    lda: *const c_int,
    b: *const f32,
    ldb: *const c_int,
    beta: *const f32,
    c: *mut f32,
    ldc: *const c_int,
);
/// MKL VML's `vmsTanh`.
type VmsTanh = unsafe extern "C" fn(n: c_int, a: *const f32, y: *mut f32, mode: u64);

/// MKL's entry points as the loaded libtorch exports them.
pub struct Mkl {
    sgemm: Sgemm,
    vms_tanh: VmsTanh,
}

/// MKL in this process, or None when the libtorch loaded does not export it.
pub fn mkl() -> Option<&'static Mkl> {
    static MKL: std::sync::OnceLock<Option<Mkl>> = std::sync::OnceLock::new();
    MKL.get_or_init(|| {
        let (sgemm, vms_tanh) = (lookup(c"sgemm_")?, lookup(c"vmsTanh")?);
        // SAFETY: the symbols are MKL's functions of these signatures (MKL's LP64 interface,
        // which libtorch's own calls use).
        Some(unsafe {
            Mkl {
                sgemm: std::mem::transmute::<*mut std::ffi::c_void, Sgemm>(sgemm),
                vms_tanh: std::mem::transmute::<*mut std::ffi::c_void, VmsTanh>(vms_tanh),
            }
        })
    })
    .as_ref()
}

/// A function of the process's global symbols (libtorch's among them), by name.
#[cfg(unix)]
fn lookup(name: &std::ffi::CStr) -> Option<*mut std::ffi::c_void> {
    // SAFETY: dlsym with RTLD_DEFAULT only reads the loaded objects' symbol tables.
    let f = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!f.is_null()).then_some(f)
}

#[cfg(not(unix))]
fn lookup(_name: &std::ffi::CStr) -> Option<*mut std::ffi::c_void> {
    None
}

/// ATen's mode for VML (aten/src/ATen/cpu/vml.h): VML_HA | VML_FTZDAZ_OFF | VML_ERRMODE_IGNORE.
const VML_MODE: u64 = 0x2 | 0x0014_0000 | 0x100;

/// Whether these kernels can stand in for ATen's: a size that fits MKL's 32-bit integers.
pub fn fits(values: usize) -> bool {
    values <= c_int::MAX as usize
}

/// A contiguous float32 CPU tensor's values, borrowed (None for any other tensor).
pub fn values(t: &Tensor) -> Option<&[f32]> {
    if !(cpu_f32(t) && fits(t.numel())) {
        return None;
    }
    if t.numel() == 0 {
        return Some(&[]);
    }
    // SAFETY: contiguous float32 CPU memory of numel values; the callers read tensors that
    // nothing writes while the borrow of `t` lives (the weights change only in the optimizer).
    Some(unsafe { std::slice::from_raw_parts(t.data_ptr() as *const f32, t.numel()) })
}

/// A buffer's values to write: a non-empty contiguous float32 CPU tensor this code made.
pub fn values_mut(t: &mut Tensor) -> &mut [f32] {
    assert!(cpu_f32(t) && t.numel() > 0);
    // SAFETY: the tensor owns its memory (made by Tensor::empty), and `&mut` keeps every other
    // reader away while the slice lives.
    unsafe { std::slice::from_raw_parts_mut(t.data_ptr() as *mut f32, t.numel()) }
}

#[allow(clippy::too_many_arguments)]
fn gemm(
    mkl: &Mkl,
    ta: u8,
    tb: u8,
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    let (ta, tb) = (ta as c_char, tb as c_char);
    let [m, n, k, lda, ldb, ldc] = [m, n, k, lda, ldb, ldc].map(|v| v as c_int);
    let alpha = 1.0f32;
    // SAFETY: the slices hold the matrices the dimensions describe (checked by the callers'
    // asserts); MKL reads a and b and writes c only.
    unsafe { (mkl.sgemm)(&ta, &tb, &m, &n, &k, &alpha, a.as_ptr(), &lda, b.as_ptr(), &ldb, &beta, c.as_mut_ptr(), &ldc) }
}

/// `out[rows, outs] = bias + x[rows, ins] @ w[outs, ins]^T`: ATen's `addmm(bias, x, w.t())`, which
/// copies the bias into every row and then accumulates the product onto it (beta 1).
pub fn linear(mkl: &Mkl, bias: &[f32], x: &[f32], w: &[f32], out: &mut [f32]) {
    let (outs, ins) = (bias.len(), w.len() / bias.len());
    let rows = x.len() / ins;
    assert!(w.len() == outs * ins && x.len() == rows * ins && out.len() == rows * outs);
    for row in out.chunks_exact_mut(outs) {
        row.copy_from_slice(bias);
    }
    gemm(mkl, b'T', b'N', outs, rows, ins, w, ins, x, ins, 1.0, out, outs);
}

/// `out[outs, ins] = dz[rows, outs]^T @ x[rows, ins]`: the weight gradient, ATen's `dz.t().mm(x)`.
pub fn weight_grad(mkl: &Mkl, dz: &[f32], x: &[f32], outs: usize, out: &mut [f32]) {
    let rows = dz.len() / outs;
    let ins = x.len() / rows;
    assert!(dz.len() == rows * outs && x.len() == rows * ins && out.len() == outs * ins);
    gemm(mkl, b'N', b'T', ins, outs, rows, x, ins, dz, outs, 0.0, out, ins);
}

/// `out[rows, ins] = dz[rows, outs] @ w[outs, ins]`: the input gradient, ATen's `dz.mm(w)`.
pub fn input_grad(mkl: &Mkl, dz: &[f32], w: &[f32], outs: usize, out: &mut [f32]) {
    let rows = dz.len() / outs;
    let ins = w.len() / outs;
    assert!(dz.len() == rows * outs && w.len() == outs * ins && out.len() == rows * ins);
    gemm(mkl, b'N', b'N', ins, rows, outs, w, ins, dz, outs, 0.0, out, ins);
}

/// `y = tanh(x)`, elementwise: what ATen's `tanh` runs on a contiguous float tensor.
pub fn tanh(mkl: &Mkl, x: &[f32], y: &mut [f32]) {
    assert!(x.len() == y.len() && fits(x.len()));
    // SAFETY: x and y hold n values each.
    unsafe { (mkl.vms_tanh)(x.len() as c_int, x.as_ptr(), y.as_mut_ptr(), VML_MODE) }
}

/// ATen's `tanh_backward(grad, y)`: `grad * (1 - y * y)`, where the compiler that built ATen's
/// kernel fused `1 - y * y` into one FMA (one rounding); so does this (the test below finds the
/// unfused form a bit off).
pub fn tanh_backward(grad: &[f32], y: &[f32], out: &mut [f32]) {
    with_avx2!(tanh_backward_fma(grad: &[f32], y: &[f32], out: &mut [f32]) -> ())
}

#[inline(always)]
fn tanh_backward_fma(grad: &[f32], y: &[f32], out: &mut [f32]) {
    for ((o, &g), &y) in out.iter_mut().zip(grad).zip(y) {
        *o = g * (-y).mul_add(y, 1.0);
    }
}

/// ATen's `mse_loss_backward(grad, input, target, Mean)`: `norm * (input - target) * grad` with
/// `norm = 2 / numel` rounded to float32 first.
pub fn mse_loss_backward(grad: f32, input: &[f32], target: &[f32], out: &mut [f32]) {
    let norm = (2.0 / input.len() as f64) as f32;
    for ((o, &a), &b) in out.iter_mut().zip(input).zip(target) {
        *o = norm * (a - b) * grad;
    }
}

/// `acc += g`, elementwise: ATen's `acc + g`, in place.
pub fn add_into(acc: &mut [f32], g: &[f32]) {
    for (a, &g) in acc.iter_mut().zip(g) {
        *a += g;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    fn values(t: &Tensor) -> Vec<f32> {
        Vec::try_from(t.contiguous().flatten(0, -1)).unwrap()
    }

    fn random(shape: &[i64], seed: u64) -> Tensor {
        crate::seeded(seed, || Tensor::randn(shape, (Kind::Float, Device::Cpu)))
    }

    fn same_bits(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    /// (rows, ins, outs): the blog's, other hidden sizes, a batch of one, a ragged last batch.
    const SHAPES: [(i64, i64, i64); 7] = [(32, 34, 32), (16, 34, 32), (31, 34, 32), (1, 3, 2), (33, 65, 64), (5, 24, 17), (128, 258, 256)];

    #[test]
    fn the_products_are_atens_bit_for_bit() {
        let mkl = mkl().expect("the pinned libtorch exports MKL");
        for (seed, &(rows, ins, outs)) in SHAPES.iter().enumerate() {
            let seed = seed as u64 * 10;
            let (x, w, b, dz) =
                (random(&[rows, ins], seed), random(&[outs, ins], seed + 1), random(&[outs], seed + 2), random(&[rows, outs], seed + 3));
            let (xv, wv, bv, dzv) = (values(&x), values(&w), values(&b), values(&dz));
            let mut out = vec![0f32; (rows * outs) as usize];
            linear(mkl, &bv, &xv, &wv, &mut out);
            assert!(same_bits(&out, &values(&b.addmm(&x, &w.tr()))), "linear {rows}x{ins}x{outs}");
            let mut out = vec![0f32; (outs * ins) as usize];
            weight_grad(mkl, &dzv, &xv, outs as usize, &mut out);
            assert!(same_bits(&out, &values(&dz.tr().mm(&x))), "weight_grad {rows}x{ins}x{outs}");
            let mut out = vec![0f32; (rows * ins) as usize];
            input_grad(mkl, &dzv, &wv, outs as usize, &mut out);
            assert!(same_bits(&out, &values(&dz.mm(&w))), "input_grad {rows}x{ins}x{outs}");
        }
    }

    #[test]
    fn the_elementwise_kernels_are_atens_bit_for_bit() {
        let mkl = mkl().expect("the pinned libtorch exports MKL");
        for (n, seed) in [(1024i64, 1u64), (1, 2), (17, 3), (100_000, 4)] {
            let x = random(&[n], seed) * 3.0;
            let g = random(&[n], seed + 100);
            let (xv, gv) = (values(&x), values(&g));
            let mut out = vec![0f32; n as usize];
            tanh(mkl, &xv, &mut out);
            assert!(same_bits(&out, &values(&x.tanh())), "tanh {n}");
            let y = x.tanh();
            tanh_backward(&gv, &values(&y), &mut out);
            assert!(same_bits(&out, &values(&Tensor::tanh_backward(&g, &y))), "tanh_backward {n}");
            let seed_grad = Tensor::from(0.25f32);
            mse_loss_backward(0.25, &xv, &gv, &mut out);
            assert!(same_bits(&out, &values(&x.mse_loss_backward(&seed_grad, &g, tch::Reduction::Mean))), "mse_loss_backward {n}");
            let mut acc = xv.clone();
            add_into(&mut acc, &gv);
            assert!(same_bits(&acc, &values(&(&x + &g))), "add {n}");
        }
    }
}
