//! What the element-by-element passes (Adam's in optim, the fast step's kernels) share: which
//! tensors they may read as plain memory, and AVX2 + FMA code generation where the CPU has it.

use tch::{Device, Kind, Tensor};

#[cfg(target_arch = "x86_64")]
pub fn has_avx2_fma() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"))
}

/// Calls `$kernel($args)` compiled for AVX2 + FMA when the CPU has them, else as it is: the same
/// IEEE operations per element, on eight at a time (`mul_add` would otherwise be a libm call).
macro_rules! with_avx2 {
    ($kernel:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {{
        #[cfg(target_arch = "x86_64")]
        if $crate::exact::simd::has_avx2_fma() {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn simd($($arg: $ty),*) -> $ret {
                $kernel($($arg),*)
            }
            // SAFETY: the CPU has AVX2 and FMA.
            return unsafe { simd($($arg),*) };
        }
        $kernel($($arg),*)
    }};
}
pub(crate) use with_avx2;

/// A contiguous float32 CPU tensor: memory a pass can read as `[f32]`.
pub fn cpu_f32(t: &Tensor) -> bool {
    t.defined() && t.device() == Device::Cpu && t.kind() == Kind::Float && t.is_contiguous()
}
