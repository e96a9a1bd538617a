#include "models/attention/multi_head.h"

#include <cmath>
#include <stdexcept>
#include <vector>

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

namespace {

/// x through several Linear layers of the same input size as one product with their stacked
/// weights and biases: the chunks [..., out_i] of x·[W_1; W_2; ...]^T + [b_1; b_2; ...], views of
/// one tensor, so x is read once and its gradient comes out of one product.
std::vector<torch::Tensor> stacked_linear(const torch::Tensor& x,
                                          const std::vector<torch::nn::Linear>& layers) {
  std::vector<torch::Tensor> w, b;
  for (const auto& l : layers) {
    w.push_back(l->weight);
    b.push_back(l->bias);
  }
  return torch::linear(x, torch::cat(w, 0), torch::cat(b, 0))
      .chunk(static_cast<int64_t>(layers.size()), -1);
}

}  // namespace

torch::Tensor MultiHeadAttentionImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), options_.heads(), d_k_}).transpose(1, 2);
}

AttentionCache MultiHeadAttentionImpl::precompute(const torch::Tensor& keys,
                                                  const torch::Tensor& values) {
  if (keys.is_same(values) && k_proj->weight.size(1) == v_proj->weight.size(1)) {
    // One product for both (Transformer cross-attention reads K and V from the same states).
    auto kv = stacked_linear(keys, {k_proj, v_proj});  // 2 × [batch, src, model_dim]
    return {split_heads(kv[0]), split_heads(kv[1])};   // [batch, heads, src, d_k] each
  }
  return {split_heads(k_proj(keys)), split_heads(v_proj(values))};  // [batch, heads, src, d_k]
}

AttentionOutput MultiHeadAttentionImpl::attend(const torch::Tensor& query,
                                               const AttentionCache& cache,
                                               const torch::Tensor& mask,
                                               const AttentionExtras& /*extras*/) {
  return attend_heads(split_heads(q_proj(query)), cache, mask);  // q [batch, heads, tgt, d_k]
}

AttentionOutput MultiHeadAttentionImpl::self_attend(const torch::Tensor& x,
                                                    const torch::Tensor& mask, AttentionCache* kv) {
  const int64_t in = q_proj->weight.size(1);
  if (k_proj->weight.size(1) != in || v_proj->weight.size(1) != in)
    throw std::invalid_argument("multihead self_attend: query, key and value sizes differ");
  auto qkv = stacked_linear(x, {q_proj, k_proj, v_proj});  // 3 × [batch, len, model_dim] views
  AttentionCache cache{split_heads(qkv[1]), split_heads(qkv[2])};
  if (kv) *kv = cache;
  return attend_heads(split_heads(qkv[0]), cache, mask);
}

AttentionOutput MultiHeadAttentionImpl::attend_heads(const torch::Tensor& q_heads,
                                                     const AttentionCache& cache,
                                                     const torch::Tensor& mask) {
  const int64_t b = q_heads.size(0), h = q_heads.size(1), t = q_heads.size(2);
  // Scaled by 1/sqrt(d_k) inside the product: [batch, heads, tgt, src].
  auto scores = batched_matmul(q_heads, cache.keys.transpose(2, 3), /*rows_outside_heads=*/false,
                               1.0 / std::sqrt(static_cast<double>(d_k_)));
  auto weights = masked_softmax(scores, mask_for_heads(mask));  // [batch, heads, tgt, src]
  // [batch, heads, tgt, d_k], laid out as [batch, tgt, heads, d_k]: the merge below is a view.
  auto ctx = batched_matmul(dropout_(weights), cache.values, /*rows_outside_heads=*/true);
  ctx = ctx.transpose(1, 2).reshape({b, t, h * d_k_});  // [batch, tgt, model_dim]
  return {out_proj(ctx), weights};
}

}  // namespace tinynmt
