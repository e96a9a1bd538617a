#include "models/dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>

namespace tinynmt {
namespace {

// GCC/Clang build the hot loops below twice, for AVX2 and for the baseline x86-64, and pick one
// at load time: with 8 lanes of 32-bit multiplies the hash costs about one cycle per element.
// Not under ThreadSanitizer: the load-time resolver is instrumented and would run before the
// sanitizer's runtime is set up (the program crashed before main).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TINYNMT_NO_CLONES 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define TINYNMT_NO_CLONES 1
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__CUDACC__) && \
    !defined(TINYNMT_NO_CLONES)
#define TINYNMT_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TINYNMT_VECTOR_CLONES
#endif

/// The finaliser of MurmurHash3 (Appleby 2011): a bijective avalanche mix of 32 bits.
inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

/// The generator's key: two 32-bit halves of the 64-bit seed, mixed once.
struct Key {
  uint32_t k1, k2;
};
Key make_key(uint64_t seed) {
  return {fmix32(static_cast<uint32_t>(seed) ^ 0x9E3779B9u),
          fmix32(static_cast<uint32_t>(seed >> 32) ^ 0x7FEB352Du)};
}

/// 32 random bits for element `i` (its low 32 bits; `hi` = its high 32 bits, mixed into k2):
/// two keyed rounds of fmix32. For a fixed key this is a bijection of the counter, so no two
/// elements of a tensor under 2^32 elements share their bits.
inline uint32_t element_bits(uint32_t i, uint32_t k1, uint32_t k2) {
  return fmix32(fmix32(i * 0x9E3779B9u ^ k1) ^ k2);
}

/// Whether element `c` of a mask is kept: its bits are >= threshold = round(p · 2^32).
inline bool kept(uint32_t c, uint32_t k1, uint32_t k2, uint32_t threshold) {
  return element_bits(c, k1, k2) >= threshold;
}

void check_p(double p, const char* where) {
  if (!(p >= 0.0 && p < 1.0))
    throw std::invalid_argument(std::string(where) + ": dropout p must be in [0, 1), got " +
                                std::to_string(p));
}

/// The threshold of kept(): round(p · 2^32).
uint32_t drop_threshold(double p) {
  return static_cast<uint32_t>(std::min(std::llround(std::ldexp(p, 32)), 0xFFFFFFFFLL));
}

/// The parameters of one mask.
struct MaskSpec {
  uint32_t threshold;
  float scale;
  Key key;
};
MaskSpec make_spec(double p, uint64_t seed) {
  return {drop_threshold(p), static_cast<float>(1.0 / (1.0 - p)), make_key(seed)};
}

/// The k2 of the elements sharing the high 32 bits of `index` (mixed in, so tensors of 2^32 or
/// more elements do not repeat the mask).
uint32_t k2_at(const MaskSpec& spec, int64_t index) {
  return spec.key.k2 ^ fmix32(static_cast<uint32_t>(index >> 32));
}

// Runs kernel(begin, end, k2 for this block) over [0, n) in parallel blocks of 2^16 elements that
// never straddle a multiple of 2^32 (the high half of the counter is mixed into k2 per block).
template <typename K>
void for_blocks(int64_t n, const MaskSpec& spec, const K& kernel) {
  constexpr int64_t kBlock = 1 << 16;
  at::parallel_for(0, (n + kBlock - 1) / kBlock, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t begin = b * kBlock, end = std::min(n, begin + kBlock);
      const uint32_t k2 = k2_at(spec, begin);
      kernel(begin, end, k2);
    }
  });
}

TINYNMT_VECTOR_CLONES
void fill_mask_block(float* out, int64_t begin, int64_t end, uint32_t threshold, float scale,
                     uint32_t k1, uint32_t k2) {
  const auto c0 = static_cast<uint32_t>(begin);
  const int64_t len = end - begin;
  float* o = out + begin;
  for (int64_t j = 0; j < len; ++j)
    o[j] = kept(c0 + static_cast<uint32_t>(j), k1, k2, threshold) ? scale : 0.0f;
}

// out = x · mask (x may be out): inverted dropout forward, and its backward on the gradient.
TINYNMT_VECTOR_CLONES
void apply_mask_block(const float* x, float* out, int64_t begin, int64_t end, uint32_t threshold,
                      float scale, uint32_t k1, uint32_t k2, uint32_t counter_base = 0) {
  // Element j of the block is mask element `begin + j` (+ counter_base: the counter of x[0]).
  const auto c0 = counter_base + static_cast<uint32_t>(begin);
  const int64_t len = end - begin;
  const float* xi = x + begin;
  float* o = out + begin;
  for (int64_t j = 0; j < len; ++j) {
    const float m = kept(c0 + static_cast<uint32_t>(j), k1, k2, threshold) ? scale : 0.0f;
    o[j] = xi[j] * m;
  }
}

