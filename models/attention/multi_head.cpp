#include "models/attention/multi_head.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "models/affine.h"
#include "models/attention/common.h"
#include "models/batched_matmul.h"
#include "models/flop_count.h"

namespace tinynmt {

void check_heads(int64_t model_dim, int64_t heads) {
  if (heads < 1 || model_dim % heads != 0)
    throw AttentionError("heads", "multihead attention: model size " + std::to_string(model_dim) +
                                      " is not divisible by heads " + std::to_string(heads));
}

MultiHeadAttentionImpl::MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options)
    : AttentionImpl(options.query_dim(), options.key_dim(), options.value_dim()),
      options_(options) {
  namespace nn = torch::nn;
  const int64_t d = options_.model_dim(), h = options_.heads();
  check_heads(d, h);
  d_k_ = d / h;
  const int64_t vdim = value_dim();
  q_proj = register_module("q_proj", nn::Linear(options_.query_dim(), d));
  k_proj = register_module("k_proj", nn::Linear(options_.key_dim(), d));
  v_proj = register_module("v_proj", nn::Linear(vdim, d));
  out_proj = register_module("out_proj", nn::Linear(d, d));
  dropout_ = register_module("dropout", Dropout(options_.dropout()));
}

torch::Tensor MultiHeadAttentionImpl::StackedWeights::linear(
    const torch::Tensor& x, const std::vector<torch::nn::Linear>& layers) {
  std::vector<torch::Tensor> parts;  // W_1, b_1, W_2, b_2, ...
  for (const auto& l : layers) {
    parts.push_back(l->weight);
    parts.push_back(l->bias);
  }
  auto cat = [&](size_t first) {
    std::vector<torch::Tensor> t;
    for (size_t i = first; i < parts.size(); i += 2) t.push_back(parts[i]);
    return torch::cat(t, 0);
  };
  if (torch::GradMode::is_enabled()) return affine(x, cat(0), cat(1));  // gradients flow
  std::vector<std::pair<const void*, int64_t>> key;
  for (const auto& p : parts) key.emplace_back(p.data_ptr(), p._version());
  if (key != key_) {
    weight_ = cat(0);  // [Σ out_i, in]
    bias_ = cat(1);    // [Σ out_i]
    key_ = std::move(key);
  }
  return affine(x, weight_, bias_);
}

torch::Tensor MultiHeadAttentionImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), options_.heads(), d_k_}).transpose(1, 2);
}

AttentionCache MultiHeadAttentionImpl::project(const torch::Tensor& keys,
                                               const torch::Tensor& values) {
  if (keys.is_same(values) && k_proj->weight.size(1) == v_proj->weight.size(1)) {
    // One product for both (Transformer cross-attention reads K and V from the same states).
    const int64_t d = options_.model_dim();
    auto kv = int8_.kv.defined() ? int8_.kv(keys)
                                 : kv_stack_.linear(keys, {k_proj, v_proj});  // [batch, src, 2·d]
    // keys/values [batch, heads, src, d_k]: views of the packed buffer, which attend() uses.
    return {split_heads(kv.narrow(-1, 0, d)), split_heads(kv.narrow(-1, d, d)), kv};
  }
  return {split_heads(linear_or_int8(k_proj, int8_.k, keys)),
          split_heads(linear_or_int8(v_proj, int8_.v, values))};  // [batch, heads, src, d_k]
}

AttentionOutput MultiHeadAttentionImpl::attend_checked(const torch::Tensor& query,
                                                       const AttentionCache& cache,
                                                       const torch::Tensor& mask,
                                                       const AttentionExtras& /*extras*/) {
  const int64_t d = options_.model_dim();
  auto q = linear_or_int8(q_proj, int8_.q, query);  // [batch, tgt, model_dim]
  const auto& kv = cache.packed;
  // The packed path only for the buffer the cache's keys and values are still views of.
  if (kv.defined() && packed_attention_supported(q, kv) && kv.size(-1) == 2 * d &&
      cache.keys.data_ptr() == kv.data_ptr() &&
      cache.values.data_ptr() == static_cast<const float*>(kv.data_ptr()) + d)
    return packed_attend(q, kv, {options_.heads(), d_k_, 0, 0, d}, mask);
  return attend_heads(split_heads(q), cache, mask);  // q [batch, heads, tgt, d_k]
}

