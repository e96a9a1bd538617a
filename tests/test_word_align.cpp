// align/word_align: subword -> word indices, aggregation of attention to words, hard alignments.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "align/word_align.h"
#include "temp_files.h"

namespace {

using namespace tinynmt::align;

TEST(WordAlign, PiecesToWordIndices) {
  const std::vector<std::string> pieces = {"\u2581Ein", "\u2581Hund", "e", "s", "\u2581.", "</s>"};
  const auto idx = word_index_of_pieces(pieces);
  EXPECT_EQ(idx, (std::vector<int>{0, 1, 1, 1, 2, -1}));
  EXPECT_EQ(words_of_pieces(pieces, idx), (std::vector<std::string>{"Ein", "Hundes", "."}));
  // A first piece without the marker still starts word 0; BOS is special too.
  EXPECT_EQ(word_index_of_pieces({"<s>", "ab", "c", "\u2581d"}), (std::vector<int>{-1, 0, 0, 1}));
}

TEST(WordAlign, AggregatesRowsByMeanAndColumnsBySum) {
  // Target pieces: ▁A | ▁do g | </s>; source pieces: ▁Ein | ▁Hu nd | </s>.
  const std::vector<int> tgt_map = {0, 1, 1, -1};
  const std::vector<int> src_map = {0, 1, 1, -1};
  const Matrix sub = {{0.7f, 0.1f, 0.1f, 0.1f},
                      {0.1f, 0.5f, 0.3f, 0.1f},
                      {0.2f, 0.2f, 0.4f, 0.2f},
                      {0.1f, 0.1f, 0.1f, 0.7f}};
  const Matrix w = aggregate_to_words(sub, tgt_map, src_map);
  ASSERT_EQ(w.size(), 2u);
  ASSERT_EQ(w[0].size(), 2u);
  // Row "A": [0.7, 0.1 + 0.1]; row "dog": mean of [0.1, 0.8] and [0.2, 0.6].
  EXPECT_NEAR(w[0][0], 0.7, 1e-6);
  EXPECT_NEAR(w[0][1], 0.2, 1e-6);
  EXPECT_NEAR(w[1][0], 0.15, 1e-6);
  EXPECT_NEAR(w[1][1], 0.7, 1e-6);
  // Rows keep their mass minus what went to EOS (0.1 for "A", 0.15 for "dog").
  EXPECT_NEAR(w[0][0] + w[0][1], 0.9, 1e-6);
  EXPECT_NEAR(w[1][0] + w[1][1], 0.85, 1e-6);

  EXPECT_EQ(argmax_alignment(w), (Alignment{{0, 0}, {1, 1}}));
  EXPECT_EQ(threshold_alignment(w, 0.5f), (Alignment{{0, 0}, {1, 1}}));
  EXPECT_EQ(threshold_alignment(w, 0.1f), (Alignment{{0, 0}, {0, 1}, {1, 0}, {1, 1}}));
  EXPECT_THROW(aggregate_to_words(sub, {0, 1}, src_map), std::invalid_argument);
  EXPECT_THROW(aggregate_to_words(sub, tgt_map, {0, 5, 1, -1}, -1, 2), std::invalid_argument);
}

TEST(WordAlign, ArgmaxFollowsTheLargestWeight) {
  // An anti-diagonal matrix aligns target t with source n-1-t.
  const Matrix m = {{0.1f, 0.2f, 0.7f}, {0.2f, 0.6f, 0.2f}, {0.8f, 0.1f, 0.1f}};
  EXPECT_EQ(argmax_alignment(m), (Alignment{{0, 2}, {1, 1}, {2, 0}}));
}

TEST(WordAlign, ArgmaxNullLeavesRowsWhoseEosMassWins) {
  // Rows sum to 0.9, 0.4 and 0.5: the mass on EOS (the NULL word) is 0.1, 0.6 and 0.5. Row 1's
  // best word (0.3) loses to it, row 2's ties with it (no link), row 0's wins.
  const Matrix m = {{0.1f, 0.8f}, {0.3f, 0.1f}, {0.5f, 0.0f}};
  EXPECT_EQ(argmax_alignment(m), (Alignment{{0, 1}, {0, 2}, {1, 0}}));
  EXPECT_EQ(argmax_alignment(m, /*null_column=*/true), (Alignment{{1, 0}}));
}

TEST(WordAlign, HardAlignmentByName) {
  const Matrix m = {{0.1f, 0.8f}, {0.3f, 0.1f}, {0.5f, 0.0f}};
  EXPECT_EQ(hard_alignment(m, parse_hard_alignment("argmax"), 0.3f), argmax_alignment(m));
  EXPECT_EQ(hard_alignment(m, parse_hard_alignment("argmax-null"), 0.3f),
            argmax_alignment(m, true));
  EXPECT_EQ(hard_alignment(m, parse_hard_alignment("threshold"), 0.3f),
            (Alignment{{0, 1}, {0, 2}, {1, 0}}));  // 0.3 included, 0.1 not
  try {
    parse_hard_alignment("intersection");
    FAIL() << "an unknown method must throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "method 'intersection' (choices: argmax, argmax-null, threshold)");
  }
}

}  // namespace
