// Test helpers for data/: a fresh temporary directory per test, and the message of a DataError.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

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

}  // namespace tinynmt::test_files
