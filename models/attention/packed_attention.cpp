#include "models/attention/packed_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "models/attention/common.h"
#include "models/batched_matmul.h"
#include "models/dropout.h"

namespace tinynmt {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// Sizes and column layout of one call. kv = q for self-attention.
struct Geometry {
  int64_t batch, tgt, src, heads, d_k, wq, wkv, q_off, k_off, v_off;
  int64_t d() const { return heads * d_k; }
  int64_t block() const { return tgt * src; }  // elements of one head's weights
};

Geometry geometry(const torch::Tensor& q, const torch::Tensor& kv, const PackedHeads& l) {
  return {q.size(0), q.size(1),  kv.size(1), l.heads,    l.d_k,
          q.size(2), kv.size(2), l.q_offset, l.k_offset, l.v_offset};
}

/// The mask as masked_softmax's additive bias (mask_bias in models/attention/common.h), shaped
/// [batch|1, tgt_len|1, src_len] and contiguous, and its fully blocked rows as a bool
/// [batch|1, 1, tgt_len|1, 1] (undefined when there are none).
std::pair<torch::Tensor, torch::Tensor> head_mask_bias(const torch::Tensor& mask,
                                                       const Geometry& g) {
  auto allowed = mask.to(torch::kBool);
  if (allowed.dim() == 2) allowed = allowed.unsqueeze(1);
  const bool ok = allowed.dim() == 3 && allowed.size(2) == g.src &&
                  (allowed.size(0) == 1 || allowed.size(0) == g.batch) &&
                  (allowed.size(1) == 1 || allowed.size(1) == g.tgt);
  if (!ok)
    throw std::invalid_argument("packed_attention: mask " + std::to_string(mask.dim()) +
                                "-d of last size " + std::to_string(mask.size(-1)) +
                                " does not broadcast to [" + std::to_string(g.batch) + ", " +
                                std::to_string(g.tgt) + ", " + std::to_string(g.src) + "]");
  auto [bias, row_has_any] = mask_bias(allowed, torch::kFloat);  // row_has_any [bb, bt, 1]
  torch::Tensor dead;
  if (!row_has_any.all().item<bool>()) dead = row_has_any.logical_not().unsqueeze(1);
  return {bias.contiguous(), dead};
}

/// Per-thread scratch of at least n floats, reused across calls.
float* scratch(std::vector<float>& buf, int64_t n) {
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

/// Grain of the parallel loops over (batch, head) pairs: about 2^16 multiply-adds per task.
int64_t grain(const Geometry& g) {
  return std::max<int64_t>(1, 65536 / std::max<int64_t>(1, g.block() * g.d_k));
}

/// The forward pass: {context [batch, tgt, d], weights P [batch, heads, tgt, src]}.
std::pair<torch::Tensor, torch::Tensor> forward_pass(const torch::Tensor& qb,
                                                     const torch::Tensor& kvb, const Geometry& g,
                                                     const torch::Tensor& bias,
                                                     const torch::Tensor& dead, float scale,
                                                     double p, uint64_t seed) {
  auto opts = qb.options();
  auto weights = torch::empty({g.batch, g.heads, g.tgt, g.src}, opts);
  auto context = torch::empty({g.batch, g.tgt, g.d()}, opts);
  if (weights.numel() == 0) return {context.zero_(), weights};
  const float* q = qb.data_ptr<float>();
  const float* kv = kvb.data_ptr<float>();
  float* pw = weights.data_ptr<float>();
  const bool has_bias = bias.numel() > 0;
  const float* pb = has_bias ? bias.data_ptr<float>() : nullptr;
  const int64_t bb = has_bias ? bias.size(0) : 0, bt = has_bias ? bias.size(1) : 0;
  // Scores scale·Q_i K_iᵀ [tgt, src] per (batch, head), plus the mask's bias row.
  at::parallel_for(0, g.batch * g.heads, grain(g), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = i / g.heads, h = i % g.heads;
      float* s = pw + i * g.block();
      sgemm_row_major(false, true, g.tgt, g.src, g.d_k, scale,
                      q + b * g.tgt * g.wq + g.q_off + h * g.d_k, g.wq,
                      kv + b * g.src * g.wkv + g.k_off + h * g.d_k, g.wkv, 0.0f, s, g.src);
      if (!has_bias) continue;
      for (int64_t t = 0; t < g.tgt; ++t) {
        const float* br = pb + ((bb > 1 ? b : 0) * bt + (bt > 1 ? t : 0)) * g.src;
        float* row = s + t * g.src;
        for (int64_t j = 0; j < g.src; ++j) row[j] += br[j];
      }
    }
  });
  at::_softmax_out(weights, weights, -1, /*half_to_float=*/false);  // ATen's vectorised kernel
  if (dead.defined()) weights.masked_fill_(dead, 0.0);
  // Context D_i V_i [tgt, d_k] into head i's columns, D = dropout(P) formed per block.
  float* pc = context.data_ptr<float>();
  at::parallel_for(0, g.batch * g.heads, grain(g), [&](int64_t i0, int64_t i1) {
    std::vector<float> buf;
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = i / g.heads, h = i % g.heads;
      const float* w = pw + i * g.block();
      if (p > 0) {
        float* dropped = scratch(buf, g.block());
        apply_dropout_mask(w, dropped, i * g.block(), g.block(), p, seed);
        w = dropped;
      }
      sgemm_row_major(false, false, g.tgt, g.d_k, g.src, 1.0f, w, g.src,
                      kv + b * g.src * g.wkv + g.v_off + h * g.d_k, g.wkv, 0.0f,
                      pc + b * g.tgt * g.d() + h * g.d_k, g.d());
    }
  });
  return {context, weights};
}

