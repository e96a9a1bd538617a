// Ancestral sampling (src/decode/search.h sample_search, sampling_log_probs): top-k 1 is greedy,
// draws follow the tempered softmax (chi-square), top-p never leaves the nucleus, a seed
// reproduces its output, and the attention of a sample is the forced-decoding attention.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "decode/forced_decode.h"
#include "decode/search.h"
#include "decode_test_models.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "tiny_configs.h"

namespace tinynmt::decode {
namespace {

constexpr int64_t kVocab = 12;
constexpr int64_t kTableVocab = 8;

std::vector<std::vector<int64_t>> sentences() {
  return {{5, 6, 7, kEosId}, {8, 4, 9, 10, 11, 5, kEosId}, {4, kEosId}, {6, 6, 7, 5, kEosId}};
}

std::shared_ptr<Seq2SeqImpl> random_transformer() {
  torch::manual_seed(21);
  auto model = make_seq2seq(test_configs::tiny_transformer(16, 32, 2, 2), kVocab, kVocab);
  model->eval();
  return model;
}

// A table model with one variant whose first-step distribution (after BOS) is fixed.
TableModelImpl first_step_model() {
  auto logits = torch::zeros({1, 1, kTableVocab, kTableVocab});
  logits[0][0][kBosId] =
      torch::tensor({0.3, -0.2, 0.1, 0.6, 1.0, -0.4, 0.2, 0.8});  // PAD, UNK, BOS, EOS, 4..7
  return TableModelImpl(logits);
}

// The model's first-step log-probs with PAD and BOS banned, as the search sees them: [V].
torch::Tensor first_step_log_probs(TableModelImpl& model) {
  auto [src, mask] = make_src({{4}});
  DecoderState st = model.init_state(model.encode(src, mask));
  auto lp = model.decode_step(torch::full({1}, kBosId, torch::kLong), st).log_probs[0].clone();
  lp[kPadId] = -INFINITY;
  lp[kBosId] = -INFINITY;
  return lp;
}

// First tokens of `n` identical one-token sentences, each cut at one output token.
std::vector<int64_t> first_tokens(TableModelImpl& model, int64_t n, const SamplingOptions& o) {
  auto src = torch::full({n, 1}, 4, torch::kLong);
  auto hyps = sample_search(model, src, src.ne(kPadId), std::vector<int64_t>(n, 1), o);
  std::vector<int64_t> out;
  for (const auto& h : hyps) out.push_back(h.tokens.at(0));
  return out;
}

TEST(Sampling, TopK1EqualsGreedy) {
  auto model = random_transformer();
  auto [src, mask] = make_src(sentences(), /*extra_pad=*/1);
  auto max_lens = max_target_lengths(source_lengths(mask), 1.5, 10);
  auto greedy = greedy_search(*model, src, mask, max_lens, true, 0.6);
  SamplingOptions o;
  o.top_k = 1;
  o.temperature = 1.7;  // does not change the arg-max
  o.seed = 5;
  auto sampled = sample_search(*model, src, mask, max_lens, o, true, 0.6);
  ASSERT_EQ(sampled.size(), greedy.size());
  for (size_t b = 0; b < greedy.size(); ++b) {
    EXPECT_EQ(sampled[b].tokens, greedy[b].tokens) << "sentence " << b;
    EXPECT_EQ(sampled[b].score, greedy[b].score);
    EXPECT_EQ(sampled[b].normalized_score, greedy[b].normalized_score);
    EXPECT_TRUE(torch::equal(sampled[b].attention, greedy[b].attention));
  }
}

TEST(Sampling, FirstTokenFollowsTheTemperedSoftmax) {
  TableModelImpl model = first_step_model();
  SamplingOptions o;
  o.temperature = 0.7;
  o.seed = 11;
  const int64_t n = 10000;
  auto draws = first_tokens(model, n, o);
  auto p = torch::softmax(first_step_log_probs(model) / o.temperature, 0);  // [V]
  std::vector<double> count(kTableVocab, 0.0);
  for (int64_t t : draws) count.at(t) += 1;
  double chi2 = 0.0;
  int64_t cells = 0;
  for (int64_t v = 0; v < kTableVocab; ++v) {
    const double expected = n * p[v].item<double>();
    if (expected == 0) {
      EXPECT_EQ(count[v], 0) << "token " << v << " has probability 0";
      continue;
    }
    ASSERT_GE(expected, 5.0);  // the chi-square approximation holds
    chi2 += (count[v] - expected) * (count[v] - expected) / expected;
    ++cells;
  }
  ASSERT_EQ(cells, 6);  // PAD and BOS banned
  // Upper 0.001 point of the chi-square distribution with 6 - 1 = 5 degrees of freedom.
  EXPECT_LT(chi2, 20.515);
  // At temperature 1 the same draws would be far off: the test sees the temperature.
  auto p1 = torch::softmax(first_step_log_probs(model), 0);
  double chi2_t1 = 0.0;
  for (int64_t v = 0; v < kTableVocab; ++v) {
    const double expected = n * p1[v].item<double>();
    if (expected > 0) chi2_t1 += (count[v] - expected) * (count[v] - expected) / expected;
  }
  EXPECT_GT(chi2_t1, 20.515);
}

TEST(Sampling, TopPDrawsOnlyFromTheNucleusAndTopKFromTheKBest) {
  TableModelImpl model = first_step_model();
  auto lp = first_step_log_probs(model);
  auto p = torch::softmax(lp, 0);
  std::vector<int64_t> order(kTableVocab);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return p[a].item<double>() > p[b].item<double>(); });
  SamplingOptions o;
  o.top_p = 0.5;
  o.seed = 3;
  std::vector<int64_t> nucleus;  // smallest prefix of the sorted tokens holding >= top_p
  double mass = 0.0;
  for (int64_t v : order) {
    if (mass >= o.top_p) break;
    nucleus.push_back(v);
    mass += p[v].item<double>();
  }
  ASSERT_GE(nucleus.size(), 2u);
  ASSERT_LT(nucleus.size(), 6u);
  auto kept = sampling_log_probs(lp.unsqueeze(0), o)[0];
  for (int64_t v = 0; v < kTableVocab; ++v) {
    const bool in = std::count(nucleus.begin(), nucleus.end(), v) > 0;
    EXPECT_EQ(std::isfinite(kept[v].item<double>()), in) << "token " << v;
  }
  std::vector<int64_t> seen(kTableVocab, 0);
  for (int64_t t : first_tokens(model, 5000, o)) seen.at(t) += 1;
  for (int64_t v = 0; v < kTableVocab; ++v) {
    const bool in = std::count(nucleus.begin(), nucleus.end(), v) > 0;
    if (in)
      EXPECT_GT(seen[v], 0) << "nucleus token " << v << " never drawn";
    else
      EXPECT_EQ(seen[v], 0) << "token " << v << " outside the nucleus drawn";
  }
  SamplingOptions k;
  k.top_k = 2;
  std::vector<int64_t> seen_k(kTableVocab, 0);
  for (int64_t t : first_tokens(model, 2000, k)) seen_k.at(t) += 1;
  for (size_t i = 0; i < order.size(); ++i)
    if (i < 2)
      EXPECT_GT(seen_k[order[i]], 0);
    else
      EXPECT_EQ(seen_k[order[i]], 0) << "token " << order[i] << " outside the top 2 drawn";
}

