// Tests for src/decode/translator: loading a run, batched translation (greedy, beam, n-best,
// attention of the output hypothesis), empty and very long lines, forced alignment (consistency
// with the attention exported under beam search, --tokenized word mapping, layer/head choice).
// The run is made in a temporary directory: a SentencePiece model trained on a tiny corpus and a
// randomly initialised network saved as best.ckpt (a trained model is not needed for these
// properties; the CLI test tests/cli/demo_path.sh trains one).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "align/attention_io.h"
#include "align/word_align.h"
#include "config/config.h"
#include "data/batching.h"
#include "data/tokenizer.h"
#include "decode/search.h"
#include "decode/translator.h"
#include "models/special_ids.h"
#include "run/checkpoint.h"
#include "run/load_model.h"

namespace fs = std::filesystem;
using namespace tinynmt;
using namespace tinynmt::decode;

namespace {

const std::vector<std::string> kWords = {
    "Haus",  "Häuser", "Hausboot", "Boot",   "Boote", "Mann", "Männer", "Frau",  "Frauen", "Hund",
    "Hunde", "ein",    "eine",     "der",    "die",   "das",  "sieht",  "sehen", "läuft",  "laufen",
    "im",    "am",     "Strand",   "Straße", ",",     ".",    "und",    "mit",   "rotem",  "roten"};

// Sentences of 3-9 random words (seeded).
std::vector<std::string> make_corpus(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    int len = 3 + static_cast<int>(rng() % 7);
    std::string s;
    for (int k = 0; k < len; ++k) s += (k ? " " : "") + kWords[rng() % kWords.size()];
    out.push_back(s);
  }
  return out;
}

Config model_config(const std::string& kind) {
  Config cfg;
  cfg.data.tokenizer.type = "unigram";
  cfg.data.tokenizer.vocab_size = 48;
  cfg.data.tokenizer.joint = true;
  cfg.data.max_length = 40;
  cfg.training.max_steps = 1;
  cfg.training.early_stopping.patience = 0;
  cfg.data.train.src = "train.src";  // not read: the test trains the tokenizer in code
  cfg.data.train.tgt = "train.tgt";
  cfg.decoding.beam = 3;
  cfg.decoding.alpha = 0.6;
  cfg.decoding.batch_size = 4;
  auto& e = cfg.model.encoder;
  auto& d = cfg.model.decoder;
  if (kind == "transformer") {
    e.type = d.type = "transformer";
    e.layers = d.layers = 2;
    e.d_model = d.d_model = 32;
    e.heads = d.heads = 2;
    e.ff = d.ff = 64;
    d.attention = "multihead";
  } else {
    e.type = d.type = "rnn";
    e.layers = d.layers = 1;
    e.embedding_dim = d.embedding_dim = 16;
    e.hidden_size = 16;
    d.hidden_size = 32;
    d.attention = "bahdanau";
  }
  e.dropout = d.dropout = d.attention_dropout = 0.0;
  return cfg;
}

