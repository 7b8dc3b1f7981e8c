//! The numerics that are exactly PyTorch's: its Adam and `clip_grad_norm_` (optim), the
//! backward pass written out with autograd's own formulas, in its engine's order (backward), and
//! the kernels ATen calls for the step, called directly with ATen's arguments (kernels).
//! Every change here is checked bitwise against PyTorch by tests/pytorch.rs.

pub mod backward;
pub mod kernels;
pub mod optim;
