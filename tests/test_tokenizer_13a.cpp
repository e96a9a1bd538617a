// sacreBLEU's 13a tokeniser (eval/tokenizer_13a.h).
#include <gtest/gtest.h>

#include "eval/tokenizer_13a.h"

namespace {

using tinynmt::eval::tokenize_13a;

TEST(Bleu, Tokenize13aSplitsPunctuationLikeMteval) {
  EXPECT_EQ(tokenize_13a("Hello, world."), "Hello , world .");
  EXPECT_EQ(tokenize_13a("It costs 3.50 or 1,000 dollars."), "It costs 3.50 or 1,000 dollars .");
  EXPECT_EQ(tokenize_13a("a 5-year-old (boy)"), "a 5 - year-old ( boy )");
  EXPECT_EQ(tokenize_13a("&quot;Hi&quot; &amp; bye"), "\" Hi \" & bye");
  EXPECT_EQ(tokenize_13a("  spaces\tand  tabs  "), "spaces and tabs");
  EXPECT_EQ(tokenize_13a("Ein Mädchen läuft."), "Ein Mädchen läuft .");
}

}  // namespace
