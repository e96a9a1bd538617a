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

Alignment invert(const Alignment& links) {
  Alignment out;
  out.reserve(links.size());
  for (const auto& [i, j] : links) out.emplace_back(j, i);
  return out;
}

std::vector<LinkToken> parse_link_tokens(const std::string& line, bool one_based,
                                         const std::string& where, const std::string& separators,
                                         const std::string& kind, const std::string& expected,
                                         const std::string& hint) {
  std::vector<LinkToken> out;
  std::istringstream in(line);
  std::string tok;
  const int offset = one_based ? 1 : 0;
  while (in >> tok) {
    const size_t sep = tok.find_first_of(separators);
    int i = 0, j = 0;
    if (sep == std::string::npos || !parse_int(tok.substr(0, sep), i) ||
        !parse_int(tok.substr(sep + 1), j)) {
      throw std::runtime_error(
          fmt::format("{}: bad {} '{}' (expected {})", where, kind, tok, expected));
    }
    if (i < offset || j < offset) {
      throw std::runtime_error(fmt::format("{}: {} '{}' has an index below {} ({}{})", where, kind,
                                           tok, offset,
                                           one_based ? "1-based input" : "0-based input", hint));
    }
    out.push_back({{i - offset, j - offset}, tok[sep]});
  }
  return out;
}

Alignment parse_pharaoh(const std::string& line, bool one_based, const std::string& where) {
  Alignment out;
  for (const auto& t :
       parse_link_tokens(line, one_based, where, "-", "alignment link", "i-j with integer indices"))
    out.push_back(t.link);
  return out;
}

void for_each_line(
    const std::string& path, const std::string& what,
    const std::function<void(const std::string& line, const std::string& where)>& on_line) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open {}", path, what));
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    on_line(line, fmt::format("{}:{}", path, line_no));
  }
}

std::vector<Alignment> read_pharaoh_file(const std::string& path, bool one_based) {
  std::vector<Alignment> out;
  for_each_line(path, "alignment file", [&](const std::string& line, const std::string& where) {
    out.push_back(parse_pharaoh(line, one_based, where));
  });
  return out;
}

void write_pharaoh_file(const std::string& path, const std::vector<Alignment>& sentences) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(fmt::format("{}: cannot write alignment file", path));
  for (const auto& s : sentences) out << format_pharaoh(s) << '\n';
  if (!out) throw std::runtime_error(fmt::format("{}: write failed", path));
}

}  // namespace tinynmt::align
