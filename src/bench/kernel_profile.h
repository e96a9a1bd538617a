// Where a GPU's time goes during a few training steps: the device kernels the Kineto profiler
// (CUPTI) records, summed per step and set against the host's wall time. It answers whether a
// step is bound by kernel launches (the GPU idles between many short kernels) or by its matrix
// products (GEMM kernels fill the busy time).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tinynmt::bench {

/// One device activity (a kernel, a copy or a memset) as the profiler recorded it.
struct DeviceEvent {
  std::string name;
  int64_t start_ns = 0;
  int64_t duration_ns = 0;
};

struct KernelProfile {
  bool measured = false;
  std::string reason;           ///< why not measured (no CUDA device, no Kineto), else ""
  int64_t steps = 0;            ///< profiled steps
  double wall_ms = 0;           ///< host wall time per step, the device synchronised at its end
  double kernels = 0;           ///< device activities per step
  double kernel_ms = 0;         ///< their summed durations per step
  double busy_ms = 0;           ///< union of their intervals per step: the time the GPU is busy
  double gemm_ms = 0;           ///< summed durations of GEMM kernels per step (is_gemm_kernel)
  double mean_kernel_us = 0;    ///< kernel_ms / kernels, in microseconds
  double busy_pct = 0;          ///< 100 · busy_ms / wall_ms
  double gemm_pct_of_busy = 0;  ///< 100 · gemm_ms / busy_ms
  /// The kernels with the most time: (name, ms per step), longest first, at most 8.
  std::vector<std::pair<std::string, double>> top;
};

/// Whether a kernel name is a matrix product: cuBLAS/cuBLASLt/CUTLASS GEMMs (names holding
/// "gemm", "xmma", "cutlass", "wgmma" or "nvjet" (cuBLASLt's Hopper kernels), any case) and
/// cuDNN/flash attention's fused matmuls
/// ("fmha", "flash").
bool is_gemm_kernel(const std::string& name);

/// Summarises device events recorded over `steps` steps that took `wall_seconds` of host time
/// in all. Overlapping intervals (kernels on several streams) count once in busy_ms.
/// Throws std::invalid_argument if steps < 1 or wall_seconds <= 0.
KernelProfile summarize_kernels(const std::vector<DeviceEvent>& events, int64_t steps,
                                double wall_seconds);

/// Runs `run_step(i)` for i in [0, steps) on `device` (CUDA) under the Kineto profiler (CPU and
/// CUDA activities), writes the Chrome trace to `trace_path` (chrome://tracing, Perfetto), and
/// summarises the CUDA events. When the device is not CUDA, or the profiler cannot record CUDA
/// activities, the steps still run and the result says why it was not measured.
KernelProfile profile_kernels(const std::string& trace_path, int64_t steps,
                              const std::function<void(int64_t)>& run_step,
                              const torch::Device& device);

}  // namespace tinynmt::bench
