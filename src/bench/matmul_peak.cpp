#include "bench/matmul_peak.h"

#include <fmt/format.h>
#include <torch/cuda.h>

#include <algorithm>
#include <stdexcept>

#include "bench/flops.h"
#include "util/runtime.h"

namespace tinynmt::bench {

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

SgemmFigures measure_matmul(const torch::Device& device, torch::ScalarType dtype, int64_t n,
                            int64_t repeats, int64_t warmup) {
  if (n < 1 || repeats < 1)
    throw std::invalid_argument(
        fmt::format("measure_matmul: n = {} and repeats = {} must be >= 1", n, repeats));
  torch::NoGradGuard no_grad;
  const auto opts = torch::TensorOptions().device(device).dtype(dtype);
  auto a = torch::randn({n, n}, opts);  // [n, n]
  auto b = torch::randn({n, n}, opts);
  auto c = torch::empty({n, n}, opts);
  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
  };
  for (int64_t i = 0; i < warmup; ++i) torch::mm_out(c, a, b);  // [n, n]
  sync();
  std::vector<double> secs;
  for (int64_t i = 0; i < repeats; ++i) {
    const double t0 = now_seconds();
    torch::mm_out(c, a, b);
    sync();
    secs.push_back(std::max(1e-12, now_seconds() - t0));
  }
  SgemmFigures f;
  f.device = device.str();
  f.dtype = dtype == torch::kBFloat16 ? "bfloat16" : "float32";
  f.n = n;
  f.repeats = repeats;
  f.median_seconds = median(secs);
  f.gflops = matmul_flops(n, n, n) / f.median_seconds / 1e9;
  return f;
}

SgemmFigures measure_sgemm(int64_t n, int64_t repeats, int64_t warmup) {
  return measure_matmul(torch::kCPU, torch::kFloat, n, repeats, warmup);
}

}  // namespace tinynmt::bench
