// scripts/get_data.sh, run into a temporary data folder: the toy task and the Tatoeba split.
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

// scripts/get_data.sh (run into a temporary data folder)

namespace {

int run_get_data(const std::string& data_dir, const std::string& shared, const std::string& what) {
  std::string cmd = "TINYNMT_DATA_DIR='" + data_dir + "' TINYNMT_SHARED_DATA='" + shared +
                    "' bash '" + std::string(TINYNMT_SOURCE_DIR) + "/scripts/get_data.sh' " + what +
                    " 2>/dev/null";
  return std::system(cmd.c_str());
}

std::vector<std::string> file_lines(const fs::path& p) { return read_lines(p.string()); }

}  // namespace

TEST(DataScript, ToyCopyTaskIsDeterministic) {
  ScratchDir a, b;
  ASSERT_EQ(run_get_data(a.str(), "/nonexistent", "toy"), 0);
  ASSERT_EQ(run_get_data(b.str(), "/nonexistent", "toy"), 0);
  const std::map<std::string, size_t> sizes = {{"train", 2000}, {"dev", 100}, {"test", 100}};
  std::set<std::string> symbols;
  for (const auto& [split, n] : sizes) {
    auto src = file_lines(a.path() / "toy" / (split + ".src"));
    auto tgt = file_lines(a.path() / "toy" / (split + ".tgt"));
    ASSERT_EQ(src.size(), n) << split;
    EXPECT_EQ(src, tgt) << "copy task: target = source";
    EXPECT_EQ(src, file_lines(b.path() / "toy" / (split + ".src"))) << "not deterministic";
    for (const auto& line : src) {
      std::istringstream words(line);
      std::string w;
      int len = 0;
      while (words >> w) {
        symbols.insert(w);
        ++len;
      }
      EXPECT_GE(len, 5) << line;
      EXPECT_LE(len, 12) << line;
    }
  }
  EXPECT_EQ(symbols.size(), 20u);
  // Idempotent: a second run keeps the files.
  auto before = fs::last_write_time(a.path() / "toy" / "train.src");
  ASSERT_EQ(run_get_data(a.str(), "/nonexistent", "toy"), 0);
  EXPECT_EQ(before, fs::last_write_time(a.path() / "toy" / "train.src"));
  EXPECT_NE(run_get_data(a.str(), "/nonexistent", "nosuchcorpus"), 0);
}

TEST(DataScript, TatoebaSplitByDistinctEnglishSentence) {
  std::string shared = std::string(TINYNMT_SHARED_DIR) + "/data";
  if (!fs::exists(shared + "/tatoeba-fra-eng/fra.txt"))
    GTEST_SKIP() << shared << "/tatoeba-fra-eng/fra.txt is absent";
  ScratchDir d;
  ASSERT_EQ(run_get_data(d.str(), shared, "tatoeba"), 0);
  fs::path dir = d.path() / "tatoeba-fra-eng";
  std::map<std::string, std::set<std::string>> english;
  size_t total = 0;
  for (std::string split : {"train", "dev", "test"}) {
    auto en = file_lines(dir / (split + ".en"));
    auto fr = file_lines(dir / (split + ".fr"));
    ASSERT_EQ(en.size(), fr.size()) << split;
    if (split != "train") {
      EXPECT_EQ(en.size(), 2000u) << split;
    }
    english[split].insert(en.begin(), en.end());
    total += en.size();
  }
  EXPECT_EQ(total, file_lines(dir / "fra.txt").size());
  for (const auto& s : english["test"]) {
    EXPECT_EQ(english["train"].count(s), 0u) << s;
    EXPECT_EQ(english["dev"].count(s), 0u) << s;
  }
  for (const auto& s : english["dev"]) EXPECT_EQ(english["train"].count(s), 0u) << s;
  // Each split is a parallel corpus the reader accepts.
  CorpusFiles f;
  f.src = (dir / "dev.en").string();
  f.tgt = (dir / "dev.fr").string();
  EXPECT_EQ(read_parallel(f).size(), 2000u);
}
