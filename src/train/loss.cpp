#include "train/loss.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace tinynmt {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// Sums over rows of the label-smoothed loss's two terms, from scores x [n, V], p = softmax(x)
/// and targets y [n, 1]: lse_n = x_{n,y_n} - log p_{n,y_n} on the CPU (gathers, no pass over
/// [n, V]); when some p_{n,y_n} is too small for its log, or off the CPU, lse_n = max_v x_nv -
/// log max_v p_nv instead,
/// nll = Σ_n m_n (lse_n - x_{n,y_n}) and smooth = Σ_n m_n (V·lse_n - Σ_v x_nv) (= Σ -log p);
/// m_n = keep [n] (float64) or 1 when undefined; row_sums [n] = Σ_v x_nv when the caller has it.
/// float64 scalars; smooth undefined unless asked.
std::pair<torch::Tensor, torch::Tensor> loss_term_sums(const torch::Tensor& x,
                                                       const torch::Tensor& p,
                                                       const torch::Tensor& y,
                                                       const torch::Tensor& keep, bool with_smooth,
                                                       const torch::Tensor& row_sums = {}) {
  auto x_y = x.gather(1, y);  // [n, 1]
  auto p_y = p.gather(1, y);  // [n, 1]
  torch::Tensor lse;          // [n] float64
  // The check reads a value back to the host: on other devices the row maximum is always used,
  // so the loss stays free of host syncs there.
  if (x.is_cpu() && p_y.gt(1e-30).all().item<bool>()) {
    // lse_n = x_{n,y} - log p_{n,y}: exact for any position, and the target's is already
    // gathered, which saves the arg-max pass over [n, V]. Its p only underflows for a
    // prediction wrong by ~69 nats; then the row maximum is used (below), which never does.
    lse = (x_y - p_y.log()).squeeze(1).to(torch::kDouble);
  } else {
    auto [x_max, arg_max] = x.max(1, /*keepdim=*/true);                        // [n, 1] each
    lse = (x_max - p.gather(1, arg_max).log()).squeeze(1).to(torch::kDouble);  // [n]
  }
  auto nll_tok = lse - x_y.squeeze(1).to(torch::kDouble);  // [n]
  if (keep.defined()) nll_tok = nll_tok * keep;
  torch::Tensor smooth;
  if (with_smooth) {
    auto sums = row_sums.defined() ? row_sums : x.sum(1);  // [n]
    auto smooth_tok = lse * static_cast<double>(x.size(1)) - sums.to(torch::kDouble);
    smooth = (keep.defined() ? smooth_tok * keep : smooth_tok).sum();
  }
  return {nll_tok.sum(), smooth};
}

/// (1-ε)·nll + (ε/V)·smooth: the label-smoothed loss from loss_term_sums.
torch::Tensor smoothed_loss(const torch::Tensor& nll, const torch::Tensor& smooth, double epsilon,
                            int64_t vocab) {
  if (epsilon <= 0) return nll;
  return (1.0 - epsilon) * nll + (epsilon / static_cast<double>(vocab)) * smooth;
}

