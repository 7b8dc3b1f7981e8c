//! The numerics that are exactly PyTorch's: its Adam and `clip_grad_norm_` (optim), and what
//! their element-by-element passes share with the fast step (simd). Every change here is checked
//! bitwise against PyTorch by tests/pytorch.rs.

pub mod optim;
pub mod simd;
