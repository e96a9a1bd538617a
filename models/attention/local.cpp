#include "models/attention/local.h"

#include <stdexcept>

#include "models/attention/common.h"
#include "models/batched_matmul.h"
#include "models/flop_count.h"

namespace tinynmt {

void check_window(int64_t window) {
  if (window < 1)
    throw AttentionError("window",
                         "local attention needs a half-width >= 1, got " + std::to_string(window));
}

LocalAttentionImpl::LocalAttentionImpl(const LocalAttentionOptions& options)
    : AttentionImpl(options.query_dim(), options.key_dim(), options.value_dim()),
      options_(options) {
  namespace nn = torch::nn;
  check_window(options_.window());
  score_ = register_module(
      "score", MultiplicativeAttention(MultiplicativeAttentionOptions(
                                           "general", options_.query_dim(), options_.key_dim())
                                           .value_dim(options_.value_dim())));
  if (options_.predictive()) {
    const int64_t h = options_.hidden_dim() > 0 ? options_.hidden_dim() : options_.query_dim();
    wp_ = register_module("wp", nn::Linear(nn::LinearOptions(options_.query_dim(), h).bias(false)));
    vp_ = register_module("vp", nn::Linear(nn::LinearOptions(h, 1).bias(false)));
  }
}

AttentionCache LocalAttentionImpl::project(const torch::Tensor& keys, const torch::Tensor& values) {
  return score_->precompute(keys, values);
}

AttentionOutput LocalAttentionImpl::attend_checked(const torch::Tensor& query,
                                                   const AttentionCache& cache,
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
    len = mask3.sum(-1).to(fopt);  // [batch|1, tgt_len|1]
  else
    len = torch::full({1, 1}, static_cast<double>(src_len), fopt);

  torch::Tensor p;  // aligned positions, broadcastable to [batch, tgt_len]
  if (options_.predictive()) {
    auto g = torch::sigmoid(vp_(torch::tanh(wp_(query)))).squeeze(-1);  // [batch, tgt_len]
    p = len * g;                                                        // eq. (9)
  } else if (extras.positions.defined()) {
    p = extras.positions.to(fopt).view({1, -1});  // [1, tgt_len]
  } else {
    p = torch::arange(tgt_len, fopt).view({1, -1});  // [1, tgt_len]
  }
  auto center = torch::minimum(p.detach().round(), len - 1).clamp_min(0);  // [b|1, t]
  auto s = torch::arange(src_len, fopt).view({1, 1, -1});                  // [1, 1, src_len]
  auto window = (s - center.unsqueeze(-1)).abs() <= static_cast<double>(options_.window());
  auto allowed = mask3.defined() ? window.logical_and(mask3) : window;  // [batch, tgt, src]
  if (options_.predictive()) {
    const double sigma = options_.window() / 2.0;
    auto dist = s - p.unsqueeze(-1);                        // [batch, tgt_len, src]
    scores = scores - dist.pow(2) / (2.0 * sigma * sigma);  // log of eq. (10) factor
  }
  auto weights = masked_softmax(scores, allowed);        // [batch, tgt_len, src_len]
  auto context = batched_matmul(weights, cache.values);  // [batch, tgt_len, value_dim]
  return {context, weights.unsqueeze(1)};                // [batch, 1, tgt_len, src_len]
}

std::vector<AttentionType> local_attention_types() {
  std::vector<AttentionType> rows;
  for (const bool predictive : {false, true}) {
    AttentionType t;
    t.name = predictive ? "local-p" : "local-m";
    t.build = [predictive](const AttentionConfig& c) -> std::shared_ptr<AttentionImpl> {
      return std::make_shared<LocalAttentionImpl>(
          LocalAttentionOptions(predictive, c.query_dim, c.key_dim)
              .value_dim(c.value_dim)
              .hidden_dim(c.hidden_dim)
              .window(c.window));
    };
    t.heads = [](const AttentionConfig&) -> int64_t { return 1; };
    t.output_dim = [](const AttentionConfig& c) { return c.value_dim; };
    t.flops = [predictive](const AttentionConfig& a, int64_t src_len, int64_t tgt_len) {
      double f = general_score_flops(a, src_len, tgt_len);
      if (predictive)  // eq. (9): v_p^T tanh(W_p h_t)
        f += static_cast<double>(tgt_len) *
             (matmul_flops(1, a.query_dim, a.hidden_dim) + matmul_flops(1, a.hidden_dim, 1));
      return f;
    };
    t.check_sizes = [](const AttentionConfig& c) { check_window(c.window); };
    rows.push_back(std::move(t));
  }
  return rows;
}

}  // namespace tinynmt
