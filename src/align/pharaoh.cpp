#include "align/pharaoh.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tinynmt::align {
namespace {

bool parse_int(const std::string& s, int& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::string format_pharaoh(const Alignment& links) {
  std::string out;
  for (size_t k = 0; k < links.size(); ++k) {
    const auto& [i, j] = links[k];
    if (i < 0 || j < 0) {
      throw std::invalid_argument(fmt::format("pharaoh: negative index in link {}-{}", i, j));
    }
    if (k) out.push_back(' ');
    out += std::to_string(i);
    out.push_back('-');
    out += std::to_string(j);
  }
  return out;
}

Alignment parse_pharaoh(const std::string& line, bool one_based, const std::string& where) {
  Alignment out;
  std::istringstream in(line);
  std::string tok;
  const int offset = one_based ? 1 : 0;
  while (in >> tok) {
    auto dash = tok.find('-');
    int i = 0, j = 0;
    if (dash == std::string::npos || !parse_int(tok.substr(0, dash), i) ||
        !parse_int(tok.substr(dash + 1), j)) {
      throw std::runtime_error(
          fmt::format("{}: bad alignment link '{}' (expected i-j with integer indices)", where,
                      tok));
    }
    if (i < offset || j < offset) {
      throw std::runtime_error(fmt::format("{}: alignment link '{}' has an index below {} ({})",
                                           where, tok, offset,
                                           one_based ? "1-based input" : "0-based input"));
    }
    out.emplace_back(i - offset, j - offset);
  }
  return out;
}

std::vector<Alignment> read_pharaoh_file(const std::string& path, bool one_based) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open alignment file", path));
  std::vector<Alignment> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(parse_pharaoh(line, one_based, fmt::format("{}:{}", path, line_no)));
  }
  return out;
}

void write_pharaoh_file(const std::string& path, const std::vector<Alignment>& sentences) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(fmt::format("{}: cannot write alignment file", path));
  for (const auto& s : sentences) out << format_pharaoh(s) << '\n';
  if (!out) throw std::runtime_error(fmt::format("{}: write failed", path));
}

}  // namespace tinynmt::align
