#include "models/attention/additive.h"

#include "models/attention/common.h"
#include "models/batched_matmul.h"

namespace tinynmt {

AdditiveAttentionImpl::AdditiveAttentionImpl(const AdditiveAttentionOptions& options)
    : options_(options),
      value_dim_(options.value_dim() > 0 ? options.value_dim() : options.key_dim()) {
  namespace nn = torch::nn;
  w_ = register_module("w", nn::Linear(nn::LinearOptions(options_.query_dim(),
                                                         options_.hidden_dim()).bias(false)));
  u_ = register_module("u", nn::Linear(options_.key_dim(), options_.hidden_dim()));
  v_ = register_module("v", nn::Linear(nn::LinearOptions(options_.hidden_dim(), 1).bias(false)));
}

AttentionCache AdditiveAttentionImpl::precompute(const torch::Tensor& keys,
                                                 const torch::Tensor& values) {
  return AttentionCache{u_(keys), values};  // [batch, src_len, hidden]
}

AttentionOutput AdditiveAttentionImpl::attend(const torch::Tensor& query,
                                              const AttentionCache& cache,
                                              const torch::Tensor& mask,
                                              const AttentionExtras& /*extras*/) {
  auto wq = w_(query);                                                  // [batch, tgt_len, hidden]
  auto pre = torch::tanh(wq.unsqueeze(2) + cache.keys.unsqueeze(1));  // [batch, tgt, src, hidden]
  auto scores = v_(pre).squeeze(-1);                                    // [batch, tgt_len, src_len]
  auto weights = masked_softmax(scores, mask_3d(mask));                // [batch, tgt_len, src_len]
  auto context = batched_matmul(weights, cache.values);                    // [batch, tgt_len, value_dim]
  return {context, weights.unsqueeze(1)};                              // [batch, 1, tgt, src]
}

}  // namespace tinynmt