/// Whether the heads' slots of the given offsets tile all `width` columns (then the gradient
/// buffer needs no zero fill).
bool slots_cover(int64_t width, int64_t d, std::vector<int64_t> offsets) {
  std::sort(offsets.begin(), offsets.end());
  if (static_cast<int64_t>(offsets.size()) * d != width) return false;
  for (size_t j = 0; j < offsets.size(); ++j)
    if (offsets[j] != static_cast<int64_t>(j) * d) return false;
  return true;
}

struct PackedAttentionFn : public torch::autograd::Function<PackedAttentionFn> {
  // kv_buf is an empty tensor for self-attention (custom functions take no undefined inputs);
  // bias and dead likewise when there is no mask or no fully blocked row.
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& q_buf,
                               const torch::Tensor& kv_buf, const torch::Tensor& bias,
                               const torch::Tensor& dead, int64_t heads, int64_t d_k, int64_t q_off,
                               int64_t k_off, int64_t v_off, double scale, double p, int64_t seed) {
    const bool self = kv_buf.numel() == 0;
    const auto& kv = self ? q_buf : kv_buf;
    const Geometry g = geometry(q_buf, kv, {heads, d_k, q_off, k_off, v_off});
    auto [context, weights] =
        forward_pass(q_buf, kv, g, bias, dead.numel() > 0 ? dead : torch::Tensor(),
                     static_cast<float>(scale), p, static_cast<uint64_t>(seed));
    ctx->save_for_backward({q_buf, kv_buf, weights});
    ctx->saved_data["layout"] = std::vector<int64_t>{heads, d_k, q_off, k_off, v_off, seed};
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["p"] = p;
    ctx->mark_non_differentiable({weights});
    return {context, weights};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto& q_buf = saved[0];
    const auto& kv_buf = saved[1];
    const auto& weights = saved[2];
    const bool self = kv_buf.numel() == 0;
    const auto& kv_in = self ? q_buf : kv_buf;
    const auto l = ctx->saved_data["layout"].toIntVector();
    const Geometry g = geometry(q_buf, kv_in, {l[0], l[1], l[2], l[3], l[4]});
    const auto seed = static_cast<uint64_t>(l[5]);
    const auto scale = static_cast<float>(ctx->saved_data["scale"].toDouble());
    const double p = ctx->saved_data["p"].toDouble();
    auto grad = grad_outputs[0].contiguous();  // [batch, tgt, d]

    // One gradient per buffer, each head's dQ, dK, dV written into its own columns.
    const auto make = [&](const torch::Tensor& buf, std::vector<int64_t> offsets) {
      return slots_cover(buf.size(2), g.d(), std::move(offsets)) ? torch::empty_like(buf)
                                                                 : torch::zeros_like(buf);
    };
    torch::Tensor grad_q, grad_kv;
    if (self) {
      grad_q = make(q_buf, {g.q_off, g.k_off, g.v_off});
    } else {
      grad_q = make(q_buf, {g.q_off});
      grad_kv = make(kv_buf, {g.k_off, g.v_off});
    }
    if (weights.numel() == 0) return {grad_q, grad_kv, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
    const float* q = q_buf.data_ptr<float>();
    const float* kv = kv_in.data_ptr<float>();
    const float* pw = weights.data_ptr<float>();
    const float* pg = grad.data_ptr<float>();
    float* gq = grad_q.data_ptr<float>();
    float* gkv = self ? gq : grad_kv.data_ptr<float>();
    at::parallel_for(0, g.batch * g.heads, grain(g), [&](int64_t i0, int64_t i1) {
      std::vector<float> buf_d, buf_dd;
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t b = i / g.heads, h = i % g.heads;
        const float* w = pw + i * g.block();                   // P [tgt, src]
        const float* go = pg + b * g.tgt * g.d() + h * g.d_k;  // ∂context of head h [tgt, d_k]
        const int64_t q_at = b * g.tgt * g.wq + h * g.d_k;
        const int64_t kv_at = b * g.src * g.wkv + h * g.d_k;
        const float* dropped = w;
        if (p > 0) {
          float* d = scratch(buf_d, g.block());
          apply_dropout_mask(w, d, i * g.block(), g.block(), p, seed);
          dropped = d;
        }
        // ∂V = Dᵀ·∂C [src, d_k].
        sgemm_row_major(true, false, g.src, g.d_k, g.tgt, 1.0f, dropped, g.src, go, g.d(), 0.0f,
                        gkv + kv_at + g.v_off, g.wkv);
        // ∂D = ∂C·Vᵀ [tgt, src], then ∂P = ∂D · mask.
        float* dd = scratch(buf_dd, g.block());
        sgemm_row_major(false, true, g.tgt, g.src, g.d_k, 1.0f, go, g.d(), kv + kv_at + g.v_off,
                        g.wkv, 0.0f, dd, g.src);
        if (p > 0) apply_dropout_mask(dd, dd, i * g.block(), g.block(), p, seed);
        // Softmax backward: ∂S = P ∘ (∂P - Σ_s ∂P∘P) per row.
        for (int64_t t = 0; t < g.tgt; ++t) {
          const float* pr = w + t * g.src;
          float* dr = dd + t * g.src;
          float dot = 0.0f;
          for (int64_t j = 0; j < g.src; ++j) dot += dr[j] * pr[j];
          for (int64_t j = 0; j < g.src; ++j) dr[j] = pr[j] * (dr[j] - dot);
        }
        // ∂Q = scale·∂S·K [tgt, d_k], ∂K = scale·∂Sᵀ·Q [src, d_k].
        sgemm_row_major(false, false, g.tgt, g.d_k, g.src, scale, dd, g.src, kv + kv_at + g.k_off,
                        g.wkv, 0.0f, gq + q_at + g.q_off, g.wq);
        sgemm_row_major(true, false, g.src, g.d_k, g.tgt, scale, dd, g.src, q + q_at + g.q_off,
                        g.wq, 0.0f, gkv + kv_at + g.k_off, g.wkv);
      }
    });
    return {grad_q, grad_kv, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  }
};

}  // namespace

