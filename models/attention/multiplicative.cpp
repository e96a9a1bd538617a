#include "models/attention/multiplicative.h"

#include <stdexcept>

#include "models/attention/common.h"
#include "models/batched_matmul.h"

namespace tinynmt {

MultiplicativeAttentionImpl::MultiplicativeAttentionImpl(
    const MultiplicativeAttentionOptions& options)
    : options_(options),
      value_dim_(options.value_dim() > 0 ? options.value_dim() : options.key_dim()) {
  namespace nn = torch::nn;
  const auto& s = options_.score();
  const int64_t q = options_.query_dim(), k = options_.key_dim();
  if (s == "dot") {
    if (q != k)
      throw std::invalid_argument("model.decoder.attention: luong-dot needs query size (" +
                                  std::to_string(q) + ") == key size (" + std::to_string(k) +
                                  "); use luong-general or matching sizes");
  } else if (s == "general") {
    w_ = register_module("w", nn::Linear(nn::LinearOptions(k, q).bias(false)));
  } else if (s == "concat") {
    const int64_t h = options_.hidden_dim() > 0 ? options_.hidden_dim() : q;
    wq_ = register_module("wq", nn::Linear(nn::LinearOptions(q, h).bias(false)));
    wk_ = register_module("wk", nn::Linear(k, h));
    v_ = register_module("v", nn::Linear(nn::LinearOptions(h, 1).bias(false)));
  } else {
    throw std::invalid_argument("multiplicative attention: unknown score '" + s +
                                "' (choices: dot, general, concat)");
  }
}

AttentionCache MultiplicativeAttentionImpl::precompute(const torch::Tensor& keys,
                                                       const torch::Tensor& values) {
  const auto& s = options_.score();
  if (s == "general") return {w_(keys), values};  // [batch, src_len, query_dim]
  if (s == "concat") return {wk_(keys), values};  // [batch, src_len, hidden]
  return {keys, values};
}

torch::Tensor MultiplicativeAttentionImpl::scores(const torch::Tensor& query,
                                                  const AttentionCache& cache) {
  if (options_.score() == "concat") {
    auto pre = torch::tanh(wq_(query).unsqueeze(2) + cache.keys.unsqueeze(1));  // [b, t, s, h]
    return v_(pre).squeeze(-1);                                               // [b, t, s]
  }
  return batched_matmul(query, cache.keys.transpose(1, 2));  // [batch, tgt_len, src_len]
}

AttentionOutput MultiplicativeAttentionImpl::attend(const torch::Tensor& query,
                                                    const AttentionCache& cache,
                                                    const torch::Tensor& mask,
                                                    const AttentionExtras& /*extras*/) {
  auto weights = masked_softmax(scores(query, cache), mask_3d(mask));  // [batch, tgt, src]
  auto context = batched_matmul(weights, cache.values);  // [batch, tgt_len, value_dim]
  return {context, weights.unsqueeze(1)};             // [batch, 1, tgt_len, src_len]
}

}  // namespace tinynmt
