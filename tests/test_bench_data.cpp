// The bench's synthetic corpus (bench/bench_data.h).
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "bench/bench_data.h"
#include "models/special_ids.h"

using namespace tinynmt;
using namespace tinynmt::bench;

TEST(BenchSynthetic, LengthsIdsAndDeterminism) {
  auto c = synthetic_corpus(4000, 100, 7, 0);
  ASSERT_EQ(c.size(), 4000u);
  double sum = 0, sq = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    ASSERT_GE(c.src[i].size(), 2u);
    ASSERT_EQ(c.src[i].back(), kEosId);
    for (size_t k = 0; k + 1 < c.src[i].size(); ++k)
      ASSERT_TRUE(c.src[i][k] > kEosId && c.src[i][k] < 100);
    ASSERT_GE(c.tgt[i].size(), 1u);
    for (auto id : c.tgt[i]) ASSERT_TRUE(id > kEosId && id < 100);
    const double n = static_cast<double>(c.src[i].size() - 1);
    sum += n;
    sq += n * n;
  }
  const double mean = sum / c.size(), sd = std::sqrt(sq / c.size() - mean * mean);
  EXPECT_NEAR(mean, kSyntheticMeanWords * kSyntheticPiecesPerWord, 0.4);
  EXPECT_NEAR(sd, kSyntheticSdWords * kSyntheticPiecesPerWord, 0.4);
  auto again = synthetic_corpus(4000, 100, 7, 0);
  EXPECT_EQ(again.src, c.src);
  EXPECT_EQ(again.tgt, c.tgt);
  auto capped = synthetic_corpus(4000, 100, 7, 12);
  EXPECT_GT(capped.dropped_long, 0);
  EXPECT_EQ(capped.size() + capped.dropped_long, 4000u);
  for (size_t i = 0; i < capped.size(); ++i) {
    EXPECT_LE(capped.src[i].size(), 13u);
    EXPECT_LE(capped.tgt[i].size(), 12u);
  }
  EXPECT_THROW(synthetic_corpus(10, 4, 1, 0), std::invalid_argument);
}
