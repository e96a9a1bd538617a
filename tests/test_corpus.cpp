// data/corpus: reading parallel text (files, TSV), UTF-8 checks, errors naming file and line.
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

// ---------------------------------------------------------------------------------------------
// Corpus reading

TEST(DataCorpus, ReadsAlignedFilesAndTrims) {
  ScratchDir d;
  CorpusFiles f;
  f.src = d.file("a.de", "Ein Hund .\r\n  Zwei Katzen  \nDrei\n");
  f.tgt = d.file("a.en", "A dog .\r\nTwo cats\nThree\n");
  ParallelText t = read_parallel(f);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.src[0], "Ein Hund .");   // CR removed
  EXPECT_EQ(t.src[1], "Zwei Katzen");  // trimmed
  EXPECT_EQ(t.tgt[2], "Three");
  EXPECT_EQ(t.line_numbers, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(t.skipped_empty, 0);
}

TEST(DataCorpus, LineCountMismatchNamesFileAndLine) {
  ScratchDir d;
  CorpusFiles f;
  f.src = d.file("m.de", "a\nb\nc\nd\n");
  f.tgt = d.file("m.en", "a\nb\nc\n");
  std::string msg = data_error([&] { read_parallel(f); });
  EXPECT_NE(msg.find(f.src + ":4:"), std::string::npos) << msg;
  EXPECT_NE(msg.find(f.tgt), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;

  // The other way round: the target is longer.
  f.src = d.file("n.de", "a\n");
  f.tgt = d.file("n.en", "a\nb\nc\n");
  msg = data_error([&] { read_parallel(f); });
  EXPECT_NE(msg.find(f.tgt + ":2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has 3 lines"), std::string::npos) << msg;
}

TEST(DataCorpus, InvalidUtf8NamesFileAndLine) {
  ScratchDir d;
  CorpusFiles f;
  f.src = d.file("u.de", "gut\nauch gut\nsehr gut\n");
  f.tgt = d.file("u.en", "good\nalso good\nbad \xC3\x28 byte\n");
  std::string msg = data_error([&] { read_parallel(f); });
  EXPECT_NE(msg.find(f.tgt + ":3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("UTF-8"), std::string::npos) << msg;

  std::string tsv = d.file("u.tsv", "ok\tok\n\xFF\tx\n");
  msg = data_error([&] { read_lines(tsv); });
  EXPECT_NE(msg.find(tsv + ":2:"), std::string::npos) << msg;
}

TEST(DataCorpus, TsvWithThreeFieldsNamesFileAndLine) {
  ScratchDir d;
  CorpusFiles f;
  f.tsv = d.file("t.tsv", "Go.\tVa !\nHi.\tSalut !\tCC-BY 2.0 (France)\n");
  std::string msg = data_error([&] { read_parallel(f); });
  EXPECT_NE(msg.find(f.tsv + ":2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found 3"), std::string::npos) << msg;

  f.tsv = d.file("t1.tsv", "Go.\tVa !\nno tab here\n");
  msg = data_error([&] { read_parallel(f); });
  EXPECT_NE(msg.find(f.tsv + ":2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found 1"), std::string::npos) << msg;
}

TEST(DataCorpus, EmptyPairsAreSkippedAndCounted) {
  ScratchDir d;
  CorpusFiles f;
  f.src = d.file("e.de", "eins\n\ndrei\n   \nfuenf\n");
  f.tgt = d.file("e.en", "one\ntwo\n\nfour\nfive\n");
  ParallelText t = read_parallel(f);
  EXPECT_EQ(t.src, (std::vector<std::string>{"eins", "fuenf"}));
  EXPECT_EQ(t.tgt, (std::vector<std::string>{"one", "five"}));
  EXPECT_EQ(t.line_numbers, (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(t.skipped_empty, 3);

  CorpusFiles g;
  g.tsv = d.file("e.tsv", "\xEF\xBB\xBFHi.\tSalut.\n\n \t x\nBye.\tAu revoir.\n");
  ParallelText u = read_parallel(g);
  EXPECT_EQ(u.src, (std::vector<std::string>{"Hi.", "Bye."}));  // BOM removed
  EXPECT_EQ(u.tgt, (std::vector<std::string>{"Salut.", "Au revoir."}));
  EXPECT_EQ(u.skipped_empty, 2);
}

TEST(DataCorpus, ReadLinesKeepsEmptyLinesAndMissingFileIsAnError) {
  ScratchDir d;
  auto lines = read_lines(d.file("m.txt", "a\n\nc\r\n"));
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "", "c"}));
  std::string missing = (d.path() / "nope.txt").string();
  EXPECT_NE(data_error([&] { read_lines(missing); }).find(missing), std::string::npos);
}

TEST(DataCorpus, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  size_t at = 99;
  EXPECT_FALSE(is_valid_utf8("ab\xC0\xAF", &at));  // overlong '/'
  EXPECT_EQ(at, 2u);
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
}

// ---------------------------------------------------------------------------------------------
// SentencePiece
