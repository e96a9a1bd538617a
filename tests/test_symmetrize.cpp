// align/symmetrize: the symmetrisation heuristics of Koehn et al. 2003 (grow-diag-final-and, ...).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "align/pharaoh.h"
#include "align/symmetrize.h"
#include "temp_files.h"

namespace {

using namespace tinynmt::align;

TEST(Symmetrize, HeuristicsFollowKoehnEtAl2003) {
  const Alignment f = {{1, 1}, {0, 0}, {0, 0}};  // unsorted, a duplicate
  const Alignment r = {{0, 0}, {0, 3}, {3, 2}};
  using M = SymmetrizeMethod;
  EXPECT_EQ(symmetrize(f, r, M::kIntersection), (Alignment{{0, 0}}));
  EXPECT_EQ(symmetrize(f, r, M::kUnion), (Alignment{{0, 0}, {0, 3}, {1, 1}, {3, 2}}));
  EXPECT_EQ(symmetrize(f, r, M::kGrow), (Alignment{{0, 0}}));
  EXPECT_EQ(symmetrize(f, r, M::kGrowDiag), (Alignment{{0, 0}, {1, 1}}));
  EXPECT_EQ(symmetrize(f, r, M::kGrowDiagFinal), (Alignment{{0, 0}, {0, 3}, {1, 1}, {3, 2}}));
  EXPECT_EQ(symmetrize(f, r, M::kGrowDiagFinalAnd), (Alignment{{0, 0}, {1, 1}, {3, 2}}));
}

// Growing walks chains: from the intersection {0-0}, 1-0 joins (source 1 free), 1-1 joins as
// 0-0's diagonal neighbour (target 1 free), then 2-2 and 3-3 follow along the diagonal.
// A union link whose two words are both covered (0-1 below) joins under no grow or final rule.
TEST(Symmetrize, GrowDiagFollowsChainsAndSkipsCoveredWords) {
  const Alignment f = {{0, 0}, {1, 1}, {2, 2}, {3, 3}};
  const Alignment r = {{0, 0}, {1, 0}};
  EXPECT_EQ(symmetrize(f, r, SymmetrizeMethod::kGrowDiag),
            (Alignment{{0, 0}, {1, 0}, {1, 1}, {2, 2}, {3, 3}}));
  EXPECT_EQ(symmetrize(f, r, SymmetrizeMethod::kGrow), (Alignment{{0, 0}, {1, 0}, {1, 1}}));
  const Alignment f2 = {{0, 0}, {1, 1}, {0, 1}}, r2 = {{0, 0}, {1, 1}};
  EXPECT_EQ(symmetrize(f2, r2, SymmetrizeMethod::kGrowDiagFinal), (Alignment{{0, 0}, {1, 1}}));
  EXPECT_EQ(symmetrize(f2, r2, SymmetrizeMethod::kUnion), (Alignment{{0, 0}, {0, 1}, {1, 1}}));
}

TEST(Symmetrize, InvertParseAndErrors) {
  EXPECT_EQ(invert({{0, 2}, {1, 0}}), (Alignment{{2, 0}, {0, 1}}));
  EXPECT_EQ(parse_symmetrize_method("grow-diag-final-and"), SymmetrizeMethod::kGrowDiagFinalAnd);
  EXPECT_EQ(parse_symmetrize_method("intersection"), SymmetrizeMethod::kIntersection);
  EXPECT_THROW(parse_symmetrize_method("gdfa"), std::invalid_argument);
  EXPECT_THROW(symmetrize({{-1, 0}}, {}, SymmetrizeMethod::kUnion), std::invalid_argument);
  EXPECT_TRUE(symmetrize({}, {}, SymmetrizeMethod::kGrowDiagFinalAnd).empty());
}

// Soft symmetrisation: 2 source words, 3 target words. The forward model's rows are target words,
// the reverse model's rows source words; link (i, j) averages forward[j][i] and reverse[i][j].
// Means: 0-0 0.85, 0-1 0.4, 1-2 0.45, the rest <= 0.2. Target word 1 puts most of its forward
// mass on the NULL word (0.4 left off the row) and ties between the two source words.
TEST(Symmetrize, SoftAveragesTheTwoDirectionsBeforeTheThreshold) {
  const Matrix forward = {{0.9f, 0.05f}, {0.3f, 0.3f}, {0.1f, 0.6f}};
  const Matrix reverse = {{0.8f, 0.5f, 0.0f}, {0.0f, 0.1f, 0.3f}};
  EXPECT_EQ(symmetrize_soft(forward, reverse, 0.5f), (Alignment{{0, 0}}));
  EXPECT_EQ(symmetrize_soft(forward, reverse, 0.42f), (Alignment{{0, 0}, {1, 2}}));
  EXPECT_EQ(symmetrize_soft(forward, reverse, 0.35f), (Alignment{{0, 0}, {0, 1}, {1, 2}}));
  EXPECT_TRUE(symmetrize_soft(forward, reverse, 0.9f).empty());
  // Reading either matrix the wrong way round gives other links: reverse transposed is 3x2.
  const Matrix reverse_t = {{0.8f, 0.0f}, {0.5f, 0.1f}, {0.0f, 0.3f}};
  EXPECT_THROW(symmetrize_soft(forward, reverse_t, 0.5f), std::invalid_argument);
  EXPECT_THROW(symmetrize_soft(forward, {{0.8f, 0.5f, 0.0f}, {0.0f, 0.1f}}, 0.5f),
               std::invalid_argument);  // ragged
  EXPECT_TRUE(symmetrize_soft({}, {}, 0.5f).empty());
}

}  // namespace
