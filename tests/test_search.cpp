// Tests of greedy search, beam search and the search() entry (src/decode/search.h), checked
// against forced decoding (src/decode/forced_decode.h), on the two small
// hand-written Seq2Seq models of decode_test_models.h.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "decode/forced_decode.h"
#include "decode/search.h"
#include "decode_test_models.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"

namespace tinynmt::decode {
namespace {

constexpr int64_t kVocab = 12;

std::vector<std::vector<int64_t>> sample_sentences() {
  return {{5, 6, 7}, {8, 4, 9, 10, 11, 5, 6}, {4}, {11, 10, 9, 8, 7, 6, 5, 4, 9}, {6, 6, 7, 5}};
}

// The tokens of `h` are well formed for max length `max_len`.
void expect_well_formed(const Hypothesis& h, int64_t max_len) {
  ASSERT_FALSE(h.tokens.empty());
  EXPECT_LE(static_cast<int64_t>(h.tokens.size()), max_len);
  for (size_t i = 0; i + 1 < h.tokens.size(); ++i) EXPECT_NE(h.tokens[i], kEosId);
  for (int64_t tok : h.tokens) {
    EXPECT_NE(tok, kPadId);
    EXPECT_NE(tok, kBosId);
  }
  if (h.tokens.back() != kEosId) {
    EXPECT_EQ(static_cast<int64_t>(h.tokens.size()), max_len);
  }
}

TEST(DecodeSearch, LengthPenaltyFollowsGnmtFormula) {
  EXPECT_DOUBLE_EQ(length_penalty(1, 0.6), 1.0);   // ((5+1)/6)^a = 1
  EXPECT_DOUBLE_EQ(length_penalty(7, 1.0), 2.0);   // (12/6)^1
  EXPECT_DOUBLE_EQ(length_penalty(19, 0.5), 2.0);  // (24/6)^0.5
  EXPECT_DOUBLE_EQ(length_penalty(30, 0.0), 1.0);
  EXPECT_THROW(length_penalty(3, -0.1), std::invalid_argument);
  auto m = max_target_lengths({0, 1, 4}, 1.5, 10);
  EXPECT_EQ(m, (std::vector<int64_t>{10, 12, 16}));
}

TEST(DecodeSearch, AverageLengthPenaltyCountsTheWordsBeforeEos) {
  constexpr auto kAvg = LengthPenaltyForm::kAverage;
  EXPECT_DOUBLE_EQ(length_penalty(4, 1.0, kAvg, true), 3.0);   // 3 words + EOS
  EXPECT_DOUBLE_EQ(length_penalty(4, 0.5, kAvg, false), 2.0);  // cut at 4 ids: 4^0.5
  EXPECT_DOUBLE_EQ(length_penalty(10, 0.6, kAvg, true), std::pow(9.0, 0.6));
  EXPECT_DOUBLE_EQ(length_penalty(1, 1.0, kAvg, true), 1.0);  // EOS alone: |Y| taken as 1
  EXPECT_DOUBLE_EQ(length_penalty(7, 0.0, kAvg, true), 1.0);
  // The GNMT form counts EOS whether or not the hypothesis has one.
  EXPECT_DOUBLE_EQ(length_penalty(7, 1.0, LengthPenaltyForm::kGnmt, false), 2.0);
  EXPECT_THROW(length_penalty(0, 0.6, kAvg, true), std::invalid_argument);
  EXPECT_THROW(length_penalty(3, -1.0, kAvg, true), std::invalid_argument);
  EXPECT_EQ(parse_length_penalty_form("average"), kAvg);
  EXPECT_EQ(parse_length_penalty_form("gnmt"), LengthPenaltyForm::kGnmt);
  EXPECT_THROW(parse_length_penalty_form("wu"), std::invalid_argument);
}

TEST(DecodeSearch, BeamWithK1EqualsGreedyOnTinyModel) {
  TinyAttnModelImpl model(kVocab, kVocab, 7);
  auto [src, mask] = make_src(sample_sentences());
  auto max_lens = max_target_lengths(source_lengths(mask), 1.5, 10);
  auto greedy = greedy_search(model, src, mask, max_lens, true);
  SearchOptions opt;
  opt.beam = 1;
  opt.alpha = 0.0;
  opt.max_lens = max_lens;
  opt.capture_attention = true;
  auto beam = beam_search(model, src, mask, opt);
  ASSERT_EQ(beam.size(), greedy.size());
  std::set<std::vector<int64_t>> distinct;
  for (size_t b = 0; b < greedy.size(); ++b) {
    ASSERT_EQ(beam[b].size(), 1u);
    EXPECT_EQ(beam[b][0].tokens, greedy[b].tokens) << "sentence " << b;
    EXPECT_NEAR(beam[b][0].score, greedy[b].score, 1e-6) << "sentence " << b;
    EXPECT_TRUE(torch::allclose(beam[b][0].attention, greedy[b].attention, 0, 1e-6));
    expect_well_formed(greedy[b], max_lens[b]);
    distinct.insert(greedy[b].tokens);
  }
  EXPECT_GT(distinct.size(), 1u);  // the model does not ignore its source
}

TEST(DecodeSearch, BeamWithK1EqualsGreedyOnTableModel) {
  torch::manual_seed(3);
  TableModelImpl model(torch::randn({3, 6, kVocab, kVocab}) * 2.0);
  auto [src, mask] = make_src(sample_sentences());
  auto greedy = greedy_search(model, src, mask, 9);
  SearchOptions opt;
  opt.beam = 1;
  opt.alpha = 0.0;
  opt.max_lens.assign(src.size(0), 9);
  auto beam = beam_search(model, src, mask, opt);
  for (size_t b = 0; b < greedy.size(); ++b) {
    EXPECT_EQ(beam[b][0].tokens, greedy[b].tokens) << "sentence " << b;
    EXPECT_NEAR(beam[b][0].score, greedy[b].score, 1e-6) << "sentence " << b;
  }
}

TEST(DecodeSearch, BeamBeatsGreedyWhereGreedyIsSuboptimal) {
  // Ids: 3 = EOS, 4 = a, 5 = b. From BOS: P(a) = .55, P(b) = .45. After a: P(EOS) = .4,
  // P(a) = P(b) = .3. After b: P(EOS) = .95. Greedy takes a, EOS (p = .22); the best output
  // is b, EOS (p = .4275).
  auto probs = torch::full({1, 4, kVocab, kVocab}, 1e-9, torch::kDouble);
  for (int64_t t = 0; t < 4; ++t) {
    probs[0][t][kBosId][4] = 0.55;
    probs[0][t][kBosId][5] = 0.45;
    probs[0][t][4][kEosId] = 0.4;
    probs[0][t][4][4] = 0.3;
    probs[0][t][4][5] = 0.3 - 1e-6;
    probs[0][t][5][kEosId] = 0.95;
    probs[0][t][5][4] = 0.05;
    for (int64_t v = 0; v < kVocab; ++v)
      if (v != 4 && v != 5 && v != kBosId) probs[0][t][v][kEosId] = 1.0;
  }
  TableModelImpl model(probs.log().to(torch::kFloat));
  auto [src, mask] = make_src({{4, 5}, {7}});
  auto greedy = greedy_search(model, src, mask, 10);
  SearchOptions opt;
  opt.beam = 2;
  opt.alpha = 0.0;
  auto beam = beam_search(model, src, mask, opt);
  for (size_t b = 0; b < 2; ++b) {
    EXPECT_EQ(greedy[b].tokens, (std::vector<int64_t>{4, kEosId}));
    EXPECT_NEAR(greedy[b].score, std::log(0.55 * 0.4), 1e-5);
    EXPECT_EQ(beam[b][0].tokens, (std::vector<int64_t>{5, kEosId}));
    EXPECT_NEAR(beam[b][0].score, std::log(0.45 * 0.95), 1e-5);
    EXPECT_GE(beam[b][0].score, greedy[b].score);
  }
}

class NBestList : public ::testing::TestWithParam<LengthPenaltyForm> {};

// Under either length penalty: each n-best entry's normalised score is its score divided by that
// penalty, the list is sorted by it, and the score is the teacher-forced log-prob.
TEST_P(NBestList, IsSortedAndScoresAreConsistent) {
  TinyAttnModelImpl model(kVocab, kVocab, 11);
  auto [src, mask] = make_src(sample_sentences());
  SearchOptions opt;
  opt.beam = 5;
  opt.n_best = 5;
  opt.alpha = 0.6;
  opt.length_penalty = GetParam();
  auto res = beam_search(model, src, mask, opt);
  auto max_lens = max_target_lengths(source_lengths(mask), opt.max_len_ratio, opt.max_len_extra);
  for (size_t b = 0; b < res.size(); ++b) {
    ASSERT_EQ(res[b].size(), 5u) << "sentence " << b;
    std::set<std::vector<int64_t>> distinct;
    for (size_t i = 0; i < res[b].size(); ++i) {
      const auto& h = res[b][i];
      expect_well_formed(h, max_lens[b]);
      distinct.insert(h.tokens);
      const bool eos = h.tokens.back() == kEosId;
      EXPECT_NEAR(
          h.normalized_score,
          h.score / length_penalty(static_cast<int64_t>(h.tokens.size()), 0.6, GetParam(), eos),
          1e-9);
      if (i > 0) {
        EXPECT_GE(res[b][i - 1].normalized_score, h.normalized_score);
      }
      // The score is the sequence log-prob under teacher forcing.
      auto [tin, tout] = teacher_forcing_batch({h.tokens}, torch::kCPU);
      auto forced = forced_decode(model, src.narrow(0, b, 1), mask.narrow(0, b, 1), tin, tout);
      EXPECT_NEAR(forced[0].score, h.score, 1e-4);
    }
    EXPECT_EQ(distinct.size(), 5u) << "n-best entries must be distinct";
  }
}

INSTANTIATE_TEST_SUITE_P(DecodeSearch, NBestList,
                         ::testing::Values(LengthPenaltyForm::kGnmt, LengthPenaltyForm::kAverage),
                         [](const ::testing::TestParamInfo<LengthPenaltyForm>& i) {
                           return std::string(i.param == LengthPenaltyForm::kGnmt ? "Gnmt"
                                                                                  : "Average");
                         });

TEST(DecodeSearch, RespectsPerSentenceMaxLength) {
  // EOS is (almost) never chosen: every hypothesis runs to its own max length, without EOS.
  torch::manual_seed(5);
  auto logits = torch::randn({2, 5, kVocab, kVocab});
  logits.index_put_(
      {torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(), kEosId},
      -30.0);
  TableModelImpl model(logits);
  auto [src, mask] = make_src({{4, 5}, {7}, {6, 6, 6}});
  const std::vector<int64_t> max_lens{3, 7, 1};
  auto greedy = greedy_search(model, src, mask, max_lens, true);
  SearchOptions opt;
  opt.beam = 3;
  opt.n_best = 2;
  opt.max_lens = max_lens;
  opt.capture_attention = true;
  auto beam = beam_search(model, src, mask, opt);
  for (size_t b = 0; b < max_lens.size(); ++b) {
    EXPECT_EQ(static_cast<int64_t>(greedy[b].tokens.size()), max_lens[b]);
    EXPECT_EQ(greedy[b].attention.size(2), max_lens[b]);
    ASSERT_EQ(beam[b].size(), 2u);
    for (const auto& h : beam[b]) {
      EXPECT_EQ(static_cast<int64_t>(h.tokens.size()), max_lens[b]);
      EXPECT_EQ(std::count(h.tokens.begin(), h.tokens.end(), kEosId), 0);
      EXPECT_EQ(h.attention.size(2), max_lens[b]);
    }
  }
  // The ratio rule on the tiny model: ceil(0.5 * len) + 2.
  TinyAttnModelImpl tiny(kVocab, kVocab, 13);
  auto [src2, mask2] = make_src(sample_sentences());
  opt.max_lens.clear();
  opt.max_len_ratio = 0.5;
  opt.max_len_extra = 2;
  auto lens = max_target_lengths(source_lengths(mask2), 0.5, 2);
  auto res = beam_search(tiny, src2, mask2, opt);
  for (size_t b = 0; b < res.size(); ++b)
    for (const auto& h : res[b]) expect_well_formed(h, lens[b]);
}

TEST(DecodeSearch, BeamAttentionEqualsForcedDecodeAttention) {
  TinyAttnModelImpl model(kVocab, kVocab, 17);
  auto sents = sample_sentences();
  auto [src, mask] = make_src(sents, /*extra_pad=*/2);
  SearchOptions opt;
  opt.beam = 4;
  opt.n_best = 4;
  opt.capture_attention = true;
  auto res = beam_search(model, src, mask, opt);
  // Forced decoding of every n-best output, all in one padded batch.
  std::vector<std::vector<int64_t>> srcs, tgts;
  std::vector<const Hypothesis*> hyps;
  for (size_t b = 0; b < res.size(); ++b)
    for (const auto& h : res[b]) {
      srcs.push_back(sents[b]);
      tgts.push_back(h.tokens);
      hyps.push_back(&h);
    }
  auto [fsrc, fmask] = make_src(srcs);
  auto [tin, tout] = teacher_forcing_batch(tgts, torch::kCPU);
  auto forced = forced_decode(model, fsrc, fmask, tin, tout);
  ASSERT_EQ(forced.size(), hyps.size());
  int64_t differing = 0;
  for (size_t i = 0; i < hyps.size(); ++i) {
    const auto& a = hyps[i]->attention;
    const auto& f = forced[i].attention;
    ASSERT_EQ(a.sizes(), f.sizes()) << "hypothesis " << i;
    EXPECT_EQ(a.size(0), 2);
    EXPECT_EQ(a.size(1), 2);
    EXPECT_EQ(a.size(2), static_cast<int64_t>(tgts[i].size()));
    EXPECT_EQ(a.size(3), static_cast<int64_t>(srcs[i].size()));
    EXPECT_LE((a - f).abs().max().item<double>(), 1e-5) << "hypothesis " << i;
    EXPECT_NEAR(forced[i].score, hyps[i]->score, 1e-4);
    // Hypotheses of one sentence share a prefix but differ later; the check must see that.
    if (i > 0 && srcs[i] == srcs[i - 1]) {
      auto t = std::min(a.size(2), hyps[i - 1]->attention.size(2));
      auto d = (a.narrow(2, 0, t) - hyps[i - 1]->attention.narrow(2, 0, t)).abs().max();
      if (d.item<double>() > 1e-3) ++differing;
    }
  }
  EXPECT_GT(differing, 0);
}

TEST(DecodeSearch, BatchedEqualsOneSentenceAtATime) {
  TinyAttnModelImpl model(kVocab, kVocab, 23);
  auto sents = sample_sentences();
  sents.insert(sents.begin() + 2, std::vector<int64_t>{});  // an empty source line
  auto [src, mask] = make_src(sents, /*extra_pad=*/3);
  SearchOptions opt;
  opt.beam = 3;
  opt.n_best = 2;
  opt.capture_attention = true;
  auto beam = beam_search(model, src, mask, opt);
  auto greedy = greedy_search(model, src, mask, 12, true);
  ASSERT_EQ(beam.size(), sents.size());
  for (size_t b = 0; b < sents.size(); ++b) {
    if (sents[b].empty()) {
      EXPECT_TRUE(greedy[b].tokens.empty());
      EXPECT_EQ(greedy[b].attention.size(2), 0);
      ASSERT_EQ(beam[b].size(), 1u);
      EXPECT_TRUE(beam[b][0].tokens.empty());
      continue;
    }
    auto [s1, m1] = make_src({sents[b]});
    auto one_beam = beam_search(model, s1, m1, opt);
    auto one_greedy = greedy_search(model, s1, m1, 12, true);
    EXPECT_EQ(one_greedy[0].tokens, greedy[b].tokens);
    EXPECT_NEAR(one_greedy[0].score, greedy[b].score, 1e-5);
    EXPECT_TRUE(torch::allclose(one_greedy[0].attention, greedy[b].attention, 0, 1e-5));
    ASSERT_EQ(one_beam[0].size(), beam[b].size());
    for (size_t i = 0; i < beam[b].size(); ++i) {
      EXPECT_EQ(one_beam[0][i].tokens, beam[b][i].tokens) << "sentence " << b;
      EXPECT_NEAR(one_beam[0][i].score, beam[b][i].score, 1e-5);
      ASSERT_EQ(one_beam[0][i].attention.sizes(), beam[b][i].attention.sizes());
      EXPECT_TRUE(torch::allclose(one_beam[0][i].attention, beam[b][i].attention, 0, 1e-5));
    }
  }
}

TEST(DecodeSearch, SearchWithBeam1RunsGreedy) {
  TinyAttnModelImpl model(kVocab, kVocab, 29);
  auto [src, mask] = make_src(sample_sentences(), /*extra_pad=*/1);
  SearchOptions opt;
  opt.beam = 1;
  opt.alpha = 0.6;
  opt.capture_attention = true;
  auto res = search(model, src, mask, opt);
  auto max_lens = max_target_lengths(source_lengths(mask), opt.max_len_ratio, opt.max_len_extra);
  auto greedy = greedy_search(model, src, mask, max_lens, true, 0.6);
  ASSERT_EQ(res.size(), greedy.size());
  for (size_t b = 0; b < greedy.size(); ++b) {
    ASSERT_EQ(res[b].size(), 1u);
    EXPECT_EQ(res[b][0].tokens, greedy[b].tokens);
    EXPECT_EQ(res[b][0].score, greedy[b].score);
    EXPECT_EQ(res[b][0].normalized_score, greedy[b].normalized_score);
    EXPECT_TRUE(torch::equal(res[b][0].attention, greedy[b].attention));
  }
  opt.strategy = SearchStrategy::kGreedy;
  opt.beam = 5;  // ignored by greedy
  auto g = search(model, src, mask, opt);
  for (size_t b = 0; b < greedy.size(); ++b) EXPECT_EQ(g[b][0].tokens, greedy[b].tokens);
  opt.n_best = 2;
  EXPECT_THROW(search(model, src, mask, opt), std::invalid_argument);
}

TEST(DecodeSearch, SearchWithBeamKRunsBeamSearch) {
  TinyAttnModelImpl model(kVocab, kVocab, 31);
  auto [src, mask] = make_src(sample_sentences());
  SearchOptions opt;
  opt.capture_attention = true;
  opt.n_best = 3;
  opt.beam = 4;  // K > 1: search() must not take the greedy shortcut
  auto beam = beam_search(model, src, mask, opt);
  auto res = search(model, src, mask, opt);
  ASSERT_EQ(res.size(), beam.size());
  int64_t lists = 0;
  for (size_t b = 0; b < beam.size(); ++b) {
    ASSERT_EQ(res[b].size(), beam[b].size());
    lists += res[b].size() > 1;
    for (size_t i = 0; i < beam[b].size(); ++i) {
      EXPECT_EQ(res[b][i].tokens, beam[b][i].tokens);
      EXPECT_EQ(res[b][i].score, beam[b][i].score);
      EXPECT_TRUE(torch::equal(res[b][i].attention, beam[b][i].attention));
    }
  }
  EXPECT_GT(lists, 0);  // n-best lists, not greedy
}

TEST(DecodeSearch, RejectsBadArguments) {
  TinyAttnModelImpl model(kVocab, kVocab, 1);
  auto [src, mask] = make_src(sample_sentences());
  SearchOptions opt;
  opt.beam = 2;
  opt.n_best = 3;
  EXPECT_THROW(beam_search(model, src, mask, opt), std::invalid_argument);
  opt.n_best = 1;
  opt.max_lens = {5};  // wrong count
  EXPECT_THROW(beam_search(model, src, mask, opt), std::invalid_argument);
  EXPECT_THROW(greedy_search(model, src, mask.narrow(1, 0, 2), 5), std::invalid_argument);
  EXPECT_THROW(greedy_search(model, src, mask, 0), std::invalid_argument);
  EXPECT_THROW(teacher_forcing_batch({{}}, torch::kCPU), std::invalid_argument);
}

}  // namespace
}  // namespace tinynmt::decode
