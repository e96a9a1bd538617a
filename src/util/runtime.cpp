#include "util/runtime.h"

#include <fmt/format.h>
#include <malloc.h>

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

namespace tinynmt {

torch::Device resolve_device(const std::string& spec) {
  if (spec == "auto") return torch::cuda::is_available() ? torch::Device("cuda") : torch::kCPU;
  if (spec == "cpu") return torch::kCPU;
  if (spec.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw std::runtime_error(fmt::format(
          "device '{}' requested but CUDA is not available (this LibTorch build or machine has no "
          "GPU); use --device cpu or run.device: auto",
          spec));
    torch::Device d(spec);
    if (d.has_index() && d.index() >= static_cast<int64_t>(torch::cuda::device_count()))
      throw std::runtime_error(fmt::format("device '{}': only {} CUDA device(s) present", spec,
                                           torch::cuda::device_count()));
    return d;
  }
  throw std::runtime_error(fmt::format("device '{}' is not valid; use auto, cpu, cuda or cuda:N", spec));
}

int64_t configure_threads(int64_t threads) {
  int64_t n = threads > 0 ? threads : static_cast<int64_t>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  torch::set_num_threads(static_cast<int>(n));
  return n;
}

void seed_everything(uint64_t seed) {
  torch::manual_seed(seed);
  if (torch::cuda::is_available()) torch::cuda::manual_seed_all(seed);
}

void tune_allocator() {
  static bool done = false;
  if (done) return;
  done = true;
  // Large blocks (the [batch, tgt_len, vocab] logits are tens of MB) would otherwise be mmap'd
  // and unmapped every step, each page faulted in again; keep them on the heap and do not trim.
  // (M_MMAP_THRESHOLD cannot do this: glibc refuses values above 32 MB, and a refused call leaves
  // the threshold dynamic, which also resets M_TRIM_THRESHOLD to twice it on every large free.)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  auto total = static_cast<int64_t>(s + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02d}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02d}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

}  // namespace tinynmt
