// Helpers shared by the attention modules: masked softmax with exact zeros.
#pragma once

#include <torch/torch.h>

namespace tinynmt {

/// Softmax over the last dim of `scores` with masked positions at exactly 0.
/// scores [..., tgt_len, src_len]; mask bool, broadcastable to scores, true = may attend, or
/// undefined (no mask). Positions where mask is false are filled with -inf before the softmax and
/// set to 0 afterwards, so a fully masked row gives zeros (never NaN) and a row with at least one
/// valid position sums to 1.
inline torch::Tensor masked_softmax(const torch::Tensor& scores, const torch::Tensor& mask) {
  if (!mask.defined()) return torch::softmax(scores, -1);
  auto blocked = mask.logical_not();
  auto w = torch::softmax(scores.masked_fill(blocked, -std::numeric_limits<float>::infinity()), -1);
  return w.masked_fill(blocked, 0.0);  // fully masked rows are NaN before this
}

/// Adds a head dim to a mask broadcastable to [batch, tgt_len, src_len]:
/// [batch|1, tgt_len|1, src_len] -> [batch|1, 1, tgt_len|1, src_len]. Undefined stays undefined.
inline torch::Tensor mask_for_heads(const torch::Tensor& mask) {
  if (!mask.defined()) return mask;
  if (mask.dim() == 2) return mask.unsqueeze(1).unsqueeze(1);  // [batch, 1, 1, src_len]
  return mask.unsqueeze(1);                                     // [batch, 1, tgt_len, src_len]
}

/// A mask broadcastable to [batch, tgt_len, src_len] from one that may be [batch, src_len].
inline torch::Tensor mask_3d(const torch::Tensor& mask) {
  if (!mask.defined() || mask.dim() == 3) return mask;
  return mask.unsqueeze(1);  // [batch, 1, src_len]
}

}  // namespace tinynmt
