// Global multiplicative attention of Luong, Pham & Manning 2015, "Effective Approaches to
// Attention-based Neural Machine Translation", §3.1, eq. (8):
//   dot:     score(h_t, h_s) = h_t^T h_s
//   general: score(h_t, h_s) = h_t^T W_a h_s
//   concat:  score(h_t, h_s) = v_a^T tanh(W_a [h_t; h_s])
#pragma once

#include <string>

#include "models/attention/attention.h"

namespace tinynmt {

struct MultiplicativeAttentionOptions {
  MultiplicativeAttentionOptions(std::string score, int64_t query_dim, int64_t key_dim)
      : score_(std::move(score)), query_dim_(query_dim), key_dim_(key_dim) {}
  TORCH_ARG(std::string, score);      ///< dot | general | concat
  TORCH_ARG(int64_t, query_dim);
  TORCH_ARG(int64_t, key_dim);
  TORCH_ARG(int64_t, value_dim) = 0;  ///< 0 = key_dim
  TORCH_ARG(int64_t, hidden_dim) = 0; ///< concat: size of W_a's output (0 = query_dim)
};

/// `luong-dot`, `luong-general`, `luong-concat`. precompute() projects the keys once
/// (general: W_a h_s [batch, src_len, query_dim]; concat: the key half of W_a [batch, src_len,
/// hidden]; dot: unchanged). Values are unprojected: output_dim() = value_dim.
/// Throws std::invalid_argument for an unknown score or for `dot` with query_dim != key_dim.
class MultiplicativeAttentionImpl : public AttentionImpl {
 public:
  explicit MultiplicativeAttentionImpl(const MultiplicativeAttentionOptions& options);
  AttentionCache precompute(const torch::Tensor& keys, const torch::Tensor& values) override;
  AttentionOutput attend(const torch::Tensor& query, const AttentionCache& cache,
                         const torch::Tensor& mask, const AttentionExtras& extras = {}) override;
  int64_t output_dim() const override { return value_dim_; }

  /// Unnormalised scores: query [batch, tgt_len, query_dim], cache from precompute()
  /// -> [batch, tgt_len, src_len]. Used by LocalAttention too.
  torch::Tensor scores(const torch::Tensor& query, const AttentionCache& cache);

 private:
  MultiplicativeAttentionOptions options_;
  int64_t value_dim_;
  torch::nn::Linear w_{nullptr};                 // general: W_a
  torch::nn::Linear wq_{nullptr}, wk_{nullptr};  // concat: W_a split into query/key halves
  torch::nn::Linear v_{nullptr};                 // concat: v_a
};

TORCH_MODULE(MultiplicativeAttention);

}  // namespace tinynmt
