#include "util/blas_core.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace tinynmt {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string openblas_core_name() {
  using CoreName = char* (*)();
  auto fn = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (fn == nullptr) return "";
  const char* name = fn();
  return name != nullptr ? std::string(name) : std::string();
}

CpuVectorFeatures cpu_vector_features() {
  CpuVectorFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return f;
}

std::string better_openblas_core(const std::string& core, bool avx512f, bool avx2_fma) {
  const std::string c = lower(core);
  const bool fallback = c == "prescott" || c == "core2" || c == "nehalem" || c == "sandybridge";
  if (!fallback) return "";
  if (avx512f) return "SkylakeX";
  return avx2_fma ? "Haswell" : "";
}

void use_faster_openblas_core(char** argv) {
#if defined(__linux__)
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const char* keep = std::getenv("TINYNMT_KEEP_BLAS_CORE");
  if (keep != nullptr && std::string(keep) == "1") return;
  const std::string core = openblas_core_name();
  if (core.empty()) return;
  const CpuVectorFeatures cpu = cpu_vector_features();
  const std::string better = better_openblas_core(core, cpu.avx512f, cpu.avx2_fma);
  if (better.empty()) return;
  setenv("OPENBLAS_CORETYPE", better.c_str(), 1);
  setenv("TINYNMT_BLAS_CORE_WAS", core.c_str(), 1);
  execv("/proc/self/exe", argv);
  // exec failed: go on with OpenBLAS's choice, and do not let children try again.
  unsetenv("TINYNMT_BLAS_CORE_WAS");
  setenv("TINYNMT_KEEP_BLAS_CORE", "1", 1);
#else
  (void)argv;
#endif
}

std::string openblas_core_note() {
  const char* was = std::getenv("TINYNMT_BLAS_CORE_WAS");
  const char* now = std::getenv("OPENBLAS_CORETYPE");
  if (was == nullptr || now == nullptr) return "";
  return fmt::format(
      "OpenBLAS core {} instead of {}, its fallback for a CPU it does not know (set "
      "OPENBLAS_CORETYPE to choose one, TINYNMT_KEEP_BLAS_CORE=1 to keep OpenBLAS's choice)",
      now, was);
}

}  // namespace tinynmt
