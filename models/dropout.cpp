#include "models/dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>

namespace tinynmt {
namespace {

/// splitmix64 finaliser (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
/// generators", OOPSLA): a bijective mix of a 64-bit counter.
inline uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void check_p(double p, const char* where) {
  if (!(p >= 0.0 && p < 1.0))
    throw std::invalid_argument(std::string(where) + ": dropout p must be in [0, 1), got " +
                                std::to_string(p));
}

// Calls f(i, keep) for every element index i in [0, n), in parallel chunks. Element i uses 16
// bits of hash(seed, i / 4) (four elements per 64-bit hash) and is kept when they are >= threshold.
template <typename F>
void for_each_keep(int64_t n, uint32_t threshold, uint64_t seed, const F& f) {
  const int64_t words = (n + 3) / 4;
  at::parallel_for(0, words, 8192, [&](int64_t begin, int64_t end) {
    for (int64_t w = begin; w < end; ++w) {
      uint64_t bits = splitmix64(seed + static_cast<uint64_t>(w));
      const int64_t base = w * 4;
      const int64_t stop = std::min<int64_t>(4, n - base);
      for (int64_t k = 0; k < stop; ++k, bits >>= 16)
        f(base + k, static_cast<uint32_t>(bits & 0xFFFF) >= threshold);
    }
  });
}

template <typename T>
void fill_mask(T* out, int64_t n, uint32_t threshold, T scale, uint64_t seed) {
  for_each_keep(n, threshold, seed, [&](int64_t i, bool keep) { out[i] = keep ? scale : T(0); });
}

uint32_t keep_threshold(double p) { return static_cast<uint32_t>(std::lround(p * 65536.0)); }

/// relu then inverted dropout as one autograd node: the forward writes the output and the
/// combined mask m = [x > 0] · dropout_mask in one pass; the backward is grad · m.
struct ReluDropout : public torch::autograd::Function<ReluDropout> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               double p, int64_t seed) {
    auto xc = x.contiguous();
    auto out = torch::empty_like(xc, at::MemoryFormat::Contiguous);
    auto mask = torch::empty_like(xc, at::MemoryFormat::Contiguous);
    const float* px = xc.data_ptr<float>();
    float* po = out.data_ptr<float>();
    float* pm = mask.data_ptr<float>();
    const auto scale = static_cast<float>(1.0 / (1.0 - p));
    for_each_keep(xc.numel(), keep_threshold(p), static_cast<uint64_t>(seed),
                  [&](int64_t i, bool keep) {
                    const float m = (keep && px[i] > 0.0f) ? scale : 0.0f;
                    pm[i] = m;
                    po[i] = px[i] * m;
                  });
    ctx->save_for_backward({mask});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto mask = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * mask, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

uint64_t draw_dropout_seed() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get<at::CPUGeneratorImpl>()->random64();
}

torch::Tensor dropout_mask(const torch::Tensor& like, double p, uint64_t seed) {
  check_p(p, "dropout_mask");
  if (!like.device().is_cpu() || !like.is_floating_point())
    throw std::invalid_argument("dropout_mask: needs a floating-point CPU tensor");
  // Filled as float (double for double input); other float types are converted after.
  const auto fill_type = like.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  auto mask = torch::empty(like.sizes(), like.options().dtype(fill_type).memory_format(
                                             at::MemoryFormat::Contiguous));
  const auto threshold = keep_threshold(p);
  const double scale = 1.0 / (1.0 - p);
  const int64_t n = mask.numel();
  if (fill_type == torch::kDouble) {
    fill_mask(mask.data_ptr<double>(), n, threshold, scale, seed);
  } else {
    fill_mask(mask.data_ptr<float>(), n, threshold, static_cast<float>(scale), seed);
  }
  return fill_type == like.scalar_type() ? mask : mask.to(like.scalar_type());
}

DropoutImpl::DropoutImpl(double p) : p_(p) { check_p(p, "Dropout"); }

torch::Tensor DropoutImpl::forward(const torch::Tensor& x) {
  if (!is_training() || p_ == 0.0) return x;
  if (!x.device().is_cpu()) return torch::dropout(x, p_, /*train=*/true);
  return x * dropout_mask(x, p_, draw_dropout_seed());
}

torch::Tensor relu_dropout(const torch::Tensor& x, double p, uint64_t seed) {
  check_p(p, "relu_dropout");
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat)
    throw std::invalid_argument("relu_dropout: needs a float32 CPU tensor");
  return ReluDropout::apply(x, p, static_cast<int64_t>(seed));
}

torch::Tensor DropoutImpl::forward_relu(const torch::Tensor& x) {
  if (!is_training() || p_ == 0.0) return torch::relu(x);
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat)
    return torch::dropout(torch::relu(x), p_, /*train=*/true);
  return relu_dropout(x, p_, draw_dropout_seed());
}

}  // namespace tinynmt
