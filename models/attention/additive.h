// Additive attention (Bahdanau, Cho & Bengio 2015, "Neural Machine Translation by Jointly Learning
// to Align and Translate", eq. (6) and appendix A.1.2): e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j).
#pragma once

#include "models/attention/attention.h"
#include "models/attention/registry.h"

namespace tinynmt {

struct AdditiveAttentionOptions {
  AdditiveAttentionOptions(int64_t query_dim, int64_t key_dim, int64_t hidden_dim)
      : query_dim_(query_dim), key_dim_(key_dim), hidden_dim_(hidden_dim) {}
  TORCH_ARG(int64_t, query_dim);
  TORCH_ARG(int64_t, key_dim);
  TORCH_ARG(int64_t, hidden_dim);
  TORCH_ARG(int64_t, value_dim) = 0;  ///< 0 = key_dim
};

/// e[b, t, s] = Σ_a v_a tanh(wq[b, t, a] + uk[b, s, a]) as one autograd node (eq. (6) with the
/// projections already applied): wq [batch, tgt_len, a], uk [batch, src_len, a], v [a], float32
/// on the CPU -> [batch, tgt_len, src_len]. The forward keeps tanh(·) [batch, tgt, src, a] (as the
/// unfused form does); the backward forms ∂wq, ∂uk and ∂v in one pass over it, where the unfused
/// form (broadcast add, tanh, v product) takes five passes and two more tensors of that size.
/// Other devices or dtypes take the unfused ops. Throws std::invalid_argument on size mismatch.
torch::Tensor additive_scores(const torch::Tensor& wq, const torch::Tensor& uk,
                              const torch::Tensor& v);

/// `bahdanau`: score = v^T tanh(W q + U k). precompute() projects U k once per source batch
/// (cache.keys [batch, src_len, hidden_dim]); values are used unprojected, so output_dim() =
/// value_dim. Weights [batch, 1, tgt_len, src_len].
class AdditiveAttentionImpl : public AttentionImpl {
 public:
  explicit AdditiveAttentionImpl(const AdditiveAttentionOptions& options);
  int64_t output_dim() const override { return value_dim(); }

 protected:
  AttentionCache project(const torch::Tensor& keys, const torch::Tensor& values) override;
  AttentionOutput attend_checked(const torch::Tensor& query, const AttentionCache& cache,
                                 const torch::Tensor& mask, const AttentionExtras& extras) override;

 private:
  AdditiveAttentionOptions options_;
  torch::nn::Linear w_{nullptr}, u_{nullptr}, v_{nullptr};
};

/// The `bahdanau` row of the attention table. FLOPs, a = hidden_dim: U·h_j 2·key_dim·a per
/// source token (once per batch), W·s 2·query_dim·a per target token, v^T tanh(..) 2·a·T·S,
/// context 2·T·S·value_dim.
AttentionType additive_attention_type();

/// The FLOP formula above (luong-concat computes the same products).
double additive_flops(const AttentionConfig& a, int64_t src_len, int64_t tgt_len);

}  // namespace tinynmt