// out = r + x · mask: a residual connection around inverted dropout.
TINYNMT_VECTOR_CLONES
void add_mask_block(const float* x, const float* r, float* out, int64_t begin, int64_t end,
                    uint32_t threshold, float scale, uint32_t k1, uint32_t k2) {
  const auto c0 = static_cast<uint32_t>(begin);
  const int64_t len = end - begin;
  const float* xi = x + begin;
  const float* ri = r + begin;
  float* o = out + begin;
  for (int64_t j = 0; j < len; ++j) {
    const float m = kept(c0 + static_cast<uint32_t>(j), k1, k2, threshold) ? scale : 0.0f;
    o[j] = ri[j] + xi[j] * m;
  }
}

// out = relu(x) · mask.
TINYNMT_VECTOR_CLONES
void relu_mask_block(const float* x, float* out, int64_t begin, int64_t end, uint32_t threshold,
                     float scale, uint32_t k1, uint32_t k2) {
  const auto c0 = static_cast<uint32_t>(begin);
  const int64_t len = end - begin;
  const float* xi = x + begin;
  float* o = out + begin;
  for (int64_t j = 0; j < len; ++j) {
    const bool keep = kept(c0 + static_cast<uint32_t>(j), k1, k2, threshold);
    const float v = xi[j] * scale;
    o[j] = (keep & (v > 0.0f)) ? v : 0.0f;  // no short-circuit: the loop stays vectorised
  }
}

// grad_in = grad_out · [y > 0] · scale, from y = relu(x) · mask: y > 0 exactly where x > 0 and
// the element was kept (scale > 1 cannot round a positive float to 0).
TINYNMT_VECTOR_CLONES
void relu_mask_backward_block(const float* g, const float* y, float* out, int64_t begin,
                              int64_t end, float scale) {
  const int64_t len = end - begin;
  const float* gi = g + begin;
  const float* yi = y + begin;
  float* o = out + begin;
  for (int64_t j = 0; j < len; ++j) {
    const float m = yi[j] > 0.0f ? scale : 0.0f;  // a select of constants: the loop vectorises
    o[j] = gi[j] * m;
  }
}

/// Inverted dropout of a float32 CPU tensor as one autograd node: the forward draws the mask and
/// multiplies in one pass; the backward draws the same mask again from the seed (the node saves
/// no mask) and multiplies the gradient by it.
struct MaskDropout : public torch::autograd::Function<MaskDropout> {
  static torch::Tensor apply_mask(const torch::Tensor& x, double p, uint64_t seed) {
    auto xc = x.contiguous();
    auto out = torch::empty_like(xc, at::MemoryFormat::Contiguous);
    const MaskSpec spec = make_spec(p, seed);
    const float* px = xc.data_ptr<float>();
    float* po = out.data_ptr<float>();
    for_blocks(xc.numel(), spec, [&](int64_t b, int64_t e, uint32_t k2) {
      apply_mask_block(px, po, b, e, spec.threshold, spec.scale, spec.key.k1, k2);
    });
    return out;
  }
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               double p, int64_t seed) {
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return apply_mask(x, p, static_cast<uint64_t>(seed));
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const double p = ctx->saved_data["p"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    return {apply_mask(grad_outputs[0], p, seed), torch::Tensor(), torch::Tensor()};
  }
};

/// residual + dropout(x) as one autograd node: one pass forward; the backward hands the gradient
/// to the residual unchanged and multiplies it by the mask (drawn again from the seed) for x.
struct MaskDropoutAdd : public torch::autograd::Function<MaskDropoutAdd> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& residual, double p, int64_t seed) {
    auto xc = x.contiguous();
    auto rc = residual.contiguous();
    auto out = torch::empty_like(xc, at::MemoryFormat::Contiguous);
    const MaskSpec spec = make_spec(p, static_cast<uint64_t>(seed));
    const float* px = xc.data_ptr<float>();
    const float* pr = rc.data_ptr<float>();
    float* po = out.data_ptr<float>();
    for_blocks(xc.numel(), spec, [&](int64_t b, int64_t e, uint32_t k2) {
      add_mask_block(px, pr, po, b, e, spec.threshold, spec.scale, spec.key.k1, k2);
    });
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return out;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const double p = ctx->saved_data["p"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const auto& g = grad_outputs[0];
    return {MaskDropout::apply_mask(g, p, seed), g, torch::Tensor(), torch::Tensor()};
  }
};

