// chrF (eval/chrf.h); its figures against sacreBLEU 2.4.3 are checked in test_bleu.cpp.
#include <gtest/gtest.h>

#include "eval/chrf.h"

namespace {

using tinynmt::eval::sentence_chrf;

TEST(Chrf, IgnoresWhitespaceAndScoresDisjointTextZero) {
  EXPECT_NEAR(sentence_chrf("a b c", "abc").score, 100.0, 1e-9);
  EXPECT_NEAR(sentence_chrf("xyz", "abc").score, 0.0, 1e-9);
  const double partial = sentence_chrf("the cat sat", "the cat sat on the mat").score;
  EXPECT_GT(partial, 0.0);
  EXPECT_LT(partial, 100.0);
}

}  // namespace
