// DecoderState (models/seq2seq.h): per-row tensors reorder at every call, per-sentence constants
// and cross-attention caches only when asked, and a packed K|V cache stays packed.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "models/attention/attention.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "tiny_configs.h"

namespace tinynmt {
namespace {

// A multi-head cache as MultiHeadAttention::precompute builds it: keys and values are head views
// [batch, heads, src, d_k] of one packed [batch, src, 2·d] buffer.
AttentionCache packed_cache(int64_t batch, int64_t src, int64_t heads, int64_t d_k) {
  const int64_t d = heads * d_k;
  auto kv = torch::randn({batch, src, 2 * d});  // K | V
  auto split = [&](const torch::Tensor& x) {
    return x.view({batch, src, heads, d_k}).transpose(1, 2);  // [batch, heads, src, d_k]
  };
  return {split(kv.narrow(-1, 0, d)), split(kv.narrow(-1, d, d)), kv};
}

TEST(DecoderState, SelectKeepsThePackedBufferAndItsViews) {
  torch::manual_seed(1);
  auto cache = packed_cache(3, 4, 2, 5);
  auto keys0 = cache.keys.clone(), values0 = cache.values.clone();
  auto idx = torch::tensor(std::vector<int64_t>{2, 0, 2, 1}, torch::kLong);
  auto out = select_cache_rows(cache, idx);
  ASSERT_TRUE(out.packed.defined());
  EXPECT_EQ(out.packed.sizes(), (std::vector<int64_t>{4, 4, 20}));
  EXPECT_TRUE(out.keys.is_alias_of(out.packed));
  EXPECT_TRUE(out.values.is_alias_of(out.packed));
  // The multi-head module's packed path test: values start d columns after keys.
  EXPECT_EQ(out.keys.data_ptr(), out.packed.data_ptr());
  EXPECT_EQ(out.values.data_ptr<float>(), out.packed.data_ptr<float>() + 10);
  EXPECT_TRUE(torch::equal(out.keys, keys0.index_select(0, idx)));
  EXPECT_TRUE(torch::equal(out.values, values0.index_select(0, idx)));
  EXPECT_TRUE(torch::equal(out.packed, cache.packed.index_select(0, idx)));
  // A cache without a packed buffer selects its tensors one by one.
  AttentionCache plain{keys0, values0};
  auto p = select_cache_rows(plain, idx);
  EXPECT_FALSE(p.packed.defined());
  EXPECT_TRUE(torch::equal(p.keys, keys0.index_select(0, idx)));
}

TEST(DecoderState, ReorderMovesRowsAlwaysAndConstantsOnlyWhenAsked) {
  torch::manual_seed(2);
  DecoderState s;
  s.rows["h"] = torch::arange(4).view({4, 1}).to(torch::kFloat);
  s.constants["mask"] = torch::arange(4).view({4, 1});
  s.caches.push_back(packed_cache(4, 3, 2, 2));
  auto cache0 = s.caches[0].packed;
  auto rows = torch::tensor(std::vector<int64_t>{1, 1, 3, 0}, torch::kLong);
  s.reorder(rows, {});
  EXPECT_TRUE(torch::equal(s.rows["h"].view({4}), torch::tensor({1.f, 1.f, 3.f, 0.f})));
  EXPECT_TRUE(torch::equal(s.constants["mask"].view({4}), torch::arange(4)));
  EXPECT_TRUE(s.caches[0].packed.is_same(cache0));  // untouched
  auto sentences = torch::tensor(std::vector<int64_t>{0, 0, 2, 2}, torch::kLong);
  s.reorder(rows, sentences);
  EXPECT_TRUE(torch::equal(s.rows["h"].view({4}), torch::tensor({1.f, 1.f, 0.f, 1.f})));
  EXPECT_TRUE(torch::equal(s.constants["mask"].view({4}), torch::tensor({0L, 0L, 2L, 2L})));
  EXPECT_TRUE(torch::equal(s.caches[0].packed, cache0.index_select(0, sentences)));
  EXPECT_TRUE(s.caches[0].keys.is_alias_of(s.caches[0].packed));
  s.select(torch::tensor(std::vector<int64_t>{3}, torch::kLong));
  EXPECT_EQ(s.rows["h"].size(0), 1);
  EXPECT_EQ(s.constants["mask"].item<int64_t>(), 2);
  EXPECT_EQ(s.caches[0].keys.size(0), 1);
}

TEST(DecoderState, TransformerStateHoldsPackedCrossAttentionCaches) {
  torch::manual_seed(3);
  auto model = make_seq2seq(test_configs::tiny_transformer(8, 16, 2, 2), 10, 10);
  model->eval();
  torch::NoGradGuard no_grad;
  auto src = torch::tensor(std::vector<int64_t>{4, 5, kEosId, 6, kEosId, kPadId}).view({2, 3});
  auto mask = src.ne(kPadId);
  DecoderState s = model->init_state(model->encode(src, mask));
  ASSERT_EQ(s.caches.size(), 2u);  // one per layer
  for (const auto& c : s.caches) {
    ASSERT_TRUE(c.packed.defined());
    EXPECT_TRUE(c.keys.is_alias_of(c.packed));
  }
  EXPECT_TRUE(s.constants.count("mask"));
  // Decoding a beam-expanded state equals decoding the expanded batch from scratch.
  auto idx = torch::tensor(std::vector<int64_t>{0, 0, 1, 1}, torch::kLong);
  auto bos = torch::full({4}, kBosId, torch::kLong);
  s.select(idx);
  auto a = model->decode_step(bos, s);
  DecoderState fresh =
      model->init_state(model->encode(src.index_select(0, idx), mask.index_select(0, idx)));
  auto b = model->decode_step(bos, fresh);
  EXPECT_TRUE(torch::allclose(a.log_probs, b.log_probs, 0, 1e-6));
  EXPECT_TRUE(torch::allclose(a.attention, b.attention, 0, 1e-6));
}

}  // namespace
}  // namespace tinynmt
