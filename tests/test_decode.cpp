// Tests of greedy search, beam search and forced decoding (src/decode/search.h) on two small
// hand-written Seq2Seq models: a table model whose next-token log-probs are a fixed function of
// (sentence variant, step, previous token), and a tiny GRU model with two layers of two-head
// dot-product attention whose forward() (batched attention over all steps) and decode_step()
// are separate code paths that agree.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>
#include <vector>

#include "decode/search.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"

namespace tinynmt::decode {
namespace {

// Pads id sequences into src [batch, width] and src_mask [batch, width] (width >= longest).
std::pair<torch::Tensor, torch::Tensor> make_src(const std::vector<std::vector<int64_t>>& sents,
                                                 int64_t extra_pad = 0) {
  size_t width = 0;
  for (const auto& s : sents) width = std::max(width, s.size());
  auto w = static_cast<int64_t>(width) + extra_pad;
  auto src = torch::full({static_cast<int64_t>(sents.size()), w}, kPadId, torch::kLong);
  for (size_t i = 0; i < sents.size(); ++i)
    for (size_t j = 0; j < sents[i].size(); ++j) src[i][j] = sents[i][j];
  return {src, src.ne(kPadId)};
}

// Log-probs = log_softmax(table[variant][min(step, T-1)][prev]), variant = src[:, 0] % variants.
// Attention of head h: one-hot at (step + prev + h) % src_len, so it depends on the history.
class TableModelImpl : public Seq2SeqImpl {
 public:
  explicit TableModelImpl(torch::Tensor logits) : table_(torch::log_softmax(logits, -1)) {}

  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_mask) override {
    return {src_mask.to(torch::kFloat).unsqueeze(-1), src_mask, src, {}};
  }
  DecoderState init_state(const EncoderOutput& enc) override {
    DecoderState st;
    st["variant"] = enc.final.select(1, 0).remainder(table_.size(0));  // [batch]
    st["mask"] = enc.src_mask;                                         // [batch, S]
    return st;
  }
  StepOutput decode_step(const torch::Tensor& prev, DecoderState& st) override {
    const int64_t t = std::min<int64_t>(st.step, table_.size(1) - 1);
    auto lp = table_.index({st["variant"], torch::full_like(prev, t), prev});  // [batch, V]
    auto lens = st["mask"].sum(1);                                            // [batch]
    const int64_t S = st["mask"].size(1);
    std::vector<torch::Tensor> heads;
    for (int64_t h = 0; h < 2; ++h) {
      auto pos = (prev + st.step + h).remainder(lens);               // [batch]
      heads.push_back(torch::one_hot(pos, S).to(torch::kFloat));     // [batch, S]
    }
    st.step += 1;
    return {lp, torch::stack(heads, 1).unsqueeze(1)};  // [batch, 1, 2, S]
  }
  Seq2SeqOutput forward(const torch::Tensor& src, const torch::Tensor& tgt_in) override {
    auto st = init_state(encode(src, src.ne(kPadId)));
    std::vector<torch::Tensor> lps, atts;
    for (int64_t t = 0; t < tgt_in.size(1); ++t) {
      auto o = decode_step(tgt_in.select(1, t), st);
      lps.push_back(o.log_probs);
      atts.push_back(o.attention);
    }
    return {torch::stack(lps, 1), torch::stack(atts, 3), {}, {}, {}};  // [B, T, V], [B, 1, 2, T, S]
  }
  int64_t attention_layers() const override { return 1; }
  int64_t attention_heads() const override { return 2; }

 private:
  torch::Tensor table_;  // [variants, steps, V, V] log-probs
};

// Tiny GRU encoder-decoder with two layers of two-head scaled dot-product attention.
class TinyAttnModelImpl : public Seq2SeqImpl {
 public:
  static constexpr int64_t kD = 16, kHeads = 2, kLayers = 2;
  TinyAttnModelImpl(int64_t src_vocab, int64_t tgt_vocab, uint64_t seed) {
    torch::manual_seed(seed);
    src_emb_ = register_module("src_emb", torch::nn::Embedding(src_vocab, kD));
    enc_proj_ = register_module("enc_proj", torch::nn::Linear(kD, kD));
    bridge_ = register_module("bridge", torch::nn::Linear(kD, kD));
    tgt_emb_ = register_module("tgt_emb", torch::nn::Embedding(tgt_vocab, kD));
    cell_ = register_module("cell", torch::nn::GRUCell(kD, kD));
    for (int64_t l = 0; l < kLayers; ++l)
      query_.push_back(register_module("q" + std::to_string(l),
                                       torch::nn::Linear(kD, kHeads * kD)));
    out_ = register_module("out", torch::nn::Linear((1 + kLayers) * kD, tgt_vocab));
    torch::NoGradGuard ng;  // sharper attention and output distributions than default init
    for (auto& q : query_) q->weight.mul_(4.0);
    out_->weight.mul_(6.0);
    eval();
  }

  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_mask) override {
    auto states = torch::tanh(enc_proj_(src_emb_(src)));  // [B, S, D]
    return {states, src_mask, {}, {}};
  }
  DecoderState init_state(const EncoderOutput& enc) override {
    auto m = enc.src_mask.to(torch::kFloat).unsqueeze(-1);                    // [B, S, 1]
    auto mean = (enc.states * m).sum(1) / m.sum(1).clamp_min(1.0);            // [B, D]
    DecoderState st;
    st["h"] = torch::tanh(bridge_(mean));  // [B, D]
    st["static:enc"] = enc.states;         // [B, S, D], the same in every beam
    st["static:mask"] = enc.src_mask;      // [B, S]
    return st;
  }
  StepOutput decode_step(const torch::Tensor& prev, DecoderState& st) override {
    auto h = cell_(tgt_emb_(prev), st["h"]);  // [B, D]
    st["h"] = h;
    auto r = attend(h.unsqueeze(1), st["static:enc"], st["static:mask"]);  // logits [B, 1, V]
    st.step += 1;
    return {torch::log_softmax(r.logits.squeeze(1), -1), r.attention.select(3, 0)};
  }
  Seq2SeqOutput forward(const torch::Tensor& src, const torch::Tensor& tgt_in) override {
    auto st = init_state(encode(src, src.ne(kPadId)));
    auto emb = tgt_emb_(tgt_in);  // [B, T, D]
    auto h = st["h"];
    std::vector<torch::Tensor> hs;
    for (int64_t t = 0; t < tgt_in.size(1); ++t) {
      h = cell_(emb.select(1, t), h);
      hs.push_back(h);
    }
    // All T steps at once.
    auto r = attend(torch::stack(hs, 1), st["static:enc"], st["static:mask"]);
    return {r.logits, r.attention, {}, {}, {}};
  }
  int64_t attention_layers() const override { return kLayers; }
  int64_t attention_heads() const override { return kHeads; }