/// relu then inverted dropout as one autograd node: the forward writes relu(x) · mask in one
/// pass and saves that output (which the next layer keeps anyway), not a mask; the backward is
/// grad · [output > 0] · scale.
struct ReluDropout : public torch::autograd::Function<ReluDropout> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               double p, int64_t seed) {
    auto xc = x.contiguous();
    auto out = torch::empty_like(xc, at::MemoryFormat::Contiguous);
    const MaskSpec spec = make_spec(p, static_cast<uint64_t>(seed));
    const float* px = xc.data_ptr<float>();
    float* po = out.data_ptr<float>();
    for_blocks(xc.numel(), spec, [&](int64_t b, int64_t e, uint32_t k2) {
      relu_mask_block(px, po, b, e, spec.threshold, spec.scale, spec.key.k1, k2);
    });
    ctx->save_for_backward({out});
    ctx->saved_data["scale"] = static_cast<double>(spec.scale);
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto y = ctx->get_saved_variables()[0];
    const auto scale = static_cast<float>(ctx->saved_data["scale"].toDouble());
    auto g = grad_outputs[0].contiguous();
    auto out = torch::empty_like(y, at::MemoryFormat::Contiguous);
    const float* pg = g.data_ptr<float>();
    const float* py = y.data_ptr<float>();
    float* po = out.data_ptr<float>();
    at::parallel_for(0, y.numel(), 1 << 16, [&](int64_t b, int64_t e) {
      relu_mask_backward_block(pg, py, po, b, e, scale);
    });
    return {out, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

void apply_dropout_mask(const float* x, float* out, int64_t begin, int64_t n, double p,
                        uint64_t seed) {
  check_p(p, "apply_dropout_mask");
  if (begin < 0 || n < 0) throw std::invalid_argument("apply_dropout_mask: negative range");
  const MaskSpec spec = make_spec(p, seed);
  // apply_mask_block indexes x and out from `begin`; pieces never straddle a multiple of 2^32
  // (the high half of the counter goes into k2, as in for_blocks).
  for (int64_t done = 0; done < n;) {
    const int64_t at = begin + done;
    const int64_t to_boundary = ((at >> 32) + 1) * (int64_t{1} << 32) - at;
    const int64_t len = std::min(n - done, to_boundary);
    const uint32_t k2 = k2_at(spec, at);
    apply_mask_block(x + done, out + done, 0, len, spec.threshold, spec.scale, spec.key.k1, k2,
                     static_cast<uint32_t>(at));
    done += len;
  }
}

uint64_t draw_dropout_seed() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get<at::CPUGeneratorImpl>()->random64();
}

torch::Tensor dropout_mask(const torch::Tensor& like, double p, uint64_t seed) {
  check_p(p, "dropout_mask");
  if (!like.device().is_cpu() || !like.is_floating_point())
    throw std::invalid_argument("dropout_mask: needs a floating-point CPU tensor");
  // Drawn as float (the values are 0 and 1/(1-p) rounded to float) and converted for other types.
  auto mask =
      torch::empty(like.sizes(),
                   like.options().dtype(torch::kFloat).memory_format(at::MemoryFormat::Contiguous));
  const MaskSpec spec = make_spec(p, seed);
  float* pm = mask.data_ptr<float>();
  for_blocks(mask.numel(), spec, [&](int64_t b, int64_t e, uint32_t k2) {
    fill_mask_block(pm, b, e, spec.threshold, spec.scale, spec.key.k1, k2);
  });
  if (like.scalar_type() == torch::kFloat) return mask;
  if (like.scalar_type() == torch::kDouble)  // exact 1/(1-p), not its float rounding
    return mask.gt(0).to(torch::kDouble) * (1.0 / (1.0 - p));
  return mask.to(like.scalar_type());
}

DropoutImpl::DropoutImpl(double p) : p_(p) { check_p(p, "Dropout"); }

torch::Tensor DropoutImpl::forward(const torch::Tensor& x) {
  if (!is_training() || p_ == 0.0) return x;
  if (!x.device().is_cpu()) return torch::dropout(x, p_, /*train=*/true);
  if (x.scalar_type() == torch::kFloat)
    return MaskDropout::apply(x, p_, static_cast<int64_t>(draw_dropout_seed()));
  return x * dropout_mask(x, p_, draw_dropout_seed());
}

torch::Tensor relu_dropout(const torch::Tensor& x, double p, uint64_t seed) {
  check_p(p, "relu_dropout");
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat)
    throw std::invalid_argument("relu_dropout: needs a float32 CPU tensor");
  return ReluDropout::apply(x, p, static_cast<int64_t>(seed));
}

torch::Tensor DropoutImpl::forward_add(const torch::Tensor& x, const torch::Tensor& residual) {
  if (is_training() && p_ > 0.0 && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
      residual.scalar_type() == torch::kFloat && residual.sizes() == x.sizes())
    return MaskDropoutAdd::apply(x, residual, p_, static_cast<int64_t>(draw_dropout_seed()));
  return residual + forward(x);
}

torch::Tensor DropoutImpl::forward_relu(const torch::Tensor& x) {
  if (!is_training() || p_ == 0.0) return torch::relu(x);
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat)
    return torch::dropout(torch::relu(x), p_, /*train=*/true);
  return relu_dropout(x, p_, draw_dropout_seed());
}

}  // namespace tinynmt
