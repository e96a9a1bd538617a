// Metrics: sacreBLEU-compatible BLEU/chrF (against sacreBLEU 2.4.3's own figures) and AER.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "align/pharaoh.h"
#include "eval/aer.h"
#include "eval/bleu.h"

namespace {

using tinynmt::eval::compute_aer;
using tinynmt::eval::corpus_bleu;
using tinynmt::eval::corpus_chrf;
using tinynmt::eval::GoldAlignment;
using tinynmt::eval::parse_gold_line;
using tinynmt::eval::sentence_bleu;
using tinynmt::eval::sentence_chrf;
using tinynmt::eval::tokenize_13a;

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

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("tinynmt_test_eval_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(Bleu, Tokenize13aSplitsPunctuationLikeMteval) {
  EXPECT_EQ(tokenize_13a("Hello, world."), "Hello , world .");
  EXPECT_EQ(tokenize_13a("It costs 3.50 or 1,000 dollars."), "It costs 3.50 or 1,000 dollars .");
  EXPECT_EQ(tokenize_13a("a 5-year-old (boy)"), "a 5 - year-old ( boy )");
  EXPECT_EQ(tokenize_13a("&quot;Hi&quot; &amp; bye"), "\" Hi \" & bye");
  EXPECT_EQ(tokenize_13a("  spaces\tand  tabs  "), "spaces and tabs");
  EXPECT_EQ(tokenize_13a("Ein Mädchen läuft."), "Ein Mädchen läuft .");
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

TEST(Chrf, IgnoresWhitespaceAndScoresDisjointTextZero) {
  EXPECT_NEAR(sentence_chrf("a b c", "abc").score, 100.0, 1e-9);
  EXPECT_NEAR(sentence_chrf("xyz", "abc").score, 0.0, 1e-9);
  const double partial = sentence_chrf("the cat sat", "the cat sat on the mat").score;
  EXPECT_GT(partial, 0.0);
  EXPECT_LT(partial, 100.0);
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
      const std::string ref_name =
          e.contains("reference") ? e["reference"].get<std::string>()
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

// ---------------------------------------------------------------------------------------------
// AER

TEST(Aer, SureAndPossibleHandCase) {
  // S = {0-0, 1-1}, P = S + {1-2}; A = {0-0, 1-2, 2-2}:
  // |A∩S| = 1, |A∩P| = 2, AER = 1 - (1 + 2) / (3 + 2) = 0.4; precision 2/3; recall 1/2.
  GoldAlignment g = parse_gold_line("0-0 1-1 1p2", /*one_based=*/false);
  EXPECT_EQ(g.sure.size(), 2u);
  EXPECT_EQ(g.possible.size(), 1u);
  auto r = compute_aer({g}, {{{0, 0}, {1, 2}, {2, 2}}});
  EXPECT_NEAR(r.aer, 0.4, 1e-12);
  EXPECT_NEAR(r.precision, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.recall, 0.5, 1e-12);
  EXPECT_EQ(r.hit_sure, 1);
  EXPECT_EQ(r.hit_possible, 2);
}

TEST(Aer, PerfectAndDisjointPredictions) {
  GoldAlignment g = parse_gold_line("0-0 1-1 2p2", false);
  EXPECT_NEAR(compute_aer({g}, {{{0, 0}, {1, 1}}}).aer, 0.0, 1e-12);
  // Possible links in A do not hurt precision: A = S + {2-2}: AER = 1 - (2 + 3)/(3 + 2) = 0.
  EXPECT_NEAR(compute_aer({g}, {{{0, 0}, {1, 1}, {2, 2}}}).aer, 0.0, 1e-12);
  EXPECT_NEAR(compute_aer({g}, {{{0, 1}, {1, 0}}}).aer, 1.0, 1e-12);
}

TEST(Aer, CorpusLevelSumsCountsOverSentences) {
  // Sentence 1: |A|=1, |S|=1, hit 1. Sentence 2: |A|=3, |S|=1, hit S 0, hit P 0.
  // Corpus: 1 - (1 + 1) / (4 + 2) = 2/3 (the mean of per-sentence AERs would be 0.5).
  auto g1 = parse_gold_line("0-0", false);
  auto g2 = parse_gold_line("0-0", false);
  auto r = compute_aer({g1, g2}, {{{0, 0}}, {{1, 1}, {2, 2}, {3, 3}}});
  EXPECT_NEAR(r.aer, 2.0 / 3.0, 1e-12);
  EXPECT_EQ(r.sentences, 2);
}

TEST(Aer, OneBasedGoldIsShiftedAndZeroRejected) {
  auto g = parse_gold_line("1-1 3p2", /*one_based=*/true);
  EXPECT_TRUE(g.sure.count({0, 0}));
  EXPECT_TRUE(g.possible.count({2, 1}));
  try {
    parse_gold_line("0-1", true, "gold.txt:7");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("gold.txt:7"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_gold_line("1x2", false), std::runtime_error);
  EXPECT_THROW(compute_aer({g}, {}), std::invalid_argument);
}

TEST(Aer, ReadsFilesAndNamesTheBadLine) {
  const std::string gold = temp_path("gold.txt");
  const std::string pred = temp_path("pred.align");
  {
    std::ofstream(gold) << "1-1 2-2\n1-1 2p2\n";
    std::ofstream(pred) << "0-0 1-1\n0-0\n";
  }
  auto g = tinynmt::eval::read_gold_file(gold, true);
  auto p = tinynmt::align::read_pharaoh_file(pred);
  ASSERT_EQ(g.size(), 2u);
  auto r = compute_aer(g, p);
  // |A| = 3, |S| = 3, A∩S = 3, A∩P = 3 -> AER 0.
  EXPECT_NEAR(r.aer, 0.0, 1e-12);
  { std::ofstream(pred) << "0-0 1-1\n0-0 zz\n"; }
  try {
    tinynmt::align::read_pharaoh_file(pred);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(pred + ":2"), std::string::npos) << e.what();
  }
  std::remove(gold.c_str());
  std::remove(pred.c_str());
}

TEST(Aer, HansardsGoldFileParses) {
  const std::string path =
      std::string(TINYNMT_SHARED_DIR) + "/data/align-gold/en-fr-hansards/enfr.gold";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no gold file at " << path;
  auto gold = tinynmt::eval::read_gold_file(path, /*one_based=*/true);
  EXPECT_EQ(gold.size(), 447u);
  // Gold sure links scored against themselves: AER 0, precision = recall = 1.
  std::vector<tinynmt::align::Alignment> pred;
  long possible = 0;
  for (const auto& g : gold) {
    pred.emplace_back(g.sure.begin(), g.sure.end());
    possible += static_cast<long>(g.possible.size());
  }
  auto r = compute_aer(gold, pred);
  EXPECT_NEAR(r.aer, 0.0, 1e-12);
  EXPECT_GT(possible, 0);
  EXPECT_GT(r.sure, 1000);
}

}  // namespace