bool packed_attention_supported(const torch::Tensor& q_buf, const torch::Tensor& kv_buf) {
  const auto ok = [](const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.dim() == 3;
  };
  return batched_matmul_uses_blas() && ok(q_buf) && (!kv_buf.defined() || ok(kv_buf));
}

std::pair<torch::Tensor, torch::Tensor> packed_attention(const torch::Tensor& q_buf,
                                                         const torch::Tensor& kv_buf,
                                                         const PackedHeads& layout,
                                                         const torch::Tensor& mask, double scale,
                                                         double dropout_p, uint64_t seed) {
  if (!packed_attention_supported(q_buf, kv_buf))
    throw std::invalid_argument(
        "packed_attention: needs float32 CPU buffers [batch, len, width] and a BLAS sgemm");
  if (!(dropout_p >= 0.0 && dropout_p < 1.0))
    throw std::invalid_argument("packed_attention: dropout p must be in [0, 1)");
  const bool self = !kv_buf.defined();
  const auto q = q_buf.contiguous();
  const auto kv = self ? q : kv_buf.contiguous();
  const Geometry g = geometry(q, kv, layout);
  const auto fits = [&](int64_t off, int64_t width) { return off >= 0 && off + g.d() <= width; };
  if (g.heads < 1 || g.d_k < 1 || kv.size(0) != g.batch || !fits(g.q_off, g.wq) ||
      !fits(g.k_off, g.wkv) || !fits(g.v_off, g.wkv))
    throw std::invalid_argument("packed_attention: " + std::to_string(g.heads) + " heads of " +
                                std::to_string(g.d_k) + " at columns " + std::to_string(g.q_off) +
                                "/" + std::to_string(g.k_off) + "/" + std::to_string(g.v_off) +
                                " do not fit buffers [" + std::to_string(g.batch) + ", " +
                                std::to_string(g.tgt) + ", " + std::to_string(g.wq) + "] and [" +
                                std::to_string(kv.size(0)) + ", " + std::to_string(g.src) + ", " +
                                std::to_string(g.wkv) + "]");
  torch::Tensor bias, dead;
  if (mask.defined()) std::tie(bias, dead) = head_mask_bias(mask.to(torch::kCPU), g);
  const bool grad =
      torch::GradMode::is_enabled() && (q.requires_grad() || (!self && kv.requires_grad()));
  if (!grad)
    return forward_pass(q, kv, g, bias.defined() ? bias : torch::empty({0}), dead,
                        static_cast<float>(scale), dropout_p, seed);
  auto empty = torch::empty({0}, q.options());
  auto out = PackedAttentionFn::apply(q, self ? empty : kv, bias.defined() ? bias : empty,
                                      dead.defined() ? dead : torch::empty({0}, torch::kBool),
                                      g.heads, g.d_k, g.q_off, g.k_off, g.v_off, scale, dropout_p,
                                      static_cast<int64_t>(seed));
  return {out[0], out[1]};
}

}  // namespace tinynmt
