// The FLOP count of a matrix product, shared by the per-type attention FLOP formulas
// (models/attention/registry.h) and `tinynmt bench` (src/bench/flops.h).
#pragma once

#include <cstdint>

namespace tinynmt {

/// FLOPs of an [m, k] × [k, n] float product: 2·m·k·n (one multiply and one add per term).
inline double matmul_flops(int64_t m, int64_t k, int64_t n) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n);
}

}  // namespace tinynmt
