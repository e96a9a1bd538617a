// The OpenBLAS core correction (util/blas_core.h): the rule, and that the suite's own process
// (tests/main.cpp) runs on a core the rule keeps.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "util/blas_core.h"

using namespace tinynmt;

TEST(OpenBlasCore, FallbackCoresGetTheWidestKernelsTheCpuRuns) {
  EXPECT_EQ(better_openblas_core("Prescott", true, true), "SkylakeX");
  EXPECT_EQ(better_openblas_core("PRESCOTT", true, true), "SkylakeX");
  EXPECT_EQ(better_openblas_core("Core2", true, true), "SkylakeX");
  EXPECT_EQ(better_openblas_core("Nehalem", false, true), "Haswell");
  EXPECT_EQ(better_openblas_core("Sandybridge", false, true), "Haswell");
  EXPECT_EQ(better_openblas_core("Prescott", false, false), "");  // an old CPU: keep
}

TEST(OpenBlasCore, OpenBlasOwnMatchesAreKept) {
  for (const char* core : {"SkylakeX", "Cooperlake", "Haswell", "Zen", ""})
    EXPECT_EQ(better_openblas_core(core, true, true), "") << core;
}

// tests/main.cpp calls use_faster_openblas_core() first: unless the user chose a core or turned
// the correction off, the core in use must be one the rule keeps.
TEST(OpenBlasCore, ThisProcessRunsOnACoreTheRuleKeeps) {
  const std::string core = openblas_core_name();
  if (core.empty())
    GTEST_SKIP() << "this process's BLAS is not OpenBLAS (no openblas_get_corename)";
  if (std::getenv("TINYNMT_KEEP_BLAS_CORE") != nullptr)
    GTEST_SKIP() << "TINYNMT_KEEP_BLAS_CORE is set";
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr &&
      std::getenv("TINYNMT_BLAS_CORE_WAS") == nullptr)
    GTEST_SKIP() << "OPENBLAS_CORETYPE was set before the suite started: the user's choice";
  const CpuVectorFeatures cpu = cpu_vector_features();
  EXPECT_EQ(better_openblas_core(core, cpu.avx512f, cpu.avx2_fma), "")
      << "OpenBLAS runs core " << core << "; OPENBLAS_CORETYPE="
      << (std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "(unset)");
}