// A run directory with a tokenizer and a random model of `kind` saved as best.ckpt.
struct TestRun {
  fs::path dir;
  Config cfg;
  std::shared_ptr<Seq2SeqImpl> saved;  // the network as saved
  ~TestRun() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::unique_ptr<TestRun> make_run(const std::string& kind) {
  static int counter = 0;
  auto run = std::make_unique<TestRun>();
  run->dir = fs::temp_directory_path() / ("tinynmt_translate_test_" + std::to_string(::getpid()) +
                                          "_" + std::to_string(counter++));
  fs::remove_all(run->dir);
  fs::create_directories(run->dir);
  run->cfg = model_config(kind);
  run->cfg.run.dir = run->dir.string();
  validate(run->cfg, false);
  auto src = make_corpus(300, 1), tgt = make_corpus(300, 2);
  Tokenizer tok = Tokenizer::train_or_load(run->cfg.data.tokenizer, run->dir.string(), src, tgt);
  torch::manual_seed(11);
  run->saved = make_seq2seq(run->cfg.model, tok.src_vocab_size(), tok.tgt_vocab_size());
  TrainState st;
  st.step = 42;
  st.src_vocab = tok.src_vocab_size();
  st.tgt_vocab = tok.tgt_vocab_size();
  save_checkpoint((run->dir / "best.ckpt").string(), *run->saved, nullptr, st,
                  to_yaml_string(run->cfg));
  return run;
}

double max_abs_diff(const align::LayerHeadMatrices& a, const align::LayerHeadMatrices& b) {
  if (a.size() != b.size()) return INFINITY;
  double d = 0;
  for (size_t l = 0; l < a.size(); ++l) {
    if (a[l].size() != b[l].size()) return INFINITY;
    for (size_t h = 0; h < a[l].size(); ++h) {
      if (a[l][h].size() != b[l][h].size()) return INFINITY;
      for (size_t t = 0; t < a[l][h].size(); ++t) {
        if (a[l][h][t].size() != b[l][h][t].size()) return INFINITY;
        for (size_t s = 0; s < a[l][h][t].size(); ++s)
          d = std::max(d, std::fabs(double(a[l][h][t][s]) - b[l][h][t][s]));
      }
    }
  }
  return d;
}

const std::vector<std::string> kLines = {
    "der Mann sieht ein Boot",
    "Hunde laufen am Strand , und die Frau sieht das Hausboot .",
    "eine Frau",
    "die Männer mit roten Booten",
    "das Haus",
    "Häuser und Straße im Strand ."};

class TranslatorTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    runs_["transformer"] = make_run("transformer");
    runs_["rnn"] = make_run("rnn");
  }
  static void TearDownTestSuite() { runs_.clear(); }
  const TestRun& run() const { return *runs_.at(GetParam()); }
  static inline std::map<std::string, std::unique_ptr<TestRun>> runs_;
};

}  // namespace

TEST_P(TranslatorTest, LoadModelRoundTrip) {
  const auto& r = run();
  LoadedModel m = load_model(r.dir.string(), "best", "cpu");
  EXPECT_EQ(m.state.step, 42);
  EXPECT_EQ(m.config.model.encoder.type, r.cfg.model.encoder.type);
  EXPECT_EQ(m.config.model.decoder.attention, r.cfg.model.decoder.attention);
  EXPECT_EQ(m.name, r.dir.filename().string());
  EXPECT_EQ(m.tokenizer.src_vocab_size(), m.state.src_vocab);
  EXPECT_FALSE(m.model->is_training());
  auto a = r.saved->named_parameters();
  auto b = m.model->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& kv : a) {
    ASSERT_TRUE(b.contains(kv.key())) << kv.key();
    EXPECT_TRUE(torch::equal(kv.value(), b[kv.key()])) << kv.key();
  }
  // A checkpoint given as a path; a missing one is a one-line error naming it.
  LoadedModel p = load_model(r.dir.string(), (r.dir / "best.ckpt").string(), "cpu");
  EXPECT_EQ(p.checkpoint, (r.dir / "best.ckpt").string());
  try {
    load_model(r.dir.string(), "last", "cpu");
    ADD_FAILURE() << "no last.ckpt: expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("last.ckpt"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_model((r.dir / "nope").string(), "best", "cpu"), std::runtime_error);
}

TEST_P(TranslatorTest, BestFallsBackToLast) {
  const auto& r = run();
  fs::path d = r.dir.string() + "_lastonly";
  fs::remove_all(d);
  fs::create_directories(d);
  fs::copy_file(r.dir / "best.ckpt", d / "last.ckpt");
  fs::copy_file(r.dir / kJointSpmModel, d / kJointSpmModel);
  LoadedModel m = load_model(d.string(), "best", "cpu");
  EXPECT_EQ(m.checkpoint, (d / "last.ckpt").string());
  fs::remove_all(d);
}

