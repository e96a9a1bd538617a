// The unit suite's entry point: GoogleTest's, after the same OpenBLAS core correction as the
// tinynmt executable (util/blas_core.h), so that the suite measures and runs what users run.
#include <gtest/gtest.h>

#include "util/blas_core.h"

int main(int argc, char** argv) {
  tinynmt::use_faster_openblas_core(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
