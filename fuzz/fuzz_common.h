// Shared by the libFuzzer targets (fuzz/fuzz_*.cpp, scripts/fuzz.sh). Each target hands the
// fuzzer's bytes to one of tinynmt's readers of user files and holds it to the error contract of
// the project: bad input is reported by an exception whose message is one non-empty line naming
// the file (or config key) it came from. Anything else (a crash, a sanitizer report, another
// exception, a message without the name or over several lines) stops the fuzzer with the input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace tinynmt::fuzz {

/// A per-process scratch directory under $TMPDIR (or /tmp), created on first use.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path d = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
                              ("tinynmt_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

/// Writes `bytes` to scratch_dir()/name and returns the path.
inline std::string write_file(const std::string& name, std::string_view bytes) {
  const std::string path = (scratch_dir() / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz harness: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

/// Aborts (a finding) unless `e`'s message is one non-empty line that contains `name`.
inline void check_error(const std::exception& e, std::string_view name) {
  const std::string_view msg = e.what();
  const bool one_line = !msg.empty() && msg.find('\n') == std::string_view::npos;
  if (one_line && msg.find(name) != std::string_view::npos) return;
  std::fprintf(stderr, "error contract broken: the message %s\n---\n%s\n---\n",
               one_line ? "does not name the input" : "is empty or spans several lines",
               std::string(msg).c_str());
  std::abort();
}

/// Splits `data` at the first NUL byte: {before, after}; without one, {data, ""} and found=false.
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view data,
                                                                  bool* found) {
  const size_t nul = data.find('\0');
  *found = nul != std::string_view::npos;
  if (!*found) return {data, {}};
  return {data.substr(0, nul), data.substr(nul + 1)};
}

}  // namespace tinynmt::fuzz
