// decode/row_topk.h: the one-pass row top-k of beam search against Tensor::topk, on rows with
// and without -inf and NaN entries, k from 1 to the row length, and its argument errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "decode/row_topk.h"

namespace {

using tinynmt::decode::detail::row_topk;
constexpr float kInf = std::numeric_limits<float>::infinity();

void expect_same_as_torch(const torch::Tensor& x, int64_t k) {
  auto [v, i] = row_topk(x, k);
  auto ref = x.topk(k, 1, true, true);
  ASSERT_EQ(v.sizes(), std::get<0>(ref).sizes());
  EXPECT_TRUE(torch::equal(v, std::get<0>(ref))) << "k=" << k;
  EXPECT_TRUE(torch::equal(i, std::get<1>(ref))) << "k=" << k;
}

TEST(RowTopK, MatchesTensorTopkOnRandomRows) {
  torch::manual_seed(3);
  // Lengths around the 16-entry blocks: shorter than a block, exact multiples, a tail.
  for (int64_t n : {1, 7, 16, 33, 8000})
    for (int64_t k : {1, 2, 10, 16})
      if (k <= n) expect_same_as_torch(torch::randn({37, n}), k);
}

TEST(RowTopK, AscendingRowsInsertEveryEntry) {
  // Every entry beats the running threshold: the insertion path, not the skipped blocks.
  auto x = torch::arange(0, 200, torch::kFloat).repeat({3, 1});  // [3, 200]
  auto [v, i] = row_topk(x, 10);
  EXPECT_TRUE(torch::equal(i[0], torch::arange(199, 189, -1, torch::kLong)));
  EXPECT_TRUE(torch::equal(v, std::get<0>(x.topk(10, 1))));
}

TEST(RowTopK, InfinitiesAndNanNeverBeatFiniteEntries) {
  auto x = torch::full({2, 40}, -kInf);
  x[0][5] = 1.0;
  x[0][30] = 2.0;
  x[0][7] = std::nanf("");
  x[1][3] = std::nanf("");  // a row of -inf and one NaN
  auto [v, i] = row_topk(x, 4);
  // Finite entries first, then the -inf entries by index; NaN is never taken while -inf are left.
  EXPECT_EQ(i[0][0].item<int64_t>(), 30);
  EXPECT_EQ(i[0][1].item<int64_t>(), 5);
  EXPECT_EQ(i[0][2].item<int64_t>(), 0);
  EXPECT_EQ(i[0][3].item<int64_t>(), 1);
  EXPECT_EQ(v[0][2].item<float>(), -kInf);
  EXPECT_EQ(i[1][0].item<int64_t>(), 0);
  // Fewer non-NaN entries than k: the NaN entry fills the last place.
  auto y = torch::full({1, 3}, -kInf);
  y[0][1] = std::nanf("");
  auto [vy, iy] = row_topk(y, 3);
  EXPECT_EQ(iy[0][2].item<int64_t>(), 1);
  EXPECT_TRUE(std::isnan(vy[0][2].item<float>()));
}

TEST(RowTopK, OtherLayoutsAndTypesGoThroughTensorTopk) {
  torch::manual_seed(4);
  auto x = torch::randn({50, 20}).t();  // [20, 50], not contiguous
  expect_same_as_torch(x, 5);
  expect_same_as_torch(torch::randn({4, 30}, torch::kDouble), 3);
}

TEST(RowTopK, RefusesBadArguments) {
  EXPECT_THROW(row_topk(torch::randn({10}), 1), std::invalid_argument);
  EXPECT_THROW(row_topk(torch::randn({2, 10}), 0), std::invalid_argument);
  EXPECT_THROW(row_topk(torch::randn({2, 10}), 11), std::invalid_argument);
}

}  // namespace