 private:
  struct Attended {
    torch::Tensor logits;     // [B, T, V]
    torch::Tensor attention;  // [B, layers, heads, T, S]
  };
  Attended attend(const torch::Tensor& hs, const torch::Tensor& enc, const torch::Tensor& mask) {
    const int64_t B = hs.size(0), T = hs.size(1);
    auto keys = enc.unsqueeze(1);                                     // [B, 1, S, D]
    auto pad = mask.logical_not().unsqueeze(1).unsqueeze(1);          // [B, 1, 1, S]
    std::vector<torch::Tensor> feats{hs}, weights;
    auto query_in = hs;
    for (int64_t l = 0; l < kLayers; ++l) {
      auto q = query_[l](query_in).view({B, T, kHeads, kD}).permute({0, 2, 1, 3});  // [B,H,T,D]
      auto scores = torch::matmul(q, keys.transpose(-1, -2)) / std::sqrt(double(kD));
      auto w = torch::softmax(scores.masked_fill(pad, -INFINITY), -1);  // [B, H, T, S]
      auto ctx = torch::matmul(w, keys).mean(1);                        // [B, T, D]
      weights.push_back(w);
      feats.push_back(ctx);
      query_in = hs + ctx;
    }
    return {out_(torch::cat(feats, -1)), torch::stack(weights, 1)};  // [B,T,V], [B,L,H,T,S]
  }

  torch::nn::Embedding src_emb_{nullptr}, tgt_emb_{nullptr};
  torch::nn::Linear enc_proj_{nullptr}, bridge_{nullptr}, out_{nullptr};
  torch::nn::GRUCell cell_{nullptr};
  std::vector<torch::nn::Linear> query_;
};

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

TEST(DecodeSearch, BeamWithK1EqualsGreedyOnTinyModel) {
  TinyAttnModelImpl model(kVocab, kVocab, 7);
  auto [src, mask] = make_src(sample_sentences());
  auto max_lens = max_target_lengths(source_lengths(mask), 1.5, 10);
  auto greedy = greedy_search(model, src, mask, max_lens, true);
  BeamOptions opt;
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
  BeamOptions opt;
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
  BeamOptions opt;
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

TEST(DecodeSearch, NBestListIsSortedAndScoresAreConsistent) {
  TinyAttnModelImpl model(kVocab, kVocab, 11);
  auto [src, mask] = make_src(sample_sentences());
  BeamOptions opt;
  opt.beam = 5;
  opt.n_best = 5;
  opt.alpha = 0.6;
  auto res = beam_search(model, src, mask, opt);
  auto max_lens = max_target_lengths(source_lengths(mask), opt.max_len_ratio, opt.max_len_extra);
  for (size_t b = 0; b < res.size(); ++b) {
    ASSERT_EQ(res[b].size(), 5u) << "sentence " << b;
    std::set<std::vector<int64_t>> distinct;
    for (size_t i = 0; i < res[b].size(); ++i) {
      const auto& h = res[b][i];
      expect_well_formed(h, max_lens[b]);
      distinct.insert(h.tokens);
      EXPECT_NEAR(h.normalized_score,
                  h.score / length_penalty(static_cast<int64_t>(h.tokens.size()), 0.6), 1e-9);
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

TEST(DecodeSearch, RespectsPerSentenceMaxLength) {
  // EOS is (almost) never chosen: every hypothesis runs to its own max length, without EOS.
  torch::manual_seed(5);
  auto logits = torch::randn({2, 5, kVocab, kVocab});
  logits.index_put_({torch::indexing::Slice(), torch::indexing::Slice(),
                     torch::indexing::Slice(), kEosId},
                    -30.0);
  TableModelImpl model(logits);
  auto [src, mask] = make_src({{4, 5}, {7}, {6, 6, 6}});
  const std::vector<int64_t> max_lens{3, 7, 1};
  auto greedy = greedy_search(model, src, mask, max_lens, true);
  BeamOptions opt;
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
  BeamOptions opt;
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
  BeamOptions opt;
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

TEST(DecodeSearch, RejectsBadArguments) {
  TinyAttnModelImpl model(kVocab, kVocab, 1);
  auto [src, mask] = make_src(sample_sentences());
  BeamOptions opt;
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
