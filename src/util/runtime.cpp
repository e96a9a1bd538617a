#include "util/runtime.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <malloc.h>
#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif
#if defined(_OPENMP)
#include <omp.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "util/blas_core.h"
#include "util/build_info.h"

namespace tinynmt {

bool is_device_spec(const std::string& spec) {
  return spec == "auto" || spec == "cpu" || spec == "cuda" ||
         (spec.rfind("cuda:", 0) == 0 && spec.size() > 5 &&
          spec.find_first_not_of("0123456789", 5) == std::string::npos);
}

torch::Device resolve_device(const std::string& spec) {
  if (spec == "auto") return torch::cuda::is_available() ? torch::Device("cuda") : torch::kCPU;
  if (spec == "cpu") return torch::kCPU;
  if (!is_device_spec(spec))
    throw DeviceError(fmt::format("device '{}' is not valid; use auto, cpu, cuda or cuda:N", spec));
  const BuildInfo info = build_info();
  if (!info.cuda_compiled)
    throw DeviceError(fmt::format(
        "device '{}': this tinynmt is built without CUDA (LibTorch {}, CPU only); build the CUDA "
        "line (scripts/build_torch2.sh) or use --device cpu",
        spec, info.torch_version));
  if (info.cuda_devices == 0 || !torch::cuda::is_available())
    throw DeviceError(fmt::format(
        "device '{}': CUDA is compiled in (LibTorch {}, CUDA {}) but this machine has no CUDA "
        "GPU; use --device cpu",
        spec, info.torch_version, info.cuda_version));
  torch::Device d(spec);
  if (d.has_index() && d.index() >= info.cuda_devices)
    throw DeviceError(
        fmt::format("device '{}': only {} CUDA device(s) present", spec, info.cuda_devices));
  return d;
}

int64_t configure_threads(int64_t threads, int64_t processes_here) {
  int64_t n = threads > 0 ? threads
                          : static_cast<int64_t>(std::thread::hardware_concurrency()) /
                                std::max<int64_t>(1, processes_here);
  if (n < 1) n = 1;
  torch::set_num_threads(static_cast<int>(n));
  return n;
}

bool bind_threads_to_cpus() {
#if defined(__linux__) && defined(_OPENMP)
  for (const char* var : {"OMP_PROC_BIND", "OMP_PLACES", "GOMP_CPU_AFFINITY"})
    if (std::getenv(var) != nullptr) return false;
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return false;
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  const int n = at::get_num_threads();
  if (n < 2 || n != static_cast<int>(cpus.size())) return false;
  // libgomp keeps its threads in a pool and gives a team's thread i the same OS thread every
  // time, so the binding holds for ATen's and OpenBLAS's parallel regions alike.
  std::atomic<int> bound{0};
#pragma omp parallel num_threads(n)
  {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[static_cast<size_t>(omp_get_thread_num())], &one);
    if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0) ++bound;
  }
  return bound.load() == n;
#else
  return false;
#endif
}

std::vector<std::string> prepare_cpu_compute() {
  std::vector<std::string> lines;
  if (bind_threads_to_cpus())
    lines.push_back(fmt::format(
        "bound each of the {} compute threads to its own CPU, since there are as many threads as "
        "CPUs (OMP_PROC_BIND=false leaves them unbound)",
        at::get_num_threads()));
  if (std::string note = openblas_core_note(); !note.empty()) lines.push_back(std::move(note));
  return lines;
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
