#include "models/attention/multiplicative.h"

#include <stdexcept>

#include "models/attention/additive.h"
#include "models/attention/common.h"
#include "models/batched_matmul.h"
#include "models/flop_count.h"

namespace tinynmt {

MultiplicativeAttentionImpl::MultiplicativeAttentionImpl(
    const MultiplicativeAttentionOptions& options)
    : AttentionImpl(options.query_dim(), options.key_dim(), options.value_dim()),
      options_(options) {
  namespace nn = torch::nn;
  const auto& s = options_.score();
  const int64_t q = options_.query_dim(), k = options_.key_dim();
  if (s == "dot") {
    check_dot_sizes(q, k);
  } else if (s == "general") {
    w_ = register_module("w", nn::Linear(nn::LinearOptions(k, q).bias(false)));
  } else if (s == "concat") {
    const int64_t h = options_.hidden_dim() > 0 ? options_.hidden_dim() : q;
    wq_ = register_module("wq", nn::Linear(nn::LinearOptions(q, h).bias(false)));
    wk_ = register_module("wk", nn::Linear(k, h));
    v_ = register_module("v", nn::Linear(nn::LinearOptions(h, 1).bias(false)));
  } else {
    throw AttentionError("type", "multiplicative attention: unknown score '" + s +
                                     "' (choices: dot, general, concat)");
  }
}

void check_dot_sizes(int64_t query_dim, int64_t key_dim) {
  if (query_dim != key_dim)
    throw AttentionError("query_dim", "luong-dot needs query size (" + std::to_string(query_dim) +
                                          ") == key size (" + std::to_string(key_dim) +
                                          "); use luong-general or matching sizes");
}

AttentionCache MultiplicativeAttentionImpl::project(const torch::Tensor& keys,
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
    return v_(pre).squeeze(-1);                                                 // [b, t, s]
  }
  return batched_matmul(query, cache.keys.transpose(1, 2));  // [batch, tgt_len, src_len]
}

AttentionOutput MultiplicativeAttentionImpl::attend_checked(const torch::Tensor& query,
                                                            const AttentionCache& cache,
                                                            const torch::Tensor& mask,
                                                            const AttentionExtras& /*extras*/) {
  auto weights = masked_softmax(scores(query, cache), mask_3d(mask));  // [batch, tgt, src]
  auto context = batched_matmul(weights, cache.values);  // [batch, tgt_len, value_dim]
  return {context, weights.unsqueeze(1)};                // [batch, 1, tgt_len, src_len]
}

double general_score_flops(const AttentionConfig& a, int64_t src_len, int64_t tgt_len) {
  const double S = static_cast<double>(src_len), T = static_cast<double>(tgt_len);
  const double pairs = S * T;
  return S * matmul_flops(1, a.key_dim, a.query_dim)  // W_a·h_s, once per batch
         + 2.0 * pairs * a.query_dim                  // h_t^T (W_a h_s)
         + 2.0 * pairs * a.value_dim;                 // context
}

std::vector<AttentionType> multiplicative_attention_types() {
  std::vector<AttentionType> rows;
  for (const std::string score : {"dot", "general", "concat"}) {
    AttentionType t;
    t.name = "luong-" + score;
    t.build = [score](const AttentionConfig& c) -> std::shared_ptr<AttentionImpl> {
      return std::make_shared<MultiplicativeAttentionImpl>(
          MultiplicativeAttentionOptions(score, c.query_dim, c.key_dim)
              .value_dim(c.value_dim)
              .hidden_dim(c.hidden_dim));
    };
    t.heads = [](const AttentionConfig&) -> int64_t { return 1; };
    t.output_dim = [](const AttentionConfig& c) { return c.value_dim; };
    t.check_sizes = [](const AttentionConfig&) {};
    rows.push_back(std::move(t));
  }
  rows[0].flops = [](const AttentionConfig& a, int64_t src_len, int64_t tgt_len) {
    const double pairs = static_cast<double>(src_len) * static_cast<double>(tgt_len);
    return 2.0 * pairs * a.key_dim + 2.0 * pairs * a.value_dim;  // scores, context
  };
  rows[0].check_sizes = [](const AttentionConfig& c) { check_dot_sizes(c.query_dim, c.key_dim); };
  rows[1].flops = general_score_flops;
  rows[2].flops = additive_flops;  // the same products as bahdanau
  return rows;
}

}  // namespace tinynmt
