// Forced (teacher-forced) decoding (src/decode/forced_decode.h): it agrees with step-by-step
// decoding, handles empty sides, and appends an extra attention (models/extra_attention.h) as the
// last layer.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "decode/forced_decode.h"
#include "decode_test_models.h"
#include "models/extra_attention.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "tiny_configs.h"

namespace tinynmt::decode {
namespace {

constexpr int64_t kVocab = 12;

TEST(ForcedDecode, EqualsStepByStepDecoding) {
  TinyAttnModelImpl model(kVocab, kVocab, 3);
  std::vector<std::vector<int64_t>> sents = {{5, 6, 7, kEosId}, {8, 4, kEosId}};
  std::vector<std::vector<int64_t>> tgts = {{9, 10, kEosId}, {4, 4, 11, 6, kEosId}};
  auto [src, mask] = make_src(sents, /*extra_pad=*/1);
  auto [tin, tout] = teacher_forcing_batch(tgts, torch::kCPU);
  auto forced = forced_decode(model, src, mask, tin, tout);
  ASSERT_EQ(forced.size(), 2u);
  for (size_t b = 0; b < sents.size(); ++b) {
    auto [s1, m1] = make_src({sents[b]});
    DecoderState st = model.init_state(model.encode(s1, m1));
    auto prev = torch::full({1}, kBosId, torch::kLong);
    double score = 0.0;
    ASSERT_EQ(forced[b].token_log_probs.size(), tgts[b].size());
    ASSERT_EQ(forced[b].attention.sizes(),
              (std::vector<int64_t>{2, 2, static_cast<int64_t>(tgts[b].size()),
                                    static_cast<int64_t>(sents[b].size())}));
    for (size_t t = 0; t < tgts[b].size(); ++t) {
      StepOutput o = model.decode_step(prev, st);
      const double lp = o.log_probs[0][tgts[b][t]].item<double>();
      EXPECT_NEAR(forced[b].token_log_probs[t], lp, 1e-5) << "sentence " << b << " step " << t;
      auto att = o.attention[0];                                        // [layers, heads, src_len]
      auto f = forced[b].attention.select(2, static_cast<int64_t>(t));  // [layers, heads, src]
      EXPECT_TRUE(torch::allclose(att, f, 0, 1e-5));
      score += lp;
      prev = torch::full({1}, tgts[b][t], torch::kLong);
    }
    EXPECT_NEAR(forced[b].score, score, 1e-4);
  }
}

TEST(ForcedDecode, EmptySourceGivesMinusInfinityAndZeroAttention) {
  TinyAttnModelImpl model(kVocab, kVocab, 4);
  auto [src, mask] = make_src({{5, 6, kEosId}, {}});
  auto [tin, tout] = teacher_forcing_batch({{7, kEosId}, {8, 9, kEosId}}, torch::kCPU);
  auto forced = forced_decode(model, src, mask, tin, tout);
  EXPECT_TRUE(std::isfinite(forced[0].score));
  EXPECT_EQ(forced[1].score, -INFINITY);
  EXPECT_EQ(forced[1].attention.sizes(), (std::vector<int64_t>{2, 2, 3, 0}));
}

TEST(ForcedDecode, TeacherForcingBatchShiftsAndPads) {
  auto [tin, tout] = teacher_forcing_batch({{7, kEosId}, {8, 9, 10, kEosId}}, torch::kCPU);
  auto ids = [](std::vector<int64_t> v) { return torch::tensor(v).view({2, 4}); };
  EXPECT_TRUE(torch::equal(tin, ids({kBosId, 7, kPadId, kPadId, kBosId, 8, 9, 10})));
  EXPECT_TRUE(torch::equal(tout, ids({7, kEosId, kPadId, kPadId, 8, 9, 10, kEosId})));
  EXPECT_THROW(teacher_forcing_batch({{}}, torch::kCPU), std::invalid_argument);
}

// An extra attention that puts all weight on the first source position.
class FirstPositionAttention : public ExtraAttention {
 public:
  torch::Tensor extra_weights(Seq2SeqImpl& /*model*/, const torch::Tensor& src,
                              const Seq2SeqOutput& fw) override {
    calls += 1;
    auto w = torch::zeros({src.size(0), fw.features.size(1), src.size(1)});  // [B, T, S]
    w.select(2, 0).fill_(1.0);
    return w;
  }
  int calls = 0;
};

TEST(ForcedDecode, ExtraAttentionIsTheLastLayerWithItsHeadRepeated) {
  torch::manual_seed(9);
  auto model = make_seq2seq(test_configs::tiny_transformer(8, 16, 2, 2), kVocab, kVocab);
  model->eval();
  auto [src, mask] = make_src({{5, 6, 7, kEosId}, {8, kEosId}});
  auto [tin, tout] = teacher_forcing_batch({{9, 10, kEosId}, {4, kEosId}}, torch::kCPU);
  FirstPositionAttention extra;
  auto plain = forced_decode(*model, src, mask, tin, tout);
  auto with = forced_decode(*model, src, mask, tin, tout, {&extra});
  EXPECT_EQ(extra.calls, 1);
  for (size_t b = 0; b < plain.size(); ++b) {
    const auto& p = plain[b].attention;  // [L, H, T, S]
    const auto& w = with[b].attention;   // [L + 1, H, T, S]
    ASSERT_EQ(w.size(0), p.size(0) + 1);
    EXPECT_TRUE(torch::allclose(w.narrow(0, 0, p.size(0)), p, 0, 1e-6));
    auto last = w[p.size(0)];  // [H, T, S]
    EXPECT_TRUE(torch::equal(last.select(2, 0), torch::ones({p.size(1), p.size(2)})));
    EXPECT_EQ(last.sum().item<double>(), static_cast<double>(p.size(1) * p.size(2)));
    EXPECT_NEAR(with[b].score, plain[b].score, 1e-5);  // the logits are the model's own
  }
}

}  // namespace
}  // namespace tinynmt::decode
