// A machine's own matrix-product peak, the reference `tinynmt bench` sets training speed
// against: GFLOP/s of an n×n product (2·n³ FLOPs), the median of timed products after warm-up.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "bench/report.h"

namespace tinynmt::bench {

/// Median of `v` (mean of the two middle values for an even count); 0 for an empty vector.
double median(std::vector<double> v);

/// GFLOP/s of an n×n product of `dtype` (kFloat or kBFloat16) on `device`: `warmup` untimed
/// products, then the median of `repeats` timed ones, each timed to the device's completion
/// (CUDA is synchronised around it). Float32 products on CUDA use full fp32 (LibTorch's
/// default: no TF32). Throws std::invalid_argument if n < 1 or repeats < 1.
SgemmFigures measure_matmul(const torch::Device& device, torch::ScalarType dtype, int64_t n,
                            int64_t repeats, int64_t warmup = 3);

/// GFLOP/s of an n×n float32 product on the CPU (measure_matmul on the CPU).
/// Throws std::invalid_argument if n < 1 or repeats < 1.
SgemmFigures measure_sgemm(int64_t n, int64_t repeats, int64_t warmup = 3);

}  // namespace tinynmt::bench
