// Local attention of Luong, Pham & Manning 2015, §3.2: attend only to a window [p_t - D, p_t + D]
// of the source around an aligned position p_t.
//   local-m (monotonic):  p_t = t.
//   local-p (predictive): p_t = S · sigmoid(v_p^T tanh(W_p h_t)) (eq. 9), S = real source length,
//                         and the alignment weights are multiplied by exp(-(s - p_t)^2 / (2σ^2)),
//                         σ = D/2 (eq. 10).
// Scores inside the window use Luong's `general` score h_t^T W_a h_s.
#pragma once

#include <string>
#include <vector>

#include "models/attention/attention.h"
#include "models/attention/multiplicative.h"
#include "models/attention/registry.h"

namespace tinynmt {

struct LocalAttentionOptions {
  LocalAttentionOptions(bool predictive, int64_t query_dim, int64_t key_dim)
      : predictive_(predictive), query_dim_(query_dim), key_dim_(key_dim) {}
  TORCH_ARG(bool, predictive);  ///< true = local-p, false = local-m
  TORCH_ARG(int64_t, query_dim);
  TORCH_ARG(int64_t, key_dim);
  TORCH_ARG(int64_t, value_dim) = 0;   ///< 0 = key_dim
  TORCH_ARG(int64_t, hidden_dim) = 0;  ///< local-p: size of W_p's output (0 = query_dim)
  TORCH_ARG(int64_t, window) = 10;     ///< half-width D (>= 1)
};

/// `local-m` / `local-p`. Weights [batch, 1, tgt_len, src_len] are exactly 0 outside the window
/// and at masked positions, and each row sums to 1 (the Gaussian-weighted alignment of local-p is
/// renormalised over the window: softmax(score - (s - p_t)^2 / (2σ^2))).
/// The window is centred on round(p_t) clamped to [0, S-1], so it always holds a real source
/// position (local-m with a target longer than the source stays on the last source position).
/// extras.positions ([tgt_len] int64) gives t for local-m (default 0..tgt_len-1);
/// extras.src_lengths ([batch] int64) gives S (default: the number of true mask positions).
/// Throws AttentionError("window", ...) if window < 1 (check_window).
class LocalAttentionImpl : public AttentionImpl {
 public:
  explicit LocalAttentionImpl(const LocalAttentionOptions& options);
  int64_t output_dim() const override { return score_->output_dim(); }

 protected:
  AttentionCache project(const torch::Tensor& keys, const torch::Tensor& values) override;
  AttentionOutput attend_checked(const torch::Tensor& query, const AttentionCache& cache,
                                 const torch::Tensor& mask, const AttentionExtras& extras) override;

 private:
  LocalAttentionOptions options_;
  MultiplicativeAttention score_{nullptr};
  torch::nn::Linear wp_{nullptr}, vp_{nullptr};  // local-p position predictor
};

/// The window half-width D must be >= 1. Throws AttentionError("window", ...) otherwise.
void check_window(int64_t window);

/// The `local-m` and `local-p` rows of the attention table. FLOPs: as luong-general (every
/// source position is scored, then masked outside the window); local-p adds the position
/// predictor 2·(query_dim·a + a) per target token, a = hidden_dim.
std::vector<AttentionType> local_attention_types();

}  // namespace tinynmt
