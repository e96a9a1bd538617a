// Token-level cross-entropy with label smoothing (Szegedy et al. 2016 §7; as used by Vaswani et
// al. 2017 §5.4 and fairseq's label_smoothed_cross_entropy).
#pragma once

#include <torch/torch.h>

namespace tinynmt {

/// Sums over the non-padding target positions.
struct LossSums {
  torch::Tensor loss;  ///< scalar: Σ_t [(1-ε)·(-log p(y_t)) + (ε/V)·Σ_v (-log p(v))]
  torch::Tensor nll;   ///< scalar: Σ_t -log p(y_t) (for perplexity)
};

/// Fused log-softmax + label-smoothed loss: one autograd node whose backward writes
/// m·(softmax - q) straight into the saved softmax buffer (q = (1-ε)·onehot(y) + ε/V), instead
/// of log-softmax, gather and sum nodes with three [N, V] gradient temporaries. No [N, V] target
/// distribution is built. Gradients equal the unfused form's (tests: 1e-6).
/// logits [batch, tgt_len, vocab] (or [N, vocab]); target [batch, tgt_len] (or [N]) int64;
/// positions where target == pad_id are ignored. epsilon in [0, 1).
/// Returns sums (divide by the number of target tokens for a mean) as float32 scalars (per-token
/// terms accumulated in float64); `nll` carries no gradient. The backward may run once (no
/// retain_graph, no double backward). Throws std::invalid_argument if epsilon is outside [0, 1).
LossSums label_smoothed_loss(const torch::Tensor& logits, const torch::Tensor& target,
                             double epsilon, int64_t pad_id);

/// Reference (unfused) form of the same loss: builds the smoothed target distribution
/// q = (1-ε)·onehot(y) + ε/V and returns Σ_t -Σ_v q_v log p_v. For tests.
torch::Tensor label_smoothed_loss_reference(const torch::Tensor& logits,
                                            const torch::Tensor& target, double epsilon,
                                            int64_t pad_id);

}  // namespace tinynmt