TEST(Sampling, TheSeedReproducesTheOutput) {
  auto model = random_transformer();
  auto [src, mask] = make_src(sentences());
  SearchOptions so;
  so.strategy = SearchStrategy::kSample;
  so.sampling.temperature = 1.5;
  so.sampling.seed = 1;
  auto a = search(*model, src, mask, so);
  auto b = search(*model, src, mask, so);
  so.sampling.seed = 2;
  auto c = search(*model, src, mask, so);
  int64_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].size(), 1u);
    EXPECT_EQ(a[i][0].tokens, b[i][0].tokens);
    EXPECT_EQ(a[i][0].score, b[i][0].score);
    if (a[i][0].tokens != c[i][0].tokens) ++differ;
  }
  EXPECT_GT(differ, 0) << "seeds 1 and 2 gave the same samples";
}

TEST(Sampling, AttentionIsTheForcedDecodingAttentionOfTheSample) {
  auto model = random_transformer();
  auto sents = sentences();
  auto [src, mask] = make_src(sents, /*extra_pad=*/2);
  SamplingOptions o;
  o.seed = 7;
  o.temperature = 1.3;
  auto hyps =
      sample_search(*model, src, mask, max_target_lengths(source_lengths(mask), 1.5), o, true);
  for (size_t b = 0; b < sents.size(); ++b) {
    auto [s1, m1] = make_src({sents[b]});
    auto [tin, tout] = teacher_forcing_batch({hyps[b].tokens}, torch::kCPU);
    auto forced = forced_decode(*model, s1, m1, tin, tout);
    ASSERT_EQ(hyps[b].attention.sizes(), forced[0].attention.sizes()) << "sentence " << b;
    EXPECT_TRUE(torch::allclose(hyps[b].attention, forced[0].attention, 1e-4, 1e-5));
    EXPECT_NEAR(hyps[b].score, forced[0].score, 1e-3);
  }
}

TEST(Sampling, RejectsBadOptions) {
  auto lp = torch::log_softmax(torch::randn({2, 5}), 1);
  SamplingOptions o;
  o.temperature = 0;
  EXPECT_THROW(sampling_log_probs(lp, o), std::invalid_argument);
  o = {};
  o.top_k = -1;
  EXPECT_THROW(sampling_log_probs(lp, o), std::invalid_argument);
  o = {};
  o.top_p = 0;
  EXPECT_THROW(sampling_log_probs(lp, o), std::invalid_argument);
  o.top_p = 1.5;
  EXPECT_THROW(sampling_log_probs(lp, o), std::invalid_argument);
  TinyAttnModelImpl model(kVocab, kVocab, 1);
  auto [src, mask] = make_src(sentences());
  SearchOptions so;
  so.strategy = SearchStrategy::kSample;
  so.beam = 4;
  so.n_best = 2;  // sampling gives one hypothesis
  EXPECT_THROW(search(model, src, mask, so), std::invalid_argument);
}

}  // namespace
}  // namespace tinynmt::decode
