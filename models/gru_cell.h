// The GRU cell's element-wise part as one autograd node.
//
// Cho et al. 2014 ("Learning Phrase Representations using RNN Encoder-Decoder", §2.3), in the
// form LibTorch's GRU uses (reset gate applied after the hidden projection):
//   r = σ(x_r + h_r),  z = σ(x_z + h_z),  n = tanh(x_n + r ⊙ h_n),  h' = (1 − z) ⊙ n + z ⊙ h
// with gx = W_ih x + b_ih = [x_r, x_z, x_n] and gh = W_hh h + b_hh = [h_r, h_z, h_n].
// Unfused, this is 11 tensor ops forward and about 20 backward per step and layer, each a
// dispatch and an allocation on [batch, hidden] tensors of a few hundred kB: on a CPU the
// decoder's recurrence spends more time there than in its matrix products at batch ~100.
#pragma once

#include <torch/torch.h>

namespace tinynmt {

/// h' of the GRU cell above. gx, gh [batch, 3·hidden]; h [batch, hidden]; any row stride (the
/// last dim contiguous is not required: other layouts are copied). Returns h' [batch, hidden].
/// Backward (hand-written, one pass): with g = ∂L/∂h', dn = g(1 − z)(1 − n²),
/// dz = g(h − n) z(1 − z), dr = dn ⊙ h_n ⊙ r(1 − r):
///   ∂gx = [dr, dz, dn], ∂gh = [dr, dz, dn ⊙ r], ∂h = g ⊙ z.
/// CPU float32/float64 run the fused kernels; other devices and types run the unfused ops.
/// Throws std::invalid_argument when the shapes do not match.
torch::Tensor gru_cell(const torch::Tensor& gx, const torch::Tensor& gh, const torch::Tensor& h);

/// The same cell as plain LibTorch ops (the reference the fused node is tested against).
torch::Tensor gru_cell_reference(const torch::Tensor& gx, const torch::Tensor& gh,
                                 const torch::Tensor& h);

}  // namespace tinynmt
