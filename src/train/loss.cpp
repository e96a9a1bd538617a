#include "train/loss.h"

#include <stdexcept>
#include <tuple>

namespace tinynmt {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// Log-softmax + label-smoothed cross-entropy as one autograd node with a hand-written backward.
/// Forward (logits x [N, V], target y [N], keep mask m [N]):
///   p = softmax(x) (one fused kernel), lse_n = max_v x_nv - log max_v p_nv (exact for the row
///   maximum, so it never takes log 0),
///   nll_n = lse_n - x_{n,y_n},  smooth_n = V·lse_n - Σ_v x_nv  (= -Σ_v log p_nv),
///   loss = Σ_n m_n [(1-ε)·nll_n + (ε/V)·smooth_n].
/// Backward: ∂loss/∂x_nv = m_n (p_nv - (1-ε)·[v = y_n] - ε/V), written into p's buffer, so the
/// node keeps one [N, V] tensor between forward and backward and the backward allocates none;
/// the autograd graph of the unfused form keeps log p and builds three [N, V] gradients.
/// Not twice differentiable; backward may run once (the saved buffer is consumed).
struct FusedLabelSmoothedCE : public torch::autograd::Function<FusedLabelSmoothedCE> {
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& logits,
                               const torch::Tensor& target, double epsilon, int64_t pad_id) {
    const int64_t vocab = logits.size(1);
    auto keep = target.ne(pad_id);                                    // [N]
    auto safe = target.masked_fill(~keep, 0).unsqueeze(1);            // [N, 1]
    auto probs = torch::softmax(logits, 1);                           // [N, V]
    // p at the row's arg-max equals max_v p_nv: a gather instead of a second [N, V] pass.
    auto [x_max, arg_max] = logits.max(1, /*keepdim=*/true);          // [N, 1] each
    auto lse = (x_max - probs.gather(1, arg_max).log()).squeeze(1).to(torch::kDouble);  // [N]
    auto keep_d = keep.to(torch::kDouble);
    auto nll_tok = (lse - logits.gather(1, safe).squeeze(1).to(torch::kDouble)) * keep_d;
    auto nll = nll_tok.sum();
    torch::Tensor loss = nll;
    if (epsilon > 0) {
      auto smooth_tok =
          (lse * static_cast<double>(vocab) - logits.sum(1).to(torch::kDouble)) * keep_d;
      loss = (1.0 - epsilon) * nll + (epsilon / static_cast<double>(vocab)) * smooth_tok.sum();
    }
    ctx->save_for_backward({probs, safe, keep});
    ctx->saved_data["epsilon"] = epsilon;
    auto loss_f = loss.to(logits.scalar_type());
    auto nll_f = nll.to(logits.scalar_type());
    ctx->mark_non_differentiable({nll_f});
    return {loss_f, nll_f};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    auto grad = saved[0];  // the softmax buffer becomes the gradient
    const auto& safe = saved[1];
    const auto& keep = saved[2];
    const double epsilon = ctx->saved_data["epsilon"].toDouble();
    const int64_t vocab = grad.size(1);
    auto w = (keep.to(grad.scalar_type()) * grad_outputs[0]).unsqueeze(1);  // [N, 1]
    torch::NoGradGuard no_grad;
    grad.mul_(w);
    if (epsilon > 0) grad.sub_(w * (epsilon / static_cast<double>(vocab)));
    grad.scatter_add_(1, safe, w * -(1.0 - epsilon));
    return {grad, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

LossSums label_smoothed_loss(const torch::Tensor& logits, const torch::Tensor& target,
                             double epsilon, int64_t pad_id) {
  if (!(epsilon >= 0.0 && epsilon < 1.0))
    throw std::invalid_argument("label_smoothed_loss: epsilon must be in [0, 1)");
  const int64_t vocab = logits.size(-1);
  auto flat_logits = logits.reshape({-1, vocab}).to(torch::kFloat);  // [N, V]
  auto flat_target = target.reshape({-1});                            // [N]
  auto out = FusedLabelSmoothedCE::apply(flat_logits, flat_target, epsilon, pad_id);
  return {out[0], out[1]};
}

torch::Tensor label_smoothed_loss_reference(const torch::Tensor& logits,
                                            const torch::Tensor& target, double epsilon,
                                            int64_t pad_id) {
  const int64_t vocab = logits.size(-1);
  auto lprobs = torch::log_softmax(logits.reshape({-1, vocab}).to(torch::kFloat), -1);  // [N, V]
  auto y = target.reshape({-1});                                                        // [N]
  auto onehot = torch::one_hot(y, vocab).to(torch::kFloat);                             // [N, V]
  auto q = (1.0 - epsilon) * onehot + epsilon / static_cast<double>(vocab);             // [N, V]
  auto per_token = -(q * lprobs).sum(1);                                                // [N]
  return per_token.masked_select(y.ne(pad_id)).sum();
}

}  // namespace tinynmt
