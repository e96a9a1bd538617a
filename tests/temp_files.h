// Test helpers for files: a per-process temporary path and a whole-file read.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tinynmt::test_files {

/// TMPDIR/tinynmt_test_<suite>_<pid>_<name>.
inline std::string temp_file(const std::string& suite, const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("tinynmt_test_" + suite + "_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

/// The bytes of the file at path ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tinynmt::test_files
