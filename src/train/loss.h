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

/// The output layer, its log-softmax and the label-smoothed loss in one autograd node, computed
/// in blocks of `chunk_rows` target positions so that each block's [chunk_rows, V] scores stay in
/// the CPU cache (the "fused linear cross-entropy" of Liger-Kernel, Hsu et al. 2024 §3.3; the
/// loss is label_smoothed_loss's). For a block of rows h [c, D]:
///   x = h·Wᵀ + b, p = softmax(x), loss terms as in label_smoothed_loss, and, when an input
///   requires a gradient, G = p - q (q = (1-ε)·onehot(y) + ε/V), ∂h = G·W, ∂W += Gᵀ·h, ∂b += Σ G.
/// The gradients are formed in the forward pass (the loss is a sum, so ∂loss/∂x needs nothing from
/// later) and only scaled by the incoming gradient in the backward: no [N, V] tensor exists at any
/// time. Positions whose target is pad_id are dropped before the first product, so padding costs no
/// output-layer FLOPs.
/// features [N, D] (or [batch, tgt_len, D]) float32; weight [V, D]; bias [V] or undefined;
/// target [N] (or [batch, tgt_len]) int64. Returns the same sums as
/// label_smoothed_loss(features·Wᵀ + b, target, ...) (tests: 1e-5 relative, gradients too).
/// The backward may run once. Throws std::invalid_argument if epsilon is outside [0, 1),
/// chunk_rows < 1 or the shapes disagree.
LossSums fused_output_label_smoothed_loss(const torch::Tensor& features,
                                          const torch::Tensor& weight, const torch::Tensor& bias,
                                          const torch::Tensor& target, double epsilon,
                                          int64_t pad_id, int64_t chunk_rows = 256);

/// Reference (unfused) form of the same loss: builds the smoothed target distribution
/// q = (1-ε)·onehot(y) + ε/V and returns Σ_t -Σ_v q_v log p_v. For tests.
torch::Tensor label_smoothed_loss_reference(const torch::Tensor& logits,
                                            const torch::Tensor& target, double epsilon,
                                            int64_t pad_id);

}  // namespace tinynmt
