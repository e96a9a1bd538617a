#include "bench/kernel_profile.h"

#include <fmt/format.h>
#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <map>
#include <set>
#include <stdexcept>

#include "util/torch_compat.h"

namespace tinynmt::bench {
namespace {

namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

double seconds_now() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// Total length of the union of [start, start + duration) intervals, in ns.
int64_t union_ns(std::vector<std::pair<int64_t, int64_t>> spans) {
  std::sort(spans.begin(), spans.end());
  int64_t total = 0, end = INT64_MIN;
  for (const auto& [s, e] : spans) {
    if (s >= end) {
      total += e - s;
      end = e;
    } else if (e > end) {
      total += e - end;
      end = e;
    }
  }
  return total;
}

}  // namespace

bool is_gemm_kernel(const std::string& name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* key : {"gemm", "xmma", "cutlass", "wgmma", "nvjet", "fmha", "flash"})
    if (n.find(key) != std::string::npos) return true;
  return false;
}

KernelProfile summarize_kernels(const std::vector<DeviceEvent>& events, int64_t steps,
                                double wall_seconds) {
  if (steps < 1 || wall_seconds <= 0)
    throw std::invalid_argument(fmt::format(
        "summarize_kernels: steps = {} must be >= 1, wall_seconds = {} > 0", steps, wall_seconds));
  KernelProfile p;
  p.measured = true;
  p.steps = steps;
  const double per_step = 1.0 / static_cast<double>(steps);
  std::vector<std::pair<int64_t, int64_t>> spans;
  std::map<std::string, int64_t> by_name;
  int64_t kernel_ns = 0, gemm_ns = 0;
  for (const auto& e : events) {
    spans.emplace_back(e.start_ns, e.start_ns + e.duration_ns);
    kernel_ns += e.duration_ns;
    if (is_gemm_kernel(e.name)) gemm_ns += e.duration_ns;
    by_name[e.name] += e.duration_ns;
  }
  p.wall_ms = 1e3 * wall_seconds * per_step;
  p.kernels = static_cast<double>(events.size()) * per_step;
  p.kernel_ms = 1e-6 * static_cast<double>(kernel_ns) * per_step;
  p.busy_ms = 1e-6 * static_cast<double>(union_ns(std::move(spans))) * per_step;
  p.gemm_ms = 1e-6 * static_cast<double>(gemm_ns) * per_step;
  p.mean_kernel_us = p.kernels > 0 ? 1e3 * p.kernel_ms / p.kernels : 0.0;
  p.busy_pct = p.wall_ms > 0 ? 100.0 * p.busy_ms / p.wall_ms : 0.0;
  p.gemm_pct_of_busy = p.busy_ms > 0 ? 100.0 * p.gemm_ms / p.busy_ms : 0.0;
  std::vector<std::pair<std::string, double>> top;
  for (const auto& [name, ns] : by_name)
    top.emplace_back(name, 1e-6 * static_cast<double>(ns) * per_step);
  std::sort(top.begin(), top.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  if (top.size() > 8) top.resize(8);
  p.top = std::move(top);
  return p;
}

KernelProfile profile_kernels(const std::string& trace_path, int64_t steps,
                              const std::function<void(int64_t)>& run_step,
                              const torch::Device& device) {
  KernelProfile none;
  none.steps = steps;
  if (!device.is_cuda()) {
    for (int64_t i = 0; i < steps; ++i) run_step(i);
    none.reason = "kernel profiles are measured on CUDA devices only";
    return none;
  }
  const impl::ProfilerConfig config(impl::ProfilerState::KINETO);
  const std::set<impl::ActivityType> activities{impl::ActivityType::CPU, impl::ActivityType::CUDA};
  torch::cuda::synchronize(device.index());
  prof::prepareProfiler(config, activities);
  prof::enableProfiler(config, activities);
  const double t0 = seconds_now();
  for (int64_t i = 0; i < steps; ++i) run_step(i);
  torch::cuda::synchronize(device.index());
  const double wall = seconds_now() - t0;
  auto result = prof::disableProfiler();
  std::vector<DeviceEvent> events;
  for (const auto& e : result->events())
    if (e.deviceType() == c10::DeviceType::CUDA) {
      const auto [start, duration] = compat::event_span_ns(e);
      events.push_back({e.name(), start, duration});
    }
  if (!trace_path.empty()) result->save(trace_path);
  if (events.empty()) {
    none.reason = "the profiler recorded no CUDA kernels (CUPTI unavailable?)";
    return none;
  }
  return summarize_kernels(events, steps, wall);
}

}  // namespace tinynmt::bench
