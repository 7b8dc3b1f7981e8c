//! The numerics that are exactly PyTorch's: its Adam and `clip_grad_norm_` (optim), and the
//! backward pass written out with autograd's own formulas, in its engine's order (backward).
//! Every change here is checked bitwise against PyTorch by tests/pytorch.rs.

pub mod backward;
pub mod kernels;
pub mod optim;
