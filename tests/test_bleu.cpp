// sacreBLEU-compatible BLEU (eval/bleu.h), and BLEU and chrF (eval/chrf.h) against sacreBLEU
// 2.4.3's own figures.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/bleu.h"
#include "eval/chrf.h"

namespace {

using tinynmt::eval::corpus_bleu;
using tinynmt::eval::corpus_chrf;
using tinynmt::eval::sentence_bleu;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// "a|b|version:2.4.3" -> "a|b" (our signatures say version:2.x).
std::string without_version(const std::string& sig) {
  auto p = sig.rfind("|version:");
  return p == std::string::npos ? sig : sig.substr(0, p);
}

TEST(Bleu, IdenticalIsHundredAndEmptyIsZero) {
  std::vector<std::string> ref = {"A man rides a horse .", "Two dogs play in the snow ."};
  EXPECT_NEAR(corpus_bleu(ref, ref).score, 100.0, 1e-9);
  EXPECT_NEAR(corpus_bleu({"", ""}, ref).score, 0.0, 1e-9);
  EXPECT_NEAR(corpus_chrf(ref, ref).score, 100.0, 1e-9);
}

TEST(Bleu, HandComputedSentenceBleuWithEffectiveOrder) {
  // hyp "the cat", ref "the cat sat": p1 = 2/2, p2 = 1/1, no 3-grams -> effective order 2,
  // BP = exp(1 - 3/2).
  auto s = sentence_bleu("the cat", "the cat sat");
  EXPECT_NEAR(s.score, 100.0 * std::exp(1.0 - 1.5), 1e-6);
  EXPECT_NEAR(s.bp, std::exp(-0.5), 1e-9);
  EXPECT_EQ(s.sys_len, 2);
  EXPECT_EQ(s.ref_len, 3);
  EXPECT_NE(s.signature.find("eff:yes"), std::string::npos);
  // Corpus BLEU of the same pair uses all four orders: no 3-grams -> 0 matches -> exp smoothing
  // only applies to orders with n-grams, the others keep precision 0 -> score ~ 0.
  EXPECT_LT(corpus_bleu({"the cat"}, {"the cat sat"}).score, 1e-3);
}

TEST(Bleu, LengthMismatchThrows) {
  EXPECT_THROW(corpus_bleu({"a"}, {"a", "b"}), std::invalid_argument);
  EXPECT_THROW(corpus_chrf({"a"}, {"a", "b"}), std::invalid_argument);
}

// Every figure sacreBLEU 2.4.3 computed for ../shared/reference/metrics, to within 0.01.
TEST(SacreBleuReference, ReproducesEveryFigure) {
  const std::string dir = std::string(TINYNMT_SHARED_DIR) + "/reference/metrics";
  if (!std::filesystem::exists(dir + "/expected.json")) {
    GTEST_SKIP() << "no reference figures at " << dir;
  }
  std::ifstream in(dir + "/expected.json");
  const auto expected = nlohmann::json::parse(in);
  int checked = 0;
  for (const char* group : {"systems", "systems_de"}) {
    if (!expected.contains(group)) continue;
    for (const auto& [name, e] : expected[group].items()) {
      SCOPED_TRACE(name);
      const std::string ref_name = e.contains("reference")
                                       ? e["reference"].get<std::string>()
                                       : expected["reference"].get<std::string>();
      const auto refs = read_lines(dir + "/" + ref_name);
      const auto hyps = read_lines(dir + "/" + name);
      ASSERT_EQ(refs.size(), hyps.size());
      const auto bleu = corpus_bleu(hyps, refs);
      EXPECT_NEAR(bleu.score, e["bleu"].get<double>(), 0.01);
      for (int n = 0; n < 4; ++n) {
        EXPECT_NEAR(bleu.precisions[n], e["bleu_precisions"][n].get<double>(), 0.01) << n;
      }
      EXPECT_NEAR(bleu.bp, e["bp"].get<double>(), 1e-4);
      EXPECT_EQ(bleu.sys_len, e["sys_len"].get<int64_t>());
      EXPECT_EQ(bleu.ref_len, e["ref_len"].get<int64_t>());
      EXPECT_NEAR(corpus_chrf(hyps, refs).score, e["chrf"].get<double>(), 0.01);
      if (e.contains("bleu_signature")) {
        EXPECT_EQ(without_version(bleu.signature),
                  without_version(e["bleu_signature"].get<std::string>()));
      }
      if (e.contains("chrf_signature")) {
        EXPECT_EQ(without_version(tinynmt::eval::chrf_signature()),
                  without_version(e["chrf_signature"].get<std::string>()));
      }
      if (e.contains("sentence_bleu_first5")) {
        const auto& s5 = e["sentence_bleu_first5"];
        for (size_t i = 0; i < s5.size(); ++i) {
          EXPECT_NEAR(sentence_bleu(hyps[i], refs[i]).score, s5[i].get<double>(), 0.01)
              << "line " << i;
        }
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 8);
}

}  // namespace
