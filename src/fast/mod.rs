//! The fast step: the blog's training step (tanh, the loss of the last step, float32 on one CPU
//! thread) computed from the weights as they are, with the kernels ATen itself would call
//! (`kernels`), without autograd's engine or ATen's dispatch around them. It gives autograd's
//! loss and gradients bit for bit, and is used only once it did so on the run's own batches
//! (`agrees_with_autograd`); anywhere else training takes autograd. The model knows nothing of
//! it.
//!
//! For step t, with data_t = [h_{t-1} : x_t] (h_{-1} is zeros):
//!   h_t = tanh(b_h + data_t . W_h^T)     y_t = tanh(b_y + data_t . W_y^T)
//! the loss reads the last y only, and with dz the gradient at a layer's pre-activation,
//! autograd's AddmmBackward0 gives
//!   dW = dz^T . data_t   (mm_mat2_backward)      db = sum over the batch of dz (sum_to)
//!   d data_t = dz . W   (mm_mat1_backward), whose first H columns are dh_{t-1} (CatBackward0).
//! The engine reaches the steps in reverse time, so each parameter's contributions add up from
//! the last step back: ((g_T + g_T-1) + ...) + g_0.

pub mod kernels;
pub mod step;

pub use step::*;