/// Turns p = softmax(x) [n, V] in place into the loss gradient w_n·(p - q), q = (1-ε)·onehot(y)
/// + ε/V, y [n, 1]; w [n, 1] per-row weights, or undefined for 1 (no multiply pass).
void to_smoothed_gradient_(torch::Tensor& p, const torch::Tensor& y, double epsilon,
                           const torch::Tensor& w) {
  const double eps_v = epsilon / static_cast<double>(p.size(1));
  if (w.defined()) {
    p.mul_(w);
    if (epsilon > 0) p.sub_(w * eps_v);
    p.scatter_add_(1, y, w * -(1.0 - epsilon));
  } else {
    if (epsilon > 0) p.sub_(eps_v);
    p.scatter_add_(1, y, torch::full({p.size(0), 1}, -(1.0 - epsilon), p.options()));
  }
}

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
    auto keep = target.ne(pad_id);                          // [N]
    auto safe = target.masked_fill(~keep, 0).unsqueeze(1);  // [N, 1]
    auto probs = torch::softmax(logits, 1);                 // [N, V]
    auto [nll, smooth] = loss_term_sums(logits, probs, safe, keep.to(torch::kDouble), epsilon > 0);
    auto loss = smoothed_loss(nll, smooth, epsilon, vocab);
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
    auto w = (keep.to(grad.scalar_type()) * grad_outputs[0]).unsqueeze(1);  // [N, 1]
    torch::NoGradGuard no_grad;
    to_smoothed_gradient_(grad, safe, epsilon, w);
    return {grad, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

/// See fused_output_label_smoothed_loss in loss.h. Inputs: h [M, D] (non-pad rows only),
/// weight [V, D], bias [V] or empty ([0]: no bias), y [M]; `kept` holds the [M] indices of the
/// non-pad rows in 0..N-1 (empty when M == N, where it is not used). (LibTorch's custom functions
/// take no undefined tensors as inputs, hence the empty tensors.)
struct FusedOutputCE : public torch::autograd::Function<FusedOutputCE> {
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& features,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               const torch::Tensor& h, const torch::Tensor& y,
                               const torch::Tensor& kept, double epsilon, int64_t chunk_rows,
                               bool grad_mode) {
    const int64_t m = h.size(0), dim = h.size(1), vocab = weight.size(0);
    const bool has_bias = bias.numel() > 0;
    // (Inside forward() grad mode is always off; the caller's is passed in: under NoGradGuard,
    // e.g. validation, parameters still say requires_grad but no gradient is wanted.)
    const bool need_h = grad_mode && features.requires_grad();
    const bool need_w = grad_mode && weight.requires_grad();
    const bool need_b = grad_mode && has_bias && bias.requires_grad();
    const bool need_any = need_h || need_w || need_b;
    auto f32 = h.options();
    auto wt = weight.t();  // [D, V] view
    torch::Tensor grad_h, grad_w, grad_b;
    if (need_h) grad_h = torch::empty({m, dim}, f32);
    if (need_w) grad_w = torch::zeros({vocab, dim}, f32);
    if (need_b) grad_b = torch::zeros({vocab}, f32);
    const int64_t block = std::min<int64_t>(chunk_rows, std::max<int64_t>(m, 1));
    auto scores_buf = torch::empty({block, vocab}, f32);  // x of one block
    auto probs_buf = torch::empty({block, vocab}, f32);   // p, then G, of one block
    auto nll = torch::zeros({}, f32.dtype(torch::kDouble));
    auto smooth = torch::zeros({}, f32.dtype(torch::kDouble));
    // Σ_v x_nv = h_n·(Σ_v W_v) + Σ_v b_v: a [D] product per row instead of a pass over [c, V].
    auto w_colsum = weight.sum(0);  // [D]
    const double b_sum = has_bias ? bias.sum().item<double>() : 0.0;
    // The gradient G = p - q, q = (1-ε)·onehot(y) + ε/V, is never formed: p enters the products
    // and q's two parts are applied to their (small) results:
    //   ∂/∂h = p·W - (ε/V)·Σ_v W_v - (1-ε)·W_y,
    //   ∂/∂W = pᵀ·h - (ε/V)·1·(Σ_n h_n)ᵀ - (1-ε)·Σ_n onehot(y_n)·h_nᵀ,
    //   ∂/∂b = Σ_n p_n - (ε/V)·M - (1-ε)·Σ_n onehot(y_n).
    const double eps_v = epsilon / static_cast<double>(vocab);
    for (int64_t r0 = 0; r0 < m; r0 += block) {
      const int64_t c = std::min(block, m - r0);
      auto hc = h.narrow(0, r0, c);         // [c, D]
      auto y1 = y.narrow(0, r0, c);         // [c]
      auto yc = y1.unsqueeze(1);            // [c, 1]
      auto x = scores_buf.narrow(0, 0, c);  // [c, V]
      auto p = probs_buf.narrow(0, 0, c);   // [c, V]
      if (has_bias)
        torch::addmm_out(x, bias, hc, wt);
      else
        torch::mm_out(x, hc, wt);
      at::_softmax_out(p, x, 1, /*half_to_float=*/false);
      torch::Tensor row_sums;
      if (epsilon > 0) row_sums = torch::mv(hc, w_colsum).add_(b_sum);  // [c]
      auto [nll_c, smooth_c] = loss_term_sums(x, p, yc, torch::Tensor(), epsilon > 0, row_sums);
      nll.add_(nll_c);
      if (epsilon > 0) smooth.add_(smooth_c);
      if (!need_any) continue;
      if (need_h) {
        auto gh = grad_h.narrow(0, r0, c);  // [c, D]
        torch::mm_out(gh, p, weight);
        if (epsilon > 0) gh.sub_(w_colsum * eps_v);
        gh.sub_(weight.index_select(0, y1), 1.0 - epsilon);
      }
      if (need_w) {
        grad_w.addmm_(p.t(), hc);  // [V, D]
        grad_w.index_add_(0, y1, hc, -(1.0 - epsilon));
      }
      if (need_b) {
        grad_b.add_(p.sum(0));  // [V]
        grad_b.index_add_(0, y1, torch::full({c}, -(1.0 - epsilon), f32));
      }
    }
    if (epsilon > 0) {
      if (need_w) grad_w.sub_(h.sum(0).unsqueeze(0) * eps_v);  // [V, D] - [1, D]
      if (need_b) grad_b.sub_(eps_v * static_cast<double>(m));
    }
    auto loss = smoothed_loss(nll, smooth, epsilon, vocab);
    ctx->save_for_backward({grad_h, grad_w, grad_b, kept});
    ctx->saved_data["rows"] = features.size(0);
    auto loss_f = loss.to(torch::kFloat);
    auto nll_f = nll.to(torch::kFloat);
    ctx->mark_non_differentiable({nll_f});
    return {loss_f, nll_f};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto& g = grad_outputs[0];  // [] d(objective)/d(loss)
    torch::NoGradGuard no_grad;
    torch::Tensor grad_features, grad_w, grad_b;
    if (saved[0].defined()) {
      auto gh = saved[0].mul_(g);  // [M, D]
      const int64_t rows = ctx->saved_data["rows"].toInt();
      if (gh.size(0) != rows) {
        grad_features = torch::zeros({rows, gh.size(1)}, gh.options());
        grad_features.index_copy_(0, saved[3], gh);
      } else {
        grad_features = gh;
      }
    }
    if (saved[1].defined()) grad_w = saved[1].mul_(g);
    if (saved[2].defined()) grad_b = saved[2].mul_(g);
    // One entry per forward input: features, weight, bias, h, y, kept, epsilon, chunk_rows,
    // grad_mode.
    return {grad_features,   grad_w,          grad_b,          torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

LossSums fused_output_label_smoothed_loss(const torch::Tensor& features,
                                          const torch::Tensor& weight, const torch::Tensor& bias,
                                          const torch::Tensor& target, double epsilon,
                                          int64_t pad_id, int64_t chunk_rows) {
  if (!(epsilon >= 0.0 && epsilon < 1.0))
    throw std::invalid_argument("fused_output_label_smoothed_loss: epsilon must be in [0, 1)");
  if (chunk_rows < 1)
    throw std::invalid_argument("fused_output_label_smoothed_loss: chunk_rows must be >= 1");
  const int64_t dim = features.size(-1);
  if (weight.dim() != 2 || weight.size(1) != dim ||
      (bias.defined() && bias.numel() != weight.size(0)))
    throw std::invalid_argument("fused_output_label_smoothed_loss: features [..., " +
                                std::to_string(dim) + "] do not fit weight [V, D] / bias [V]");
  auto flat = features.reshape({-1, dim});  // [N, D]
  auto y_all = target.reshape({-1});        // [N]
  if (flat.size(0) != y_all.size(0))
    throw std::invalid_argument(
        "fused_output_label_smoothed_loss: " + std::to_string(flat.size(0)) + " feature rows but " +
        std::to_string(y_all.size(0)) + " targets");
  torch::Tensor h, y, kept = torch::empty({0}, target.options().dtype(torch::kLong));
  {
    torch::NoGradGuard no_grad;
    auto keep = y_all.ne(pad_id);
    const int64_t m = keep.sum().item<int64_t>();
    if (m == y_all.size(0)) {
      h = flat.contiguous();
      y = y_all;
    } else {
      kept = keep.nonzero().squeeze(1);  // [M]
      h = flat.index_select(0, kept);
      y = y_all.index_select(0, kept);
    }
  }
  auto b = bias.defined() ? bias : torch::empty({0}, weight.options());
  auto out = FusedOutputCE::apply(flat, weight, b, h, y, kept, epsilon, chunk_rows,
                                  torch::GradMode::is_enabled());
  return {out[0], out[1]};
}

LossSums label_smoothed_loss(const torch::Tensor& logits, const torch::Tensor& target,
                             double epsilon, int64_t pad_id) {
  if (!(epsilon >= 0.0 && epsilon < 1.0))
    throw std::invalid_argument("label_smoothed_loss: epsilon must be in [0, 1)");
  const int64_t vocab = logits.size(-1);
  auto flat_logits = logits.reshape({-1, vocab}).to(torch::kFloat);  // [N, V]
  auto flat_target = target.reshape({-1});                           // [N]
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
