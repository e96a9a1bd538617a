// bench/kernel_profile and bench/matmul_peak: the kernel summary's arithmetic on hand-made
// events (overlapping intervals count once, GEMM kernels recognised by name), and the matrix
// product peak's bookkeeping per device and dtype. The profiler itself on a GPU: test_cuda.cpp.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

#include "bench/kernel_profile.h"
#include "bench/matmul_peak.h"

using namespace tinynmt::bench;

TEST(KernelProfile, RecognisesGemmKernelsByName) {
  EXPECT_TRUE(is_gemm_kernel("sm90_xmma_gemm_f32f32_tf32f32_f32_nn_n_tilesize128x128x32"));
  EXPECT_TRUE(is_gemm_kernel("ampere_sgemm_128x64_tn"));
  EXPECT_TRUE(is_gemm_kernel("void cutlass::Kernel2<cutlass_80_wmma_tensorop_bf16_s161616gemm>"));
  EXPECT_TRUE(is_gemm_kernel("nvjet_tst_128x256_64x4_1x2_h_bz_coopA_TNN"));
  EXPECT_TRUE(is_gemm_kernel("fmha_cutlassF_bf16_aligned_64x64_rf_sm80"));
  EXPECT_FALSE(is_gemm_kernel("void at::native::vectorized_elementwise_kernel<4, AddFunctor>"));
  EXPECT_FALSE(is_gemm_kernel("void at::native::(anonymous namespace)::softmax_warp_forward"));
  EXPECT_FALSE(is_gemm_kernel("Memcpy HtoD (Pageable -> Device)"));
}

TEST(KernelProfile, SummaryCountsOverlapOnceAndSplitsGemmTime) {
  // Two steps in 10 ms of wall time. Busy: [0, 3) ms ∪ [2, 4) ms = 4 ms, then [6, 7) = 1 ms:
  // 5 ms busy in all, 2.5 ms per step. GEMM: 3 ms + 1 ms = 4 ms, 2 ms per step.
  const int64_t ms = 1000000;
  std::vector<DeviceEvent> ev = {{"ampere_sgemm_64x64_nn", 0, 3 * ms},
                                 {"elementwise_kernel", 2 * ms, 2 * ms},
                                 {"sm90_xmma_gemm_bf16", 6 * ms, 1 * ms}};
  const KernelProfile p = summarize_kernels(ev, 2, 0.010);
  ASSERT_TRUE(p.measured);
  EXPECT_DOUBLE_EQ(p.wall_ms, 5.0);
  EXPECT_DOUBLE_EQ(p.kernels, 1.5);
  EXPECT_DOUBLE_EQ(p.kernel_ms, 3.0);  // (3 + 2 + 1) / 2
  EXPECT_DOUBLE_EQ(p.busy_ms, 2.5);
  EXPECT_DOUBLE_EQ(p.gemm_ms, 2.0);
  EXPECT_DOUBLE_EQ(p.busy_pct, 50.0);
  EXPECT_DOUBLE_EQ(p.gemm_pct_of_busy, 80.0);
  EXPECT_DOUBLE_EQ(p.mean_kernel_us, 2000.0);
  ASSERT_EQ(p.top.size(), 3u);
  EXPECT_EQ(p.top[0].first, "ampere_sgemm_64x64_nn");  // longest first
  EXPECT_DOUBLE_EQ(p.top[0].second, 1.5);
  EXPECT_THROW(summarize_kernels(ev, 0, 1.0), std::invalid_argument);
  EXPECT_THROW(summarize_kernels(ev, 1, 0.0), std::invalid_argument);
}

TEST(KernelProfile, OnTheCpuTheStepsRunAndTheReasonIsGiven) {
  int runs = 0;
  const KernelProfile p = profile_kernels(
      "", 3, [&](int64_t) { ++runs; }, torch::kCPU);
  EXPECT_EQ(runs, 3);
  EXPECT_FALSE(p.measured);
  EXPECT_NE(p.reason.find("CUDA"), std::string::npos);
}

TEST(MatmulPeak, NamesItsDeviceAndDtypeAndTheFormulaHolds) {
  for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
    const auto s = measure_matmul(torch::kCPU, dtype, 16, 2, 1);
    EXPECT_EQ(s.device, "cpu");
    EXPECT_EQ(s.dtype, dtype == torch::kFloat ? "float32" : "bfloat16");
    EXPECT_GT(s.median_seconds, 0);
    EXPECT_NEAR(s.gflops, 2.0 * 16 * 16 * 16 / s.median_seconds / 1e9, 1e-9 * s.gflops);
  }
  EXPECT_THROW(measure_matmul(torch::kCPU, torch::kFloat, 8, 0), std::invalid_argument);
}
