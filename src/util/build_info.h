// What a tinynmt binary says about itself: its version, the LibTorch it was built against,
// whether CUDA is compiled in, and the CUDA devices it sees. `tinynmt --version` prints it and
// `tinynmt bench` records it in its JSON.
#pragma once

#include <cstdint>
#include <string>

namespace tinynmt {

struct BuildInfo {
  std::string tinynmt_version;  ///< this project's version (CMake project version)
  std::string torch_version;    ///< LibTorch version compiled against, e.g. "1.13.1", "2.14.1"
  bool cuda_compiled = false;   ///< LibTorch has CUDA and tinynmt links libtorch_cuda
  std::string cuda_version;     ///< CUDA toolkit version of the build, "" without CUDA
  int64_t cuda_devices = 0;     ///< CUDA devices visible now (0 without CUDA or without a GPU)
};

/// The facts above; cuda_devices is read at call time (torch::cuda::device_count()).
BuildInfo build_info();

/// Multi-line text for --version: "tinynmt 0.1.0", "LibTorch 2.14.1", "CUDA: compiled in
/// (toolkit 13.0), 0 devices" or "CUDA: not compiled in".
std::string describe(const BuildInfo& info);

}  // namespace tinynmt
