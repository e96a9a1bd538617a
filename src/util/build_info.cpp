#include "util/build_info.h"

#include <fmt/format.h>
#include <torch/cuda.h>

#include "util/torch_compat.h"

#ifndef TINYNMT_TORCH_CUDA
#define TINYNMT_TORCH_CUDA 0
#endif
#ifndef TINYNMT_CUDA_VERSION
#define TINYNMT_CUDA_VERSION ""
#endif

namespace tinynmt {

BuildInfo build_info() {
  BuildInfo b;
  b.tinynmt_version = TINYNMT_VERSION;
  b.torch_version = compat::torch_version();
  b.cuda_compiled = TINYNMT_TORCH_CUDA != 0;
  b.cuda_version = b.cuda_compiled ? TINYNMT_CUDA_VERSION : "";
  b.cuda_devices = static_cast<int64_t>(torch::cuda::device_count());
  return b;
}

std::string describe(const BuildInfo& b) {
  std::string cuda = "CUDA: not compiled in (CPU only)";
  if (b.cuda_compiled)
    cuda = fmt::format("CUDA: compiled in (toolkit {}), {} device(s) visible", b.cuda_version,
                       b.cuda_devices);
  std::string devices;
  for (int64_t i = 0; i < b.cuda_devices; ++i) devices += fmt::format("\n  cuda:{}", i);
  return fmt::format("tinynmt {}\nLibTorch {}\n{}{}", b.tinynmt_version, b.torch_version, cuda,
                     devices);
}

}  // namespace tinynmt
