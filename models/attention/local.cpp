#include "models/attention/local.h"

#include <stdexcept>

#include "models/attention/common.h"
#include "models/batched_matmul.h"

namespace tinynmt {

LocalAttentionImpl::LocalAttentionImpl(const LocalAttentionOptions& options) : options_(options) {
  namespace nn = torch::nn;
  if (options_.window() < 1)
    throw std::invalid_argument("model.decoder.window: local attention needs a half-width >= 1, "
                                "got " + std::to_string(options_.window()));
  score_ = register_module(
      "score", MultiplicativeAttention(
                   MultiplicativeAttentionOptions("general", options_.query_dim(),
                                                  options_.key_dim())
                       .value_dim(options_.value_dim())));
  if (options_.predictive()) {
    const int64_t h = options_.hidden_dim() > 0 ? options_.hidden_dim() : options_.query_dim();
    wp_ = register_module("wp", nn::Linear(nn::LinearOptions(options_.query_dim(), h).bias(false)));
    vp_ = register_module("vp", nn::Linear(nn::LinearOptions(h, 1).bias(false)));
  }
}

AttentionCache LocalAttentionImpl::precompute(const torch::Tensor& keys,
                                              const torch::Tensor& values) {
  return score_->precompute(keys, values);
}

AttentionOutput LocalAttentionImpl::attend(const torch::Tensor& query, const AttentionCache& cache,
                                           const torch::Tensor& mask,
                                           const AttentionExtras& extras) {
  const int64_t tgt_len = query.size(1), src_len = cache.keys.size(1);
  auto fopt = torch::TensorOptions().dtype(query.scalar_type()).device(query.device());
  auto scores = score_->scores(query, cache);  // [batch, tgt_len, src_len]
  auto mask3 = mask_3d(mask);                  // [batch|1, tgt_len|1, src_len] or undefined

  // Real source length S: [batch, 1], [batch|1, tgt_len|1] or a scalar.
  torch::Tensor len;
  if (extras.src_lengths.defined())
    len = extras.src_lengths.to(fopt).view({-1, 1});  // [batch, 1]
  else if (mask3.defined())
    len = mask3.sum(-1).to(fopt);                     // [batch|1, tgt_len|1]
  else
    len = torch::full({1, 1}, static_cast<double>(src_len), fopt);

  torch::Tensor p;  // aligned positions, broadcastable to [batch, tgt_len]
  if (options_.predictive()) {
    auto g = torch::sigmoid(vp_(torch::tanh(wp_(query)))).squeeze(-1);  // [batch, tgt_len]
    p = len * g;                                                         // eq. (9)
  } else if (extras.positions.defined()) {
    p = extras.positions.to(fopt).view({1, -1});  // [1, tgt_len]
  } else {
    p = torch::arange(tgt_len, fopt).view({1, -1});  // [1, tgt_len]
  }
  auto center = torch::minimum(p.detach().round(), len - 1).clamp_min(0);  // [b|1, t]
  auto s = torch::arange(src_len, fopt).view({1, 1, -1});             // [1, 1, src_len]
  auto window = (s - center.unsqueeze(-1)).abs() <= static_cast<double>(options_.window());
  auto allowed = mask3.defined() ? window.logical_and(mask3) : window;  // [batch, tgt, src]
  if (options_.predictive()) {
    const double sigma = options_.window() / 2.0;
    auto dist = s - p.unsqueeze(-1);                                   // [batch, tgt_len, src]
    scores = scores - dist.pow(2) / (2.0 * sigma * sigma);             // log of eq. (10) factor
  }
  auto weights = masked_softmax(scores, allowed);    // [batch, tgt_len, src_len]
  auto context = batched_matmul(weights, cache.values);  // [batch, tgt_len, value_dim]
  return {context, weights.unsqueeze(1)};            // [batch, 1, tgt_len, src_len]
}

}  // namespace tinynmt
