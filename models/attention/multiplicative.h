// Global multiplicative attention of Luong, Pham & Manning 2015, "Effective Approaches to
// Attention-based Neural Machine Translation", §3.1, eq. (8):
//   dot:     score(h_t, h_s) = h_t^T h_s
//   general: score(h_t, h_s) = h_t^T W_a h_s
//   concat:  score(h_t, h_s) = v_a^T tanh(W_a [h_t; h_s])
#pragma once

#include <string>
#include <vector>

#include "models/attention/attention.h"
#include "models/attention/registry.h"

namespace tinynmt {

struct MultiplicativeAttentionOptions {
  MultiplicativeAttentionOptions(std::string score, int64_t query_dim, int64_t key_dim)
      : score_(std::move(score)), query_dim_(query_dim), key_dim_(key_dim) {}
  TORCH_ARG(std::string, score);  ///< dot | general | concat
  TORCH_ARG(int64_t, query_dim);
  TORCH_ARG(int64_t, key_dim);
  TORCH_ARG(int64_t, value_dim) = 0;   ///< 0 = key_dim
  TORCH_ARG(int64_t, hidden_dim) = 0;  ///< concat: size of W_a's output (0 = query_dim)
};

/// `luong-dot`, `luong-general`, `luong-concat`. precompute() projects the keys once
/// (general: W_a h_s [batch, src_len, query_dim]; concat: the key half of W_a [batch, src_len,
/// hidden]; dot: unchanged). Values are unprojected: output_dim() = value_dim.
/// Throws AttentionError for an unknown score ("type") or for `dot` with query_dim != key_dim
/// ("query_dim", see check_dot_sizes).
class MultiplicativeAttentionImpl : public AttentionImpl {
 public:
  explicit MultiplicativeAttentionImpl(const MultiplicativeAttentionOptions& options);
  int64_t output_dim() const override { return value_dim(); }

  /// Unnormalised scores: query [batch, tgt_len, query_dim], cache from precompute()
  /// -> [batch, tgt_len, src_len]. Used by LocalAttention too.
  torch::Tensor scores(const torch::Tensor& query, const AttentionCache& cache);

 protected:
  AttentionCache project(const torch::Tensor& keys, const torch::Tensor& values) override;
  AttentionOutput attend_checked(const torch::Tensor& query, const AttentionCache& cache,
                                 const torch::Tensor& mask, const AttentionExtras& extras) override;

 private:
  MultiplicativeAttentionOptions options_;
  torch::nn::Linear w_{nullptr};                 // general: W_a
  torch::nn::Linear wq_{nullptr}, wk_{nullptr};  // concat: W_a split into query/key halves
  torch::nn::Linear v_{nullptr};                 // concat: v_a
};

TORCH_MODULE(MultiplicativeAttention);

/// luong-dot scores h_t^T h_s, so the query and key sizes must be equal.
/// Throws AttentionError("query_dim", ...) naming both sizes when they differ.
void check_dot_sizes(int64_t query_dim, int64_t key_dim);

/// The `luong-dot`, `luong-general` and `luong-concat` rows of the attention table. FLOPs:
///  - luong-dot: scores 2·T·S·key_dim, context 2·T·S·value_dim;
///  - luong-general: W_a·h_s 2·key_dim·query_dim per source token (once per batch), scores
///    2·T·S·query_dim, context 2·T·S·value_dim;
///  - luong-concat: as bahdanau (W_a split into its query and key halves, a = hidden_dim).
std::vector<AttentionType> multiplicative_attention_types();

/// FLOPs of luong-general's scores and context (also local-m's, which scores every source
/// position and masks outside the window).
double general_score_flops(const AttentionConfig& a, int64_t src_len, int64_t tgt_len);

}  // namespace tinynmt