TEST_P(TranslatorTest, GreedyTranslatorMatchesBeamK1SentenceBySentence) {
  LoadedModel m = load_model(run().dir.string(), "best", "cpu");
  TranslateOptions o = translate_options_from(m.config);
  o.beam = 1;
  o.n_best = 1;
  o.alpha = 0.0;
  o.batch_size = 4;  // several batches, sorted by length: order must be restored
  auto out = Translator(m, o).translate(kLines);
  ASSERT_EQ(out.size(), kLines.size());
  for (size_t i = 0; i < kLines.size(); ++i) {
    // Independent path: this sentence alone through beam_search with K = 1.
    std::vector<std::vector<int64_t>> src = {m.tokenizer.encode_src(kLines[i])};
    Batch b = make_batch(src, nullptr, {0});
    SearchOptions bo;
    bo.beam = 1;
    bo.alpha = 0.0;
    bo.max_len_ratio = o.max_len_ratio;
    auto ref = beam_search(*m.model, b.src, b.src_mask, bo);
    ASSERT_EQ(out[i].hypotheses.size(), 1u);
    const auto& h = out[i].hypotheses[0];
    EXPECT_EQ(h.ids, ref[0][0].tokens) << "line " << i;
    EXPECT_NEAR(h.score, ref[0][0].score, 1e-4) << "line " << i;
    EXPECT_EQ(h.text, m.tokenizer.decode_tgt(ref[0][0].tokens));
    ASSERT_EQ(h.pieces.size(), h.ids.size());
    if (!h.ids.empty() && h.ids.back() == kEosId) {
      EXPECT_EQ(h.pieces.back(), "</s>");
    }
  }
}

TEST_P(TranslatorTest, BatchSizeDoesNotChangeResultsAndNBestIsSorted) {
  LoadedModel m = load_model(run().dir.string(), "best", "cpu");
  TranslateOptions o = translate_options_from(m.config);
  o.beam = 4;
  o.n_best = 3;
  o.batch_size = 1;
  auto one = Translator(m, o).translate(kLines);
  o.batch_size = 64;
  auto all = Translator(m, o).translate(kLines);
  for (size_t i = 0; i < kLines.size(); ++i) {
    ASSERT_EQ(one[i].hypotheses.size(), all[i].hypotheses.size());
    EXPECT_GE(all[i].hypotheses.size(), 1u);
    EXPECT_LE(all[i].hypotheses.size(), 3u);
    for (size_t k = 0; k < all[i].hypotheses.size(); ++k) {
      EXPECT_EQ(one[i].hypotheses[k].ids, all[i].hypotheses[k].ids) << i << "/" << k;
      EXPECT_NEAR(one[i].hypotheses[k].score, all[i].hypotheses[k].score, 1e-4);
      if (k > 0) {
        EXPECT_GE(all[i].hypotheses[k - 1].normalized_score, all[i].hypotheses[k].normalized_score);
      }
    }
  }
}

