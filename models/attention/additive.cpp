#include "models/attention/additive.h"

#include <ATen/Parallel.h>

#include <stdexcept>

#include "models/attention/common.h"
#include "models/batched_matmul.h"
#include "models/flop_count.h"

namespace tinynmt {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct AdditiveScores : public torch::autograd::Function<AdditiveScores> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& wq_in,
                               const torch::Tensor& uk_in, const torch::Tensor& v_in) {
    auto wq = wq_in.contiguous(), uk = uk_in.contiguous(), v = v_in.contiguous();
    const int64_t B = wq.size(0), T = wq.size(1), S = uk.size(1), A = wq.size(2);
    // th = tanh(wq + uk) by LibTorch's vectorised tanh, in place on the sum.
    auto th = (wq.unsqueeze(2) + uk.unsqueeze(1)).tanh_();  // [B, T, S, A]
    auto e = torch::empty({B, T, S}, wq.options());
    const float* pt = th.data_ptr<float>();
    const float* pv = v.data_ptr<float>();
    float* pe = e.data_ptr<float>();
    at::parallel_for(0, B * T * S, 256, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const float* row = pt + r * A;
        float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
        for (int64_t a = 0; a < A; ++a) acc += pv[a] * row[a];
        pe[r] = acc;
      }
    });
    ctx->save_for_backward({th, v});
    return e;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& th = saved[0];       // [B, T, S, A]
    const auto& v = saved[1];        // [A]
    auto g = grads[0].contiguous();  // [B, T, S]
    const int64_t B = th.size(0), T = th.size(1), S = th.size(2), A = th.size(3);
    auto gwq = torch::zeros({B, T, A}, th.options());
    auto guk = torch::zeros({B, S, A}, th.options());
    const int threads = at::get_num_threads();
    auto gv_parts = torch::zeros({threads, A}, th.options());  // one row per thread
    const float* pt = th.data_ptr<float>();
    const float* pv = v.data_ptr<float>();
    const float* pg = g.data_ptr<float>();
    float* pwq = gwq.data_ptr<float>();
    float* puk = guk.data_ptr<float>();
    float* pgv = gv_parts.data_ptr<float>();
    // Parallel over the batch: each b writes its own rows of ∂wq and ∂uk.
    at::parallel_for(0, B, 1, [&](int64_t lo, int64_t hi) {
      float* gv = pgv + at::get_thread_num() * A;
      for (int64_t b = lo; b < hi; ++b)
        for (int64_t t = 0; t < T; ++t)
          for (int64_t s = 0; s < S; ++s) {
            const int64_t r = (b * T + t) * S + s;
            const float gr = pg[r];
            const float* row = pt + r * A;
            float* dq = pwq + (b * T + t) * A;
            float* dk = puk + (b * S + s) * A;
#pragma omp simd
            for (int64_t a = 0; a < A; ++a) {
              const float d = gr * pv[a] * (1.0f - row[a] * row[a]);  // ∂e/∂pre
              dq[a] += d;
              dk[a] += d;
              gv[a] += gr * row[a];
            }
          }
    });
    return {gwq, guk, gv_parts.sum(0)};
  }
};

}  // namespace

torch::Tensor additive_scores(const torch::Tensor& wq, const torch::Tensor& uk,
                              const torch::Tensor& v) {
  if (wq.dim() != 3 || uk.dim() != 3 || v.dim() != 1 || wq.size(0) != uk.size(0) ||
      wq.size(2) != uk.size(2) || v.size(0) != wq.size(2))
    throw std::invalid_argument("additive_scores: expected wq [B, T, A], uk [B, S, A], v [A]");
  const bool fused = wq.device().is_cpu() && uk.device().is_cpu() && v.device().is_cpu() &&
                     wq.scalar_type() == torch::kFloat && uk.scalar_type() == torch::kFloat &&
                     v.scalar_type() == torch::kFloat;
  if (!fused) return torch::matmul(torch::tanh(wq.unsqueeze(2) + uk.unsqueeze(1)), v);
  return AdditiveScores::apply(wq, uk, v);
}

AdditiveAttentionImpl::AdditiveAttentionImpl(const AdditiveAttentionOptions& options)
    : AttentionImpl(options.query_dim(), options.key_dim(), options.value_dim()),
      options_(options) {
  namespace nn = torch::nn;
  w_ = register_module(
      "w", nn::Linear(nn::LinearOptions(options_.query_dim(), options_.hidden_dim()).bias(false)));
  u_ = register_module("u", nn::Linear(options_.key_dim(), options_.hidden_dim()));
  v_ = register_module("v", nn::Linear(nn::LinearOptions(options_.hidden_dim(), 1).bias(false)));
}

AttentionCache AdditiveAttentionImpl::project(const torch::Tensor& keys,
                                              const torch::Tensor& values) {
  return AttentionCache{u_(keys), values};  // [batch, src_len, hidden]
}

AttentionOutput AdditiveAttentionImpl::attend_checked(const torch::Tensor& query,
                                                      const AttentionCache& cache,
                                                      const torch::Tensor& mask,
                                                      const AttentionExtras& /*extras*/) {
  auto wq = w_(query);                                                   // [batch, tgt_len, hidden]
  auto scores = additive_scores(wq, cache.keys, v_->weight.squeeze(0));  // [batch, tgt, src]
  auto weights = masked_softmax(scores, mask_3d(mask));  // [batch, tgt_len, src_len]
  auto context = batched_matmul(weights, cache.values);  // [batch, tgt_len, value_dim]
  return {context, weights.unsqueeze(1)};                // [batch, 1, tgt, src]
}

double additive_flops(const AttentionConfig& a, int64_t src_len, int64_t tgt_len) {
  const double S = static_cast<double>(src_len), T = static_cast<double>(tgt_len);
  const double pairs = S * T;
  return S * matmul_flops(1, a.key_dim, a.hidden_dim)      // U·h_j (key half of W_a), once
         + T * matmul_flops(1, a.query_dim, a.hidden_dim)  // W·s (query half)
         + pairs * matmul_flops(1, a.hidden_dim, 1)        // v^T tanh(...) for every (t, s)
         + 2.0 * pairs * a.value_dim;                      // context A·V
}

AttentionType additive_attention_type() {
  AttentionType t;
  t.name = "bahdanau";
  t.build = [](const AttentionConfig& c) -> std::shared_ptr<AttentionImpl> {
    return std::make_shared<AdditiveAttentionImpl>(
        AdditiveAttentionOptions(c.query_dim, c.key_dim, c.hidden_dim).value_dim(c.value_dim));
  };
  t.heads = [](const AttentionConfig&) -> int64_t { return 1; };
  t.output_dim = [](const AttentionConfig& c) { return c.value_dim; };
  t.flops = additive_flops;
  t.check_sizes = [](const AttentionConfig&) {};
  return t;
}

}  // namespace tinynmt
