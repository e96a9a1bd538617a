// data/tokenizer: SentencePiece training and loading (joint unigram, separate BPE), vocabulary
// errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "data/batching.h"
#include "data/corpus.h"
#include "data/tokenizer.h"
#include "data_test_helpers.h"
#include "models/special_ids.h"

namespace fs = std::filesystem;
using namespace tinynmt;
using tinynmt::test_files::data_error;
using tinynmt::test_files::ScratchDir;
using tinynmt::test_files::tiny_corpus;

TEST(DataTokenizer, JointUnigramRoundTripAndReuse) {
  ScratchDir d;
  std::vector<std::string> src, tgt;
  tiny_corpus(src, tgt);
  TokenizerConfig cfg;
  cfg.type = "unigram";
  cfg.vocab_size = 60;
  cfg.joint = true;
  bool trained = false;
  Tokenizer tok = Tokenizer::train_or_load(cfg, d.str(), src, tgt, &trained);
  EXPECT_TRUE(trained);
  EXPECT_TRUE(fs::exists(d.path() / kJointSpmModel));
  EXPECT_TRUE(tok.joint());
  EXPECT_EQ(tok.src_vocab_size(), 60);
  EXPECT_EQ(tok.tgt_vocab_size(), 60);
  EXPECT_EQ(tok.src().id_to_piece(kPadId), "<pad>");
  EXPECT_EQ(tok.src().id_to_piece(kUnkId), "<unk>");
  EXPECT_EQ(tok.src().id_to_piece(kBosId), "<s>");
  EXPECT_EQ(tok.src().id_to_piece(kEosId), "</s>");

  for (size_t i = 0; i < src.size(); i += 37) {
    auto s = tok.encode_src(src[i]);
    ASSERT_GE(s.size(), 2u);
    EXPECT_EQ(s.back(), kEosId);
    for (size_t j = 0; j + 1 < s.size(); ++j) EXPECT_GT(s[j], kEosId) << src[i];
    EXPECT_EQ(tok.decode_src(s), src[i]);
    auto y = tok.encode_tgt(tgt[i]);
    EXPECT_EQ(std::count(y.begin(), y.end(), kEosId), 0);
    EXPECT_EQ(tok.decode_tgt(y), tgt[i]);
    EXPECT_EQ(tok.decode_tgt(make_tgt_in(y)), tgt[i]);   // BOS dropped
    EXPECT_EQ(tok.decode_tgt(make_tgt_out(y)), tgt[i]);  // stops at EOS
    auto pieces = tok.tgt_pieces(tgt[i]);
    EXPECT_EQ(pieces.size(), y.size());
    EXPECT_EQ(pieces[0].rfind("\xE2\x96\x81", 0), 0u) << pieces[0];  // starts with "▁"
  }
  // Decoding stops at EOS: ids after it are ignored.
  auto y = tok.encode_tgt("A man runs.");
  auto z = make_tgt_out(y);
  auto more = tok.encode_tgt("A dog");
  z.insert(z.end(), more.begin(), more.end());
  EXPECT_EQ(tok.decode_tgt(z), "A man runs.");
  // An out-of-range id is an error, not a crash.
  EXPECT_THROW(tok.decode_tgt({5, 100000}), DataError);

  // Second call reuses the stored model: same ids, no training.
  Tokenizer again = Tokenizer::train_or_load(cfg, d.str(), {}, {}, &trained);
  EXPECT_FALSE(trained);
  EXPECT_EQ(again.encode_src(src[3]), tok.encode_src(src[3]));
  Tokenizer loaded = Tokenizer::load(d.str());
  EXPECT_EQ(loaded.encode_tgt(tgt[5]), tok.encode_tgt(tgt[5]));
}

TEST(DataTokenizer, SeparateBpeModels) {
  ScratchDir d;
  std::vector<std::string> src, tgt;
  tiny_corpus(src, tgt);
  TokenizerConfig cfg;
  cfg.type = "bpe";
  cfg.vocab_size = 70;
  cfg.joint = false;
  Tokenizer tok = Tokenizer::train_or_load(cfg, d.str(), src, tgt);
  EXPECT_FALSE(tok.joint());
  EXPECT_TRUE(fs::exists(d.path() / kSrcSpmModel));
  EXPECT_TRUE(fs::exists(d.path() / kTgtSpmModel));
  EXPECT_FALSE(fs::exists(d.path() / kJointSpmModel));
  // Separate vocabularies: 'ä' is only in the German side, so the English model lacks it.
  EXPECT_NE(tok.src().piece_to_id("ä"), kUnkId);
  EXPECT_EQ(tok.tgt().piece_to_id("ä"), kUnkId);
  for (size_t i = 0; i < src.size(); i += 41) {
    EXPECT_EQ(tok.decode_src(tok.encode_src(src[i])), src[i]);
    EXPECT_EQ(tok.decode_tgt(tok.encode_tgt(tgt[i])), tgt[i]);
  }
  Tokenizer loaded = Tokenizer::load(d.str());
  EXPECT_FALSE(loaded.joint());
  EXPECT_EQ(loaded.encode_src(src[1]), tok.encode_src(src[1]));
}

TEST(DataTokenizer, VocabTooLargeFallsBackToSoftLimit) {
  ScratchDir d;
  std::vector<std::string> src, tgt;
  tiny_corpus(src, tgt, 100);
  TokenizerConfig cfg;
  cfg.vocab_size = 5000;  // far more than this corpus has pieces
  Tokenizer tok = Tokenizer::train_or_load(cfg, d.str(), src, tgt);
  EXPECT_LT(tok.src_vocab_size(), 5000);
  EXPECT_GT(tok.src_vocab_size(), 4);
  EXPECT_EQ(tok.decode_src(tok.encode_src(src[7])), src[7]);
}

TEST(DataTokenizer, VocabTooSmallNamesTheConfigKey) {
  ScratchDir d;
  std::vector<std::string> src, tgt;
  tiny_corpus(src, tgt, 100);
  TokenizerConfig cfg;
  cfg.vocab_size = 8;  // fewer than the characters of the corpus
  std::string msg = data_error([&] { Tokenizer::train_or_load(cfg, d.str(), src, tgt); });
  EXPECT_NE(msg.find("data.tokenizer.vocab_size"), std::string::npos) << msg;
  EXPECT_FALSE(Tokenizer::exists(d.str(), true));
}

TEST(DataTokenizer, LoadWithoutModelIsAnError) {
  ScratchDir d;
  std::string msg = data_error([&] { Tokenizer::load(d.str()); });
  EXPECT_NE(msg.find(d.str()), std::string::npos) << msg;
}

// ---------------------------------------------------------------------------------------------
