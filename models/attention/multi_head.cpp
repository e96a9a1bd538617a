#include "models/attention/multi_head.h"

#include <cmath>
#include <stdexcept>

#include "models/attention/common.h"
#include "models/batched_matmul.h"

namespace tinynmt {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options)
    : options_(options) {
  namespace nn = torch::nn;
  const int64_t d = options_.model_dim(), h = options_.heads();
  if (h < 1 || d % h != 0)
    throw std::invalid_argument("multihead attention: model size " + std::to_string(d) +
                                " is not divisible by heads " + std::to_string(h));
  d_k_ = d / h;
  const int64_t vdim = options_.value_dim() > 0 ? options_.value_dim() : options_.key_dim();
  q_proj = register_module("q_proj", nn::Linear(options_.query_dim(), d));
  k_proj = register_module("k_proj", nn::Linear(options_.key_dim(), d));
  v_proj = register_module("v_proj", nn::Linear(vdim, d));
  out_proj = register_module("out_proj", nn::Linear(d, d));
  dropout_ = register_module("dropout", Dropout(options_.dropout()));
}

AttentionCache MultiHeadAttentionImpl::precompute(const torch::Tensor& keys,
                                                  const torch::Tensor& values) {
  const int64_t b = keys.size(0), s = keys.size(1), h = options_.heads();
  auto k = k_proj(keys).view({b, s, h, d_k_}).transpose(1, 2);    // [batch, heads, src, d_k]
  auto v = v_proj(values).view({b, s, h, d_k_}).transpose(1, 2);  // [batch, heads, src, d_k]
  return {k, v};
}

AttentionOutput MultiHeadAttentionImpl::attend(const torch::Tensor& query,
                                               const AttentionCache& cache,
                                               const torch::Tensor& mask,
                                               const AttentionExtras& /*extras*/) {
  const int64_t b = query.size(0), t = query.size(1), h = options_.heads();
  auto q = q_proj(query).view({b, t, h, d_k_}).transpose(1, 2);  // [batch, heads, tgt, d_k]
  q = q * (1.0 / std::sqrt(static_cast<double>(d_k_)));
  auto scores = batched_matmul(q, cache.keys.transpose(2, 3));   // [batch, heads, tgt, src]
  auto weights = masked_softmax(scores, mask_for_heads(mask));  // [batch, heads, tgt, src]
  // [batch, heads, tgt, d_k], laid out as [batch, tgt, heads, d_k]: the merge below is a view.
  auto ctx = batched_matmul(dropout_(weights), cache.values, /*rows_outside_heads=*/true);
  ctx = ctx.transpose(1, 2).reshape({b, t, h * d_k_});  // [batch, tgt, model_dim]
  return {out_proj(ctx), weights};
}

}  // namespace tinynmt
