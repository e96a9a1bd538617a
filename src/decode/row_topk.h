// The k largest entries of every row of a float32 CPU matrix, for beam search's first stage
// (decode/beam.cpp): one pass over each row with a running threshold, rows split across
// ATen's threads. Internal to src/decode/.
//
// Tensor::topk sorts (value, index) pairs of the whole row (a copy of 8k pairs a row at a
// vocabulary of 8k); a beam of 5 wants 10 of them. Same result as
// x.topk(k, 1, /*largest=*/true, /*sorted=*/true) where the row has no ties among its k largest;
// ties keep the lower index first. NaN entries are taken only when a row has fewer than k entries
// that are not NaN (so every index stays valid; beam search then drops those candidates).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace tinynmt::decode::detail {

/// x: [rows, n]. Returns {values [rows, k] (x's dtype), indices [rows, k] int64}, each row sorted
/// largest first. A float32 contiguous CPU x takes the one-pass path, anything else
/// Tensor::topk. Throws std::invalid_argument unless x is 2-D and 1 <= k <= n.
std::pair<torch::Tensor, torch::Tensor> row_topk(const torch::Tensor& x, int64_t k);

}  // namespace tinynmt::decode::detail
