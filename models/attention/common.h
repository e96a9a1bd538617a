// Helpers shared by the attention modules: masked softmax with exact zeros.
#pragma once

#include <torch/torch.h>

#include <limits>

namespace tinynmt {

/// Softmax over the last dim of `scores` with masked positions at exactly 0.
/// scores [..., tgt_len, src_len]; mask bool, broadcastable to scores, true = may attend, or
/// undefined (no mask). The mask becomes an additive bias (0 or -inf, mask-shaped, so small)
/// added before the softmax: one pass over the scores, and a backward that passes the gradient
/// through unchanged (masked_fill would copy and refill it both ways). Blocked positions come out
/// exactly 0; a fully masked row is all zeros, and so is its gradient (never NaN). On the CPU
/// that last fill runs only when the mask has such a row (checked on the small mask).
/// A bool mask (true = may attend) as the additive bias of masked_softmax: mask-shaped, 0 where
/// allowed and -inf where blocked, except that a row with no allowed position keeps 0 everywhere
/// (a finite softmax, zeroed afterwards, so no NaN reaches the gradient either). row_has_any:
/// [..., 1], whether each row allows any position.
struct MaskBias {
  torch::Tensor bias;
  torch::Tensor row_has_any;
};
inline MaskBias mask_bias(const torch::Tensor& allowed, const torch::TensorOptions& options) {
  auto row_has_any = allowed.any(-1, /*keepdim=*/true);
  auto bias = torch::zeros(allowed.sizes(), options)
                  .masked_fill_(allowed.logical_not().logical_and(row_has_any),
                                -std::numeric_limits<float>::infinity());
  return {bias, row_has_any};
}

inline torch::Tensor masked_softmax(const torch::Tensor& scores, const torch::Tensor& mask) {
  if (!mask.defined()) return torch::softmax(scores, -1);
  auto [bias, row_has_any] = mask_bias(mask.to(torch::kBool), scores.options());
  auto w = torch::softmax(scores + bias, -1);
  if (!scores.device().is_cpu() || !row_has_any.all().item<bool>())
    w = w.masked_fill(row_has_any.logical_not(), 0.0);
  return w;
}

/// Adds a head dim to a mask broadcastable to [batch, tgt_len, src_len]:
/// [batch|1, tgt_len|1, src_len] -> [batch|1, 1, tgt_len|1, src_len]. Undefined stays undefined.
inline torch::Tensor mask_for_heads(const torch::Tensor& mask) {
  if (!mask.defined()) return mask;
  if (mask.dim() == 2) return mask.unsqueeze(1).unsqueeze(1);  // [batch, 1, 1, src_len]
  return mask.unsqueeze(1);                                    // [batch, 1, tgt_len, src_len]
}

/// A mask broadcastable to [batch, tgt_len, src_len] from one that may be [batch, src_len].
inline torch::Tensor mask_3d(const torch::Tensor& mask) {
  if (!mask.defined() || mask.dim() == 3) return mask;
  return mask.unsqueeze(1);  // [batch, 1, src_len]
}

}  // namespace tinynmt
