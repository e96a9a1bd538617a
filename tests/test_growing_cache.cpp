// models/seq2seq.h GrowingCache: the decoding step's self-attention cache holds what
// concatenating every step's keys and values and reordering the result would, across the
// capacity doublings, on the CPU path (memcpy per row and head) and the index_select path.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <vector>

#include "models/seq2seq.h"

namespace {

using tinynmt::AttentionCache;
using tinynmt::GrowingCache;

// 40 steps of appends (two doublings past the first 16 positions), with a beam-like reorder
// (rows moved and duplicated) every third step. With `contiguous` = false, after each append the
// test swaps the cache's own buffers for non-contiguous copies (same values, heads-major layout),
// so that select() takes its index_select path. Compares with the plain cat + index_select cache.
void check_against_cat(bool contiguous) {
  torch::manual_seed(11);
  const int64_t rows = 4, heads = 2, d = 3;
  GrowingCache g;
  torch::Tensor ref_k, ref_v;
  const auto perm = torch::tensor(std::vector<int64_t>{3, 3, 0, 1}, torch::kLong);
  for (int64_t t = 0; t < 40; ++t) {
    const int64_t n = t == 0 ? 2 : 1;  // the first append brings two positions
    auto k = torch::randn({rows, heads, n, d}), v = torch::randn({rows, heads, n, d});
    ref_k = ref_k.defined() ? torch::cat({ref_k, k}, 2) : k;
    ref_v = ref_v.defined() ? torch::cat({ref_v, v}, 2) : v;
    g.append({k, v});
    if (!contiguous) {  // a non-contiguous buffer takes the index_select path of select()
      g.keys = g.keys.transpose(0, 1).contiguous().transpose(0, 1);
      g.values = g.values.transpose(0, 1).contiguous().transpose(0, 1);
    }
    if (t % 3 == 2) {
      g.select(perm);
      ref_k = ref_k.index_select(0, perm);
      ref_v = ref_v.index_select(0, perm);
    }
    ASSERT_EQ(g.length, ref_k.size(2));
    auto valid = g.valid();
    ASSERT_TRUE(torch::equal(valid.keys, ref_k)) << "step " << t;
    ASSERT_TRUE(torch::equal(valid.values, ref_v)) << "step " << t;
  }
  EXPECT_GE(g.keys.size(2), 41);  // it grew past its first capacity
}

TEST(GrowingCache, HoldsWhatCatAndReorderWouldAcrossDoublings) { check_against_cat(true); }

TEST(GrowingCache, NonContiguousBuffersGoThroughIndexSelect) { check_against_cat(false); }

TEST(GrowingCache, SelectCanExpandRowsAndEmptyCachesStayEmpty) {
  GrowingCache g;
  g.select(torch::tensor(std::vector<int64_t>{0, 0}, torch::kLong));  // nothing to select yet
  EXPECT_TRUE(g.empty());
  EXPECT_FALSE(g.valid().defined());
  g.append({torch::ones({1, 2, 1, 3}), torch::zeros({1, 2, 1, 3})});
  g.select(torch::tensor(std::vector<int64_t>{0, 0, 0}, torch::kLong));  // one sentence, 3 beams
  EXPECT_EQ(g.valid().keys.sizes(), (std::vector<int64_t>{3, 2, 1, 3}));
  EXPECT_EQ(g.valid().keys.sum().item<float>(), 18.0f);
}

TEST(GrowingCache, RefusesBadRowsAndShapes) {
  GrowingCache g;
  g.append({torch::ones({2, 2, 1, 3}), torch::ones({2, 2, 1, 3})});
  EXPECT_THROW(g.select(torch::tensor(std::vector<int64_t>{0, 2}, torch::kLong)),
               std::out_of_range);
  EXPECT_THROW(g.select(torch::tensor(std::vector<int64_t>{-1}, torch::kLong)), std::out_of_range);
  EXPECT_THROW(g.append({torch::ones({3, 2, 1, 3}), torch::ones({3, 2, 1, 3})}),
               std::invalid_argument);  // other rows
  EXPECT_THROW(g.append({torch::ones({2, 2, 1, 3}), torch::ones({2, 2, 1, 4})}),
               std::invalid_argument);  // keys and values differ
  EXPECT_THROW(g.append({torch::ones({2, 2, 3}), torch::ones({2, 2, 3})}), std::invalid_argument);
  EXPECT_EQ(g.length, 1);  // a refused append changes nothing
}

}  // namespace