// decoding.length_penalty: average reaches the search: each n-best entry is normalised by
// |y|^alpha, |y| its ids before EOS, and the list is sorted by it.
TEST_P(TranslatorTest, AverageLengthPenaltyFromTheConfigNormalisesByTheWordsBeforeEos) {
  LoadedModel m = load_model(run().dir.string(), "best", "cpu");
  Config cfg = m.config;
  cfg.decoding.length_penalty = "average";
  TranslateOptions o = translate_options_from(cfg);
  ASSERT_EQ(o.length_penalty, LengthPenaltyForm::kAverage);
  o.beam = 4;
  o.n_best = 3;
  o.alpha = 1.0;
  size_t checked = 0;
  for (const auto& t : Translator(m, o).translate(kLines)) {
    for (size_t k = 0; k < t.hypotheses.size(); ++k) {
      const auto& h = t.hypotheses[k];
      if (h.ids.empty()) continue;
      const auto before_eos = static_cast<double>(h.ids.size() - (h.ids.back() == kEosId ? 1 : 0));
      EXPECT_NEAR(h.normalized_score, h.score / std::max(1.0, before_eos), 1e-6);
      if (k > 0) {
        EXPECT_GE(t.hypotheses[k - 1].normalized_score, h.normalized_score);
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, kLines.size());
}

// The one mapping from translate options to search options, used by Translator and by the
// benchmark's timed searches: every decoding setting arrives, sampling picks the strategy.
TEST(SearchOptionsFrom, CarriesEveryDecodingSetting) {
  TranslateOptions o;
  o.beam = 7;
  o.alpha = 1.25;
  o.length_penalty = LengthPenaltyForm::kAverage;
  o.n_best = 3;
  o.max_len_ratio = 2.5;
  o.capture_attention = true;
  o.sampling.temperature = 0.7;
  o.sampling.top_k = 9;
  o.sampling.seed = 1234;
  SearchOptions so = search_options_from(o);
  EXPECT_EQ(so.strategy, SearchStrategy::kBeam);
  EXPECT_EQ(so.beam, 7);
  EXPECT_DOUBLE_EQ(so.alpha, 1.25);
  EXPECT_EQ(so.length_penalty, LengthPenaltyForm::kAverage);
  EXPECT_EQ(so.n_best, 3);
  EXPECT_DOUBLE_EQ(so.max_len_ratio, 2.5);
  EXPECT_TRUE(so.capture_attention);
  EXPECT_DOUBLE_EQ(so.sampling.temperature, 0.7);
  EXPECT_EQ(so.sampling.top_k, 9);
  EXPECT_EQ(so.sampling.seed, 1234U);
  o.sample = true;
  EXPECT_EQ(search_options_from(o).strategy, SearchStrategy::kSample);
}

TEST_P(TranslatorTest, BeamAttentionEqualsForcedAlignmentOfTheOutput) {
  LoadedModel m = load_model(run().dir.string(), "best", "cpu");
  TranslateOptions o = translate_options_from(m.config);
  o.beam = 3;
  o.capture_attention = true;
  auto out = Translator(m, o).translate(kLines, /*first_index=*/10);
  std::vector<EncodedSide> srcs, tgts;
  for (size_t i = 0; i < kLines.size(); ++i) {
    const auto& rec = out[i].attention;
    EXPECT_EQ(rec.index, 10 + static_cast<int64_t>(i));
    ASSERT_NO_THROW(align::validate(rec));
    EXPECT_EQ(rec.layers, m.model->attention_layers());
    EXPECT_EQ(rec.heads, m.model->attention_heads());
    EXPECT_EQ(rec.src_tokens.back(), "</s>");
    EXPECT_EQ(rec.src_word_of_token.back(), -1);
    EXPECT_EQ(rec.tgt_tokens, out[i].hypotheses[0].pieces);
    // Each subword row is a distribution over the source tokens.
    for (const auto& row : rec.subword[0][0]) {
      double sum = 0;
      for (float v : row) sum += v;
      EXPECT_NEAR(sum, 1.0, 1e-4);
    }
    srcs.push_back(encode_side(m.tokenizer.src(), kLines[i], false));
    EXPECT_EQ(srcs.back().tokens, rec.src_tokens);
    EncodedSide t;
    t.ids = out[i].hypotheses[0].ids;
    t.tokens = rec.tgt_tokens;
    t.word_of_token = rec.tgt_word_of_token;
    t.words = rec.tgt_words;
    tgts.push_back(t);
  }
  AlignOptions ao;
  ao.batch_size = 4;
  auto forced = force_align_encoded(m, srcs, tgts, ao, 10);
  ASSERT_EQ(forced.size(), kLines.size());
  for (size_t i = 0; i < kLines.size(); ++i) {
    EXPECT_LE(max_abs_diff(forced[i].record.subword, out[i].attention.subword), 1e-5) << i;
    EXPECT_LE(max_abs_diff(forced[i].record.word, out[i].attention.word), 1e-5) << i;
    EXPECT_NEAR(forced[i].score, out[i].hypotheses[0].score, 1e-3) << i;
  }
}

TEST_P(TranslatorTest, EmptyAndVeryLongLinesGiveADefinedResult) {
  LoadedModel m = load_model(run().dir.string(), "best", "cpu");
  std::string long_line;
  for (int k = 0; k < 400; ++k) long_line += kWords[k % kWords.size()] + " ";
  const std::vector<std::string> lines = {"", "der Mann", "   ", long_line};
  TranslateOptions o = translate_options_from(m.config);
  o.beam = 2;
  o.max_len_ratio = 0.2;  // keeps the long line's decoding short
  o.max_src_pieces = 20;
  o.capture_attention = true;
  auto out = Translator(m, o).translate(lines);
  ASSERT_EQ(out.size(), 4u);
  for (size_t i : {0u, 2u}) {
    ASSERT_EQ(out[i].hypotheses.size(), 1u);
    EXPECT_EQ(out[i].hypotheses[0].text, "");
    EXPECT_TRUE(out[i].hypotheses[0].ids.empty());
    EXPECT_EQ(out[i].hypotheses[0].score, 0.0);
    EXPECT_TRUE(out[i].attention.src_tokens.empty());
    EXPECT_FALSE(out[i].truncated);
  }
  EXPECT_FALSE(out[1].truncated);
  EXPECT_TRUE(out[3].truncated);
  EXPECT_GT(out[3].src_pieces, 20);
  EXPECT_EQ(out[3].attention.src_tokens.size(), 21u);  // 20 pieces + </s>
  // Neighbouring empty/long lines do not change a normal line's result.
  auto alone = Translator(m, o).translate(std::string("der Mann"));
  EXPECT_EQ(alone.hypotheses[0].ids, out[1].hypotheses[0].ids);
  // The records of all four lines (empty ones included) round-trip through JSON Lines.
  fs::path p = run().dir / "att.jsonl";
  std::vector<align::AttentionRecord> recs;
  for (const auto& t : out) recs.push_back(t.attention);
  align::write_attention_jsonl(p.string(), recs);
  auto back = align::read_attention_jsonl(p.string());
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[3].src_tokens, out[3].attention.src_tokens);
  EXPECT_TRUE(back[0].tgt_tokens.empty());
  // Without a limit the long line is translated whole.
  o.max_src_pieces = 0;
  o.capture_attention = false;
  auto whole = Translator(m, o).translate(long_line);
  EXPECT_FALSE(whole.truncated);
  EXPECT_FALSE(whole.hypotheses[0].ids.empty());
  // Bad options are errors, not crashes.
  o.n_best = 5;
  EXPECT_THROW(Translator(m, o), std::invalid_argument);
}

TEST_P(TranslatorTest, TokenizedInputMapsSubwordsToTheGivenWords) {
  LoadedModel m = load_model(run().dir.string(), "best", "cpu");
  const std::string line = "Hausboot  Männer , roten\tStraßenboote";  // last word: unseen
  EncodedSide s = encode_side(m.tokenizer.src(), line, true);
  const std::vector<std::string> words = {"Hausboot", "Männer", ",", "roten", "Straßenboote"};
  EXPECT_EQ(s.words, words);
  ASSERT_EQ(s.ids.size(), s.tokens.size());
  ASSERT_EQ(s.ids.size(), s.word_of_token.size());
  EXPECT_EQ(s.ids.back(), kEosId);
  EXPECT_EQ(s.tokens.back(), "</s>");
  EXPECT_EQ(s.word_of_token.back(), -1);
  // The pieces of word w spell word w, in order.
  std::vector<std::string> spelled(words.size());
  for (size_t k = 0; k + 1 < s.tokens.size(); ++k) {
    ASSERT_GE(s.word_of_token[k], 0);
    if (k > 0) {
      EXPECT_GE(s.word_of_token[k], s.word_of_token[k - 1]);
    }
    std::string p = s.tokens[k];
    if (p.rfind(align::kWordBoundary, 0) == 0) p = p.substr(3);
    spelled[s.word_of_token[k]] += p;
  }
  EXPECT_EQ(spelled, words);
  // The comma (word 2) is glued to the word before it, as in raw text: no bare "▁" piece.
  for (size_t k = 0; k + 1 < s.tokens.size(); ++k) {
    if (s.word_of_token[k] == 2) {
      EXPECT_NE(s.tokens[k], align::kWordBoundary);
    }
  }
  EXPECT_GT(s.tokens.size(), words.size() + 1) << "expected some word split into pieces";
  EXPECT_TRUE(encode_side(m.tokenizer.src(), " \t ", true).ids.empty());

  // Forced alignment at word level: argmax gives one link per target word, threshold 0 links
  // every pair; EOS is not a word.
  AlignOptions ao;
  ao.tokenized = true;
  auto r = force_align(m, {line, ""}, {"der Mann sieht das Boot", "eine Frau"}, ao);
  ASSERT_EQ(r.size(), 2u);
  const auto& rec = r[0].record;
  EXPECT_EQ(rec.src_words, words);
  EXPECT_EQ(rec.tgt_words.size(), 5u);
  ASSERT_EQ(rec.word[0][0].size(), 5u);
  ASSERT_EQ(rec.word[0][0][0].size(), words.size());
  EXPECT_EQ(r[0].links.size(), 5u);
  std::vector<int> tgt_seen(5, 0);
  for (const auto& [i, j] : r[0].links) {
    EXPECT_GE(i, 0);
    EXPECT_LT(i, 5);
    ++tgt_seen.at(j);
  }
  EXPECT_EQ(tgt_seen, std::vector<int>(5, 1));
  EXPECT_EQ(rec.alignment, align::format_pharaoh(r[0].links));
  EXPECT_TRUE(r[1].links.empty());  // empty source: defined, empty result
  EXPECT_TRUE(r[1].record.src_tokens.empty());
  ao.method = "threshold";
  ao.threshold = 0.0;
  auto all = force_align(m, {line}, {"der Mann sieht das Boot"}, ao);
  EXPECT_EQ(all[0].links.size(), 25u);
  ao.layer = "7";
  EXPECT_THROW(force_align(m, {line}, {"der Mann"}, ao), std::invalid_argument);

  // shift-att: the subword matrices stay as computed; word level uses row t + 1 for token t.
  AlignOptions plain;
  plain.tokenized = true;
  AlignOptions shifted = plain;
  shifted.shift = true;
  const auto a = force_align(m, {line}, {"der Mann sieht das Boot"}, plain)[0].record;
  const auto b = force_align(m, {line}, {"der Mann sieht das Boot"}, shifted)[0].record;
  EXPECT_FALSE(a.shift);
  EXPECT_TRUE(b.shift);
  EXPECT_EQ(max_abs_diff(a.subword, b.subword), 0.0);
  EXPECT_GT(max_abs_diff(a.word, b.word), 1e-4);  // a different matrix, not a copy
  for (int l = 0; l < b.layers; ++l) {
    for (int h = 0; h < b.heads; ++h) {
      align::Matrix rows = a.subword[l][h];
      for (size_t t = 0; t + 1 < rows.size(); ++t) rows[t] = a.subword[l][h][t + 1];
      auto expect = align::aggregate_to_words(rows, a.tgt_word_of_token, a.src_word_of_token,
                                              static_cast<int>(a.tgt_words.size()),
                                              static_cast<int>(a.src_words.size()));
      EXPECT_LE(max_abs_diff({{expect}}, {{b.word[l][h]}}), 1e-6) << l << " " << h;
    }
  }
  // The flag survives the JSON round trip.
  EXPECT_TRUE(align::record_from_json(align::to_json(b)).shift);

  // Without scores (what `tinynmt align` asks for): the output layer is skipped, the attention
  // and links are those of the full pass, and the score stays 0.
  AlignOptions no_scores = plain;
  no_scores.scores = false;
  const auto full = force_align(m, {line}, {"der Mann sieht das Boot"}, plain)[0];
  const auto lean = force_align(m, {line}, {"der Mann sieht das Boot"}, no_scores)[0];
  EXPECT_LT(full.score, 0.0);
  EXPECT_EQ(lean.score, 0.0);
  EXPECT_LE(max_abs_diff(full.record.subword, lean.record.subword), 1e-6);
  EXPECT_EQ(full.links, lean.links);
}

INSTANTIATE_TEST_SUITE_P(Models, TranslatorTest, ::testing::Values("transformer", "rnn"));
