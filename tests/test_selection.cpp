// Layer/head selection of attention matrices (align/selection.h), as `align` and `heatmap` use it.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "align/selection.h"

namespace tinynmt::align {
namespace {

// 2 layers x 2 heads of 1x2 matrices.
LayerHeadMatrices two_by_two() { return {{{{1, 0}}, {{0, 1}}}, {{{0.5, 0.5}}, {{0.2, 0.8}}}}; }

TEST(Selection, LayerHeadSelectionByHand) {
  const auto m = two_by_two();
  EXPECT_EQ(select_layer_head(m, "0", "1"), (Matrix{{0, 1}}));
  EXPECT_EQ(select_layer_head(m, "-1", "0"), (Matrix{{0.5, 0.5}}));
  auto mean_l1 = select_layer_head(m, "1", "mean");
  EXPECT_NEAR(mean_l1[0][0], 0.35, 1e-6);
  EXPECT_NEAR(mean_l1[0][1], 0.65, 1e-6);
  auto all = select_layer_head(m, "mean", "mean");
  EXPECT_NEAR(all[0][0], (1 + 0 + 0.5 + 0.2) / 4, 1e-6);
  auto heads0 = select_layer_head(m, "mean", "0");
  EXPECT_NEAR(heads0[0][0], 0.75, 1e-6);
  EXPECT_THROW(select_layer_head(m, "2", "0"), std::invalid_argument);
  EXPECT_THROW(select_layer_head(m, "0", "x"), std::invalid_argument);
}

std::string message_of(const std::string& s, int n) {
  try {
    parse_selection(s, n, "layer", "file");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Selection, ParseIndicesMeanAndErrors) {
  EXPECT_EQ(parse_selection("mean", 3, "head"), kMeanOf);
  EXPECT_EQ(parse_selection("2", 3, "head"), 2);
  EXPECT_EQ(parse_selection("-1", 3, "head"), 2);
  EXPECT_EQ(parse_selection("-3", 3, "head"), 0);
  EXPECT_EQ(message_of("3", 3), "layer 3 out of range (the file has 3 layers)");
  EXPECT_EQ(message_of("-4", 3), "layer -4 out of range (the file has 3 layers)");
  EXPECT_EQ(message_of("1x", 3), "layer '1x': expected an index or 'mean'");
  EXPECT_EQ(message_of("last", 3), "layer 'last': expected an index or 'mean'");
}

TEST(Selection, MatricesInLayerMajorOrder) {
  const auto m = two_by_two();
  auto all = select_matrices(m, kMeanOf, kMeanOf);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[1], &m[0][1]);
  EXPECT_EQ(all[2], &m[1][0]);
  auto head1 = select_matrices(m, kMeanOf, 1);
  ASSERT_EQ(head1.size(), 2u);
  EXPECT_EQ(head1[1], &m[1][1]);
  EXPECT_THROW(select_matrices(m, 2, 0), std::invalid_argument);
  LayerHeadMatrices ragged = {{{{1}}, {{1}}}, {{{1}}}};
  EXPECT_THROW(select_matrices(ragged, kMeanOf, kMeanOf), std::invalid_argument);
}

// The two roundings of a mean over 3 matrices (the heatmap divides, the alignment multiplies by
// the float 1/3); each equals its own formula bit for bit.
TEST(Selection, MeanRoundingsAreTheDocumentedOnes) {
  const Matrix a{{0.1f}}, b{{0.7f}}, c{{0.3f}};
  const float sum = 0.1f + 0.7f + 0.3f;
  EXPECT_EQ(mean_of({&a, &b, &c}, MeanRounding::kDivide)[0][0], sum / 3.0f);
  EXPECT_EQ(mean_of({&a, &b, &c}, MeanRounding::kMultiplyByInverse)[0][0], sum * (1.0f / 3.0f));
  EXPECT_THROW(mean_of({}, MeanRounding::kDivide), std::invalid_argument);
  const Matrix wide{{1, 2}};
  EXPECT_THROW(mean_of({&a, &wide}, MeanRounding::kDivide), std::invalid_argument);
}

}  // namespace
}  // namespace tinynmt::align
