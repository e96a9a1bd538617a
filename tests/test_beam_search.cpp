// Beam search on the real networks (Transformer and RNN decoders with their attention types):
// - incremental decoding under beam reordering scores every returned hypothesis exactly as a full
//   teacher-forced pass of that hypothesis does (random weights, hypotheses finishing at
//   different steps);
// - on a near-deterministic copy model trained in the test, beam K in {2, 5} returns greedy's
//   output and score whenever greedy's per-step probabilities are all above 0.99.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "decode/forced_decode.h"
#include "decode/search.h"
#include "decode_test_models.h"
#include "models/model_config.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "synthetic_tasks.h"
#include "tiny_configs.h"

namespace tinynmt::decode {
namespace {

constexpr int64_t kRandomVocab = 14;  // 0-3 special, 4..13 symbols

std::pair<torch::Tensor, torch::Tensor> pad_batch(const std::vector<std::vector<int64_t>>& sents) {
  size_t width = 1;
  for (const auto& s : sents) width = std::max(width, s.size());
  auto src = torch::full({static_cast<int64_t>(sents.size()), static_cast<int64_t>(width)}, kPadId,
                         torch::kLong);
  for (size_t i = 0; i < sents.size(); ++i)
    for (size_t j = 0; j < sents[i].size(); ++j) src[i][j] = sents[i][j];
  return {src, src.ne(kPadId)};
}

struct NamedConfig {
  std::string name;
  ModelConfig cfg;
};

NamedConfig transformer_with(const std::string& attention, const std::string& norm) {
  auto m = test_configs::tiny_transformer(16, 32, 2, 4);
  m.decoder.attention = attention;
  m.encoder.norm = m.decoder.norm = norm;
  if (attention != "multihead") m.decoder.heads = 4;  // self-attention heads
  std::string name = "transformer_" + attention + "_" + norm;
  for (auto& c : name)
    if (c == '-') c = '_';
  return {name, m};
}

NamedConfig rnn_with(const std::string& rnn, const std::string& attention, bool feeding) {
  std::string name = rnn + "_" + attention + (feeding ? "_feeding" : "");
  for (auto& c : name)
    if (c == '-') c = '_';
  return {name, test_configs::tiny_rnn(rnn, attention, feeding)};
}

std::vector<NamedConfig> decoder_configs() {
  return {transformer_with("multihead", "post"), transformer_with("multihead", "pre"),
          transformer_with("bahdanau", "pre"),   transformer_with("local-p", "post"),
          rnn_with("gru", "bahdanau", false),    rnn_with("lstm", "luong-general", true),
          rnn_with("gru", "luong-concat", true), rnn_with("lstm", "local-m", true)};
}

class BeamOnModels : public ::testing::TestWithParam<NamedConfig> {};

// Every returned hypothesis, re-scored by one teacher-forced forward pass of its tokens, has the
// score beam search gave it. Random weights make every row's state matter: a row that reads
// another row's cache after a reorder scores differently.
TEST_P(BeamOnModels, HypothesisScoresEqualFullForwardPass) {
  torch::manual_seed(7);
  torch::set_num_threads(1);
  auto model = make_seq2seq(GetParam().cfg, kRandomVocab, kRandomVocab);
  model->eval();
  std::vector<std::vector<int64_t>> sents = {
      {4, 5, 6, 7, 8, 9, 2}, {9, 2}, {5, 5, 6, 11, 12, 13, 4, 8, 10, 2}, {12, 7, 2}};
  auto [src, mask] = pad_batch(sents);
  for (int64_t K : {2, 5}) {
    SearchOptions opt;
    opt.beam = K;
    opt.n_best = K;
    opt.alpha = 0.0;
    opt.max_lens = {9, 6, 12, 7};
    auto res = beam_search(*model, src, mask, opt);
    std::vector<std::vector<int64_t>> srcs, tgts;
    std::vector<const Hypothesis*> hyps;
    std::set<size_t> lengths;
    for (size_t b = 0; b < res.size(); ++b)
      for (const auto& h : res[b]) {
        srcs.push_back(sents[b]);
        tgts.push_back(h.tokens);
        hyps.push_back(&h);
        lengths.insert(h.tokens.size());
      }
    auto [fsrc, fmask] = pad_batch(srcs);
    auto [tin, tout] = teacher_forcing_batch(tgts, torch::kCPU);
    auto forced = forced_decode(*model, fsrc, fmask, tin, tout);
    ASSERT_EQ(forced.size(), hyps.size());
    for (size_t i = 0; i < hyps.size(); ++i)
      EXPECT_NEAR(forced[i].score, hyps[i]->score, 1e-4)
          << GetParam().name << " K=" << K << " hypothesis " << i << " of length "
          << tgts[i].size();
    // The check must cover hypotheses that finished at different steps.
    EXPECT_GE(lengths.size(), 2u) << GetParam().name << " K=" << K;
  }
}

INSTANTIATE_TEST_SUITE_P(Decoders, BeamOnModels, ::testing::ValuesIn(decoder_configs()),
                         [](const ::testing::TestParamInfo<NamedConfig>& i) {
                           return i.param.name;
                         });

// A hand-built near-deterministic model: after BOS or A it says A with p = 0.995 (EOS at the
// last step), and a beam that leaves for B (p = 0.004) ends at once (EOS, p = 0.999). Greedy's
// A...A EOS has every step above 0.99; each step also finishes one cheap off-path hypothesis
// before greedy's ends, the pattern of a copy that skips a piece.
TEST(BeamOnTableModel, EarlyFinishingBeamsDoNotEndTheSearch) {
  constexpr int64_t kA = 4, kB = 5, kV = 6, kLen = 8;
  auto table = torch::full({1, kLen, kV, kV}, 1e-9, torch::kDouble);  // probabilities
  auto set_row = [&](int64_t step, int64_t prev, double a, double b, double eos) {
    table[0][step][prev][kA] = a;
    table[0][step][prev][kB] = b;
    table[0][step][prev][kEosId] = eos;
  };
  for (int64_t t = 0; t < kLen; ++t) {
    const bool last = t == kLen - 1;
    for (int64_t prev : {kBosId, kA})
      set_row(t, prev, last ? 0.004 : 0.995, 0.001 + (!last) * 0.003, last ? 0.995 : 0.001);
    set_row(t, kB, 0.0005, 0.0005, 0.999);
  }
  TableModelImpl model(table.log().to(torch::kFloat));
  auto [src, mask] = make_src({{kA, kA, kEosId}, {kB, kEosId}});
  auto greedy = greedy_search(model, src, mask, 20);
  const std::vector<int64_t> want = {kA, kA, kA, kA, kA, kA, kA, kEosId};
  for (const auto& g : greedy) ASSERT_EQ(g.tokens, want);
  for (int64_t K : {2, 5}) {
    for (double alpha : {0.0, 0.6}) {
      SearchOptions opt;
      opt.beam = K;
      opt.alpha = alpha;
      opt.max_lens = {20, 20};
      auto beam = beam_search(model, src, mask, opt);
      for (size_t b = 0; b < beam.size(); ++b) {
        EXPECT_EQ(beam[b][0].tokens, want) << "K=" << K << " alpha=" << alpha;
        EXPECT_NEAR(beam[b][0].score, greedy[b].score, 1e-5) << "K=" << K << " alpha=" << alpha;
      }
    }
  }
}

struct CopyTask {
  std::string name;
  ModelConfig cfg;
  double lr;
  int64_t steps;
};

class BeamOnCopyModel : public ::testing::TestWithParam<CopyTask> {};

// A copy model trained here is near-deterministic on most test lines. Where greedy's every step
// has probability > 0.99, greedy's output is the best hypothesis by far (any other path pays at
// least log(0.01) = -4.6 at the step where it leaves), so beam K in {2, 5} must return it with
// greedy's score. Beams that skip a symbol finish a step before greedy's: a rule that stopped a
// sentence once K hypotheses had finished returned one of them instead.
TEST_P(BeamOnCopyModel, ReturnsGreedyOutputWhereGreedyIsConfident) {
  using namespace synthetic;
  const auto& task = GetParam();
  torch::set_num_threads(1);
  torch::manual_seed(1);
  std::mt19937 rng(1);
  auto model = make_seq2seq(task.cfg, kVocab, kVocab);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(task.lr));
  for (int64_t step = 0; step < task.steps; ++step)
    train_step(*model, adam, make_batch(rng, 32, /*reverse=*/false));
  model->eval();
  const auto test = make_batch(rng, 100, /*reverse=*/false);
  auto mask = test.src.ne(kPadId);
  auto greedy = greedy_search(*model, test.src, mask, kMaxLen + 4);
  std::vector<std::vector<int64_t>> outs;
  for (const auto& h : greedy) outs.push_back(h.tokens);
  auto [tin, tout] = teacher_forcing_batch(outs, torch::kCPU);
  auto forced = forced_decode(*model, test.src, mask, tin, tout);
  std::vector<int64_t> confident;
  for (size_t i = 0; i < greedy.size(); ++i) {
    bool all = true;
    for (double lp : forced[i].token_log_probs) all = all && lp > std::log(0.99);
    if (all) confident.push_back(static_cast<int64_t>(i));
  }
  ASSERT_GE(confident.size(), 30u) << task.name << ": the model is not near-deterministic";
  for (int64_t K : {2, 5}) {
    SearchOptions opt;
    opt.beam = K;
    opt.max_lens = std::vector<int64_t>(greedy.size(), kMaxLen + 4);
    auto beam = beam_search(*model, test.src, mask, opt);
    int64_t same = 0;
    for (int64_t i : confident) {
      const auto& b = beam[i][0];
      EXPECT_EQ(b.tokens, greedy[i].tokens) << task.name << " K=" << K << " line " << i;
      EXPECT_NEAR(b.score, greedy[i].score, 1e-4) << task.name << " K=" << K << " line " << i;
      same += b.tokens == greedy[i].tokens;
    }
    std::cout << "[ beam ] " << task.name << " K=" << K << ": " << same << " of "
              << confident.size() << " confident lines equal greedy\n";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Decoders, BeamOnCopyModel,
    ::testing::Values(CopyTask{"transformer", synthetic::transformer("multihead"), 1e-3, 500},
                      CopyTask{"luong_general", synthetic::rnn("luong-general"), 3e-3, 1500},
                      CopyTask{"bahdanau", synthetic::rnn("bahdanau"), 3e-3, 600}),
    [](const ::testing::TestParamInfo<CopyTask>& i) { return i.param.name; });

}  // namespace
}  // namespace tinynmt::decode