torch::Tensor MultiHeadAttentionImpl::head_log_weights(const torch::Tensor& query,
                                                       const AttentionCache& cache,
                                                       const torch::Tensor& mask, int64_t head) {
  if (head < 0 || head >= options_.heads())
    throw std::invalid_argument("multihead: head " + std::to_string(head) + " out of range (" +
                                std::to_string(options_.heads()) + " heads)");
  auto w = q_proj->weight.narrow(0, head * d_k_, d_k_);  // [d_k, query_dim]
  auto b = q_proj->bias.narrow(0, head * d_k_, d_k_);    // [d_k]
  auto q = torch::nn::functional::linear(query, w, b);   // [batch, tgt, d_k]
  auto k = cache.keys.select(1, head);                   // [batch, src, d_k]
  auto scores = torch::matmul(q, k.transpose(1, 2)) /
                std::sqrt(static_cast<double>(d_k_));  // [batch, tgt, src]
  if (mask.defined()) {
    auto allowed = mask_3d(mask).to(torch::kBool);  // broadcastable to [batch, tgt, src]
    scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  }
  return torch::log_softmax(scores, -1);  // [batch, tgt, src]
}

AttentionOutput MultiHeadAttentionImpl::packed_attend(const torch::Tensor& q,
                                                      const torch::Tensor& kv,
                                                      const PackedHeads& layout,
                                                      const torch::Tensor& mask) {
  const double p = is_training() ? dropout_->p() : 0.0;
  const uint64_t seed = p > 0 ? draw_dropout_seed() : 0;  // as dropout_ would draw it
  auto [context, weights] =
      packed_attention(q, kv, layout, mask, 1.0 / std::sqrt(static_cast<double>(d_k_)), p, seed);
  return {linear_or_int8(out_proj, int8_.out, context), weights};
}

AttentionOutput MultiHeadAttentionImpl::self_attend(const torch::Tensor& x,
                                                    const torch::Tensor& mask, AttentionCache* kv) {
  const int64_t in = q_proj->weight.size(1);
  if (k_proj->weight.size(1) != in || v_proj->weight.size(1) != in)
    throw std::invalid_argument("multihead self_attend: query, key and value sizes differ");
  const int64_t d = options_.model_dim();
  auto qkv = int8_.qkv.defined() ? int8_.qkv(x)
                                 : qkv_stack_.linear(x, {q_proj, k_proj, v_proj});  // [b, len, 3·d]
  const bool packed = packed_attention_supported(qkv, {});
  // Head views of K and V: for the caller's cache, and for the unpacked path.
  AttentionCache cache;
  if (kv || !packed)
    cache = {split_heads(qkv.narrow(-1, d, d)), split_heads(qkv.narrow(-1, 2 * d, d))};
  if (kv) *kv = cache;
  if (packed) return packed_attend(qkv, {}, {options_.heads(), d_k_, 0, d, 2 * d}, mask);
  return attend_heads(split_heads(qkv.narrow(-1, 0, d)), cache, mask);
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
  return {linear_or_int8(out_proj, int8_.out, ctx), weights};
}

void MultiHeadAttentionImpl::quantize_int8(Int8Plan& plan, bool self_attention) {
  int8_.q = plan.make(q_proj->weight, q_proj->bias);
  int8_.out = plan.make(out_proj->weight, out_proj->bias);
  if (k_proj->weight.size(1) == v_proj->weight.size(1)) {  // project() stacks them
    int8_.kv = plan.make_stacked({k_proj->weight, v_proj->weight}, {k_proj->bias, v_proj->bias});
  } else {
    int8_.k = plan.make(k_proj->weight, k_proj->bias);
    int8_.v = plan.make(v_proj->weight, v_proj->bias);
  }
  if (self_attention)  // self_attend() checks that the three input sizes agree
    int8_.qkv = plan.make_stacked({q_proj->weight, k_proj->weight, v_proj->weight},
                                  {q_proj->bias, k_proj->bias, v_proj->bias});
}

AttentionType multi_head_attention_type() {
  AttentionType t;
  t.name = "multihead";
  t.build = [](const AttentionConfig& c) -> std::shared_ptr<AttentionImpl> {
    return std::make_shared<MultiHeadAttentionImpl>(
        MultiHeadAttentionOptions(c.query_dim, c.key_dim, c.hidden_dim, c.heads)
            .value_dim(c.value_dim)
            .dropout(c.dropout));
  };
  t.heads = [](const AttentionConfig& c) { return c.heads; };
  t.output_dim = [](const AttentionConfig& c) { return c.hidden_dim; };
  t.flops = [](const AttentionConfig& a, int64_t src_len, int64_t tgt_len) {
    const double S = static_cast<double>(src_len), T = static_cast<double>(tgt_len);
    const int64_t m = a.hidden_dim;
    return S * (matmul_flops(1, a.key_dim, m) + matmul_flops(1, a.value_dim, m))  // K, V
           + T * (matmul_flops(1, a.query_dim, m) + matmul_flops(1, m, m))        // Q, output
           + 2.0 * 2.0 * (S * T) * static_cast<double>(m);                        // Q·K^T and A·V
  };
  t.check_sizes = [](const AttentionConfig& c) { check_heads(c.hidden_dim, c.heads); };
  return t;
}

}  // namespace tinynmt
