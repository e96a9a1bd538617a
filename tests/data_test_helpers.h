// Test helpers for data/: a fresh temporary directory per test, the message of a DataError, and a
// small deterministic parallel corpus.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/corpus.h"

namespace tinynmt::test_files {

// A fresh temporary directory per test, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("tinynmt_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name, const std::string& content) const {
    std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string str() const { return path_.string(); }
  std::filesystem::path path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs f and returns the DataError message ("" if nothing was thrown).
template <typename F>
std::string data_error(F f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

// A small deterministic corpus: German-ish sources, English-ish targets.
inline void tiny_corpus(std::vector<std::string>& src, std::vector<std::string>& tgt, int n = 400) {
  const std::vector<std::string> de_subj = {"Ein Mann", "Eine Frau", "Ein Kind", "Zwei Hunde",
                                            "Ein Mädchen"};
  const std::vector<std::string> en_subj = {"A man", "A woman", "A child", "Two dogs", "A girl"};
  const std::vector<std::string> de_verb = {"läuft", "spielt", "sitzt", "springt"};
  const std::vector<std::string> en_verb = {"runs", "plays", "sits", "jumps"};
  const std::vector<std::string> de_place = {"im Park", "am Strand", "auf der Straße", "im Schnee",
                                             "vor dem Haus"};
  const std::vector<std::string> en_place = {"in the park", "on the beach", "on the street",
                                             "in the snow", "in front of the house"};
  for (int i = 0; i < n; ++i) {
    int a = i % 5, b = (i / 5) % 4, c = (i / 20) % 5;
    src.push_back(de_subj[a] + " " + de_verb[b] + " " + de_place[c] + ".");
    tgt.push_back(en_subj[a] + " " + en_verb[b] + " " + en_place[c] + ".");
  }
}

}  // namespace tinynmt::test_files
