// AER (eval/aer.h): gold files, sure/possible links, corpus-level counts.
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

namespace {

using tinynmt::eval::compute_aer;
using tinynmt::eval::GoldAlignment;
using tinynmt::eval::parse_gold_line;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("tinynmt_test_aer_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

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
