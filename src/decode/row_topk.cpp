#include "decode/row_topk.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "decode/search_parts.h"

namespace tinynmt::decode::detail {
namespace {

// Entries are read in blocks of this many: a block's maximum (a loop the compiler vectorises)
// is compared with the threshold, and only a block that beats it is read entry by entry.
constexpr int64_t kBlock = 16;

// Inserts (v, j) into the sorted-descending top list of size k (v beats its last entry).
void insert(float* val, int64_t* idx, int64_t k, float v, int64_t j) {
  int64_t p = k - 1;
  while (p > 0 && val[p - 1] < v) {
    val[p] = val[p - 1];
    idx[p] = idx[p - 1];
    --p;
  }
  val[p] = v;
  idx[p] = j;
}

// The k largest of row[0..n): the top list starts at -inf entries with index -1, which any
// number beats; -inf entries of the row are then taken in index order for what is left.
void one_row(const float* row, int64_t n, int64_t k, float* val, int64_t* idx) {
  constexpr float kLow = -std::numeric_limits<float>::infinity();
  std::fill(val, val + k, kLow);
  std::fill(idx, idx + k, int64_t{-1});
  auto take = [&](int64_t j) {
    if (row[j] > val[k - 1]) insert(val, idx, k, row[j], j);
  };
  int64_t j = 0;
  for (; j + kBlock <= n; j += kBlock) {
    float m = kLow;
    for (int64_t i = 0; i < kBlock; ++i) m = row[j + i] > m ? row[j + i] : m;  // skips NaN
    if (m > val[k - 1])
      for (int64_t i = 0; i < kBlock; ++i) take(j + i);
  }
  for (; j < n; ++j) take(j);
  // Fewer than k entries above -inf: fill the rest with the -inf entries, then the NaN ones,
  // lowest index first.
  int64_t filled = std::find(idx, idx + k, int64_t{-1}) - idx;
  for (int64_t i = 0; i < n && filled < k; ++i)
    if (row[i] == kLow) {
      val[filled] = kLow;
      idx[filled++] = i;
    }
  for (int64_t i = 0; i < n && filled < k; ++i)
    if (std::isnan(row[i])) {
      val[filled] = row[i];
      idx[filled++] = i;
    }
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> row_topk(const torch::Tensor& x, int64_t k) {
  if (x.dim() != 2) fail(fmt::format("row_topk: x must be [rows, n], got {} dims", x.dim()));
  const int64_t rows = x.size(0), n = x.size(1);
  if (k < 1 || k > n) fail(fmt::format("row_topk: k must be in [1, {}], got {}", n, k));
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat || !x.is_contiguous()) {
    auto top = x.topk(k, 1, /*largest=*/true, /*sorted=*/true);
    return {std::get<0>(top), std::get<1>(top)};
  }
  auto values = torch::empty({rows, k}, x.options());                       // [rows, k]
  auto indices = torch::empty({rows, k}, x.options().dtype(torch::kLong));  // [rows, k]
  const float* in = x.data_ptr<float>();
  float* val = values.data_ptr<float>();
  int64_t* idx = indices.data_ptr<int64_t>();
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) one_row(in + r * n, n, k, val + r * k, idx + r * k);
  });
  return {values, indices};
}

}  // namespace tinynmt::decode::detail
