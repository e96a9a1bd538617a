// align/training_links: the word links of a training corpus (guided alignment): the reader's
// errors and the expansion of word links to SentencePiece pieces.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "align/training_links.h"
#include "align/word_align.h"
#include "temp_files.h"

namespace tinynmt::align {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = test_files::temp_file("training_links", name);
  std::ofstream(path) << text;
  return path;
}

// A two-file corpus whose second line is blank (skipped by read_parallel, still a line).
struct Corpus {
  std::string src = write_temp("c.src", "a b c\n\nd e\n");
  std::string tgt = write_temp("c.tgt", "x y\n\nz\n");
  ParallelText text;
  Corpus() {
    CorpusFiles f;
    f.src = src;
    f.tgt = tgt;
    text = read_parallel(f);
  }
  ~Corpus() {
    std::remove(src.c_str());
    std::remove(tgt.c_str());
  }
};

// The DataError message of reading `links` against the corpus ("" when none is thrown).
std::string read_error(const Corpus& c, const std::string& links) {
  const std::string path = write_temp("l.align", links);
  std::string message;
  try {
    read_training_links(path, c.text, c.src);
  } catch (const DataError& e) {
    message = e.what();
  }
  std::remove(path.c_str());
  return message;
}

TEST(TrainingLinks, ReadsOneLinePerCorpusLineSkippingBlankPairs) {
  Corpus c;
  const std::string path = write_temp("ok.align", "0-0 2-1\n\n1-0\n");
  const auto links = read_training_links(path, c.text, c.src);
  std::remove(path.c_str());
  ASSERT_EQ(links.size(), 2u);  // the blank corpus line is no pair
  EXPECT_EQ(links[0], (Alignment{{0, 0}, {2, 1}}));
  EXPECT_EQ(links[1], (Alignment{{1, 0}}));
}

TEST(TrainingLinks, ErrorsNameFileAndLine) {
  Corpus c;
  const std::string align = test_files::temp_file("training_links", "l.align");
  EXPECT_EQ(read_error(c, "0-0\n\n1-x\n"),
            align + ":3: bad alignment link '1-x' (expected i-j with integer indices)");
  EXPECT_EQ(read_error(c, "0-0 3-1\n\n\n"),
            align + ":1: link '3-1' out of range: the source has 3 words (" + c.src + ":1)");
  EXPECT_EQ(read_error(c, "0-0\n\n0-1\n"),
            align + ":3: link '0-1' out of range: the target has 1 words (" + c.src + ":3)");
  EXPECT_EQ(read_error(c, "0-0\n\n"), align + ": 2 lines, but " + c.src + " has 3 lines");
  EXPECT_NE(read_error(c, "0-0\n\n-1-0\n").find(":3: bad alignment link '-1-0'"),
            std::string::npos);
  EXPECT_EQ(read_error(c, "0-0\n\n1-0\n"), "");
}

TEST(TrainingLinks, ExpandsWordLinksToPieces) {
  // Source "▁Der ▁Hund e ▁bellt", target "▁The ▁do g ▁barks"; links Der-The, Hund-dog,
  // bellt-dog: target pieces "▁do" and "g" are each linked to "▁Hund", "e" and "▁bellt";
  // "▁barks" has no link.
  const auto src = word_index_of_pieces({"\u2581Der", "\u2581Hund", "e", "\u2581bellt"});
  const auto tgt = word_index_of_pieces({"\u2581The", "\u2581do", "g", "\u2581barks"});
  const PieceLinks expected = {{0, 0}, {1, 1}, {2, 1}, {3, 1}, {1, 2}, {2, 2}, {3, 2}};
  EXPECT_EQ(expand_to_pieces({{0, 0}, {1, 1}, {2, 1}}, src, tgt), expected);
  EXPECT_EQ(expand_to_pieces({{2, 1}, {1, 1}, {0, 0}, {1, 1}}, src, tgt), expected);  // any order
  EXPECT_THROW(expand_to_pieces({{4, 0}}, src, tgt), std::invalid_argument);
}

}  // namespace
}  // namespace tinynmt::align
