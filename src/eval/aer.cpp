#include "eval/aer.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tinynmt::eval {
namespace {

bool parse_int(const std::string& s, int& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

GoldAlignment parse_gold_line(const std::string& line, bool one_based, const std::string& where) {
  GoldAlignment g;
  std::istringstream in(line);
  std::string tok;
  const int offset = one_based ? 1 : 0;
  while (in >> tok) {
    size_t sep = tok.find_first_of("-p");
    int i = 0, j = 0;
    if (sep == std::string::npos || !parse_int(tok.substr(0, sep), i) ||
        !parse_int(tok.substr(sep + 1), j)) {
      throw std::runtime_error(fmt::format(
          "{}: bad gold link '{}' (expected i-j for sure or ipj for possible)", where, tok));
    }
    if (i < offset || j < offset) {
      throw std::runtime_error(fmt::format(
          "{}: gold link '{}' has an index below {} ({}; use --one-based for 1-based files)",
          where, tok, offset, one_based ? "1-based input" : "0-based input"));
    }
    align::Link link{i - offset, j - offset};
    if (tok[sep] == '-') {
      g.sure.insert(link);
    } else {
      g.possible.insert(link);
    }
  }
  // A link listed both ways is sure.
  for (const auto& l : g.sure) g.possible.erase(l);
  return g;
}

std::vector<GoldAlignment> read_gold_file(const std::string& path, bool one_based) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open gold alignment file", path));
  std::vector<GoldAlignment> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(parse_gold_line(line, one_based, fmt::format("{}:{}", path, line_no)));
  }
  return out;
}

AerResult compute_aer(const std::vector<GoldAlignment>& gold,
                      const std::vector<align::Alignment>& predicted) {
  if (gold.size() != predicted.size()) {
    throw std::invalid_argument(fmt::format("AER: {} gold sentences but {} predicted sentences",
                                            gold.size(), predicted.size()));
  }
  AerResult r;
  r.sentences = static_cast<long>(gold.size());
  for (size_t k = 0; k < gold.size(); ++k) {
    const std::set<align::Link> a(predicted[k].begin(), predicted[k].end());
    const auto& g = gold[k];
    r.predicted += static_cast<long>(a.size());
    r.sure += static_cast<long>(g.sure.size());
    r.possible += static_cast<long>(g.sure.size() + g.possible.size());
    for (const auto& l : a) {
      const bool s = g.sure.count(l) > 0;
      const bool p = s || g.possible.count(l) > 0;
      r.hit_sure += s;
      r.hit_possible += p;
    }
  }
  r.precision = r.predicted > 0 ? static_cast<double>(r.hit_possible) / r.predicted : 1.0;
  r.recall = r.sure > 0 ? static_cast<double>(r.hit_sure) / r.sure : 1.0;
  const long denom = r.predicted + r.sure;
  r.aer = denom > 0 ? 1.0 - static_cast<double>(r.hit_sure + r.hit_possible) / denom : 0.0;
  return r;
}

}  // namespace tinynmt::eval
