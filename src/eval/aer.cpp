#include "eval/aer.h"

#include <fmt/format.h>

#include <stdexcept>

namespace tinynmt::eval {
GoldAlignment parse_gold_line(const std::string& line, bool one_based, const std::string& where) {
  GoldAlignment g;
  for (const auto& t : align::parse_link_tokens(line, one_based, where, "-p", "gold link",
                                                "i-j for sure or ipj for possible",
                                                "; use --one-based for 1-based files")) {
    if (t.separator == '-') {
      g.sure.insert(t.link);
    } else {
      g.possible.insert(t.link);
    }
  }
  // A link listed both ways is sure.
  for (const auto& l : g.sure) g.possible.erase(l);
  return g;
}

std::vector<GoldAlignment> read_gold_file(const std::string& path, bool one_based) {
  std::vector<GoldAlignment> out;
  align::for_each_line(path, "gold alignment file",
                       [&](const std::string& line, const std::string& where) {
                         out.push_back(parse_gold_line(line, one_based, where));
                       });
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
