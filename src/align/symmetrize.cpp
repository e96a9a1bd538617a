#include "align/symmetrize.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>

#include "util/named_values.h"

namespace tinynmt::align {
namespace {

constexpr std::array<Named<SymmetrizeMethod>, 6> kMethods = {{
    {"intersection", SymmetrizeMethod::kIntersection},
    {"union", SymmetrizeMethod::kUnion},
    {"grow", SymmetrizeMethod::kGrow},
    {"grow-diag", SymmetrizeMethod::kGrowDiag},
    {"grow-diag-final", SymmetrizeMethod::kGrowDiagFinal},
    {"grow-diag-final-and", SymmetrizeMethod::kGrowDiagFinalAnd},
}};

std::set<Link> to_set(const Alignment& links) {
  std::set<Link> out;
  for (const auto& l : links) {
    if (l.first < 0 || l.second < 0) {
      throw std::invalid_argument(
          fmt::format("symmetrize: negative index in link {}-{}", l.first, l.second));
    }
    out.insert(l);
  }
  return out;
}

// Which source and target words the growing alignment covers.
class Coverage {
 public:
  Coverage(int src_words, int tgt_words)
      : src_(static_cast<size_t>(src_words), false), tgt_(static_cast<size_t>(tgt_words), false) {}
  void add(const Link& l) {
    src_[static_cast<size_t>(l.first)] = true;
    tgt_[static_cast<size_t>(l.second)] = true;
  }
  bool src(int i) const { return src_[static_cast<size_t>(i)]; }
  bool tgt(int j) const { return tgt_[static_cast<size_t>(j)]; }

 private:
  std::vector<bool> src_, tgt_;
};

}  // namespace

SymmetrizeMethod parse_symmetrize_method(const std::string& name) {
  if (const auto* m = find_named(kMethods, name)) return *m;
  throw std::invalid_argument(
      fmt::format("unknown symmetrisation '{}' (choices: {})", name, symmetrize_method_names()));
}

std::string symmetrize_method_names() { return joined_names(kMethods); }

Alignment symmetrize(const Alignment& forward, const Alignment& reverse, SymmetrizeMethod method) {
  const auto fwd = to_set(forward), rev = to_set(reverse);
  std::set<Link> uni = fwd;
  uni.insert(rev.begin(), rev.end());
  if (method == SymmetrizeMethod::kUnion) return {uni.begin(), uni.end()};

  std::set<Link> a;
  std::set_intersection(fwd.begin(), fwd.end(), rev.begin(), rev.end(), std::inserter(a, a.end()));
  if (method == SymmetrizeMethod::kIntersection) return {a.begin(), a.end()};

  int src_words = 0, tgt_words = 0;
  for (const auto& [i, j] : uni) {
    src_words = std::max(src_words, i + 1);
    tgt_words = std::max(tgt_words, j + 1);
  }
  Coverage covered(src_words, tgt_words);
  for (const auto& l : a) covered.add(l);

  // GROW(-DIAG): links added during a pass that sort after the current one are visited in the
  // same pass (std::set iterators stay valid on insert), as in the nested loops of the
  // pseudo-code; the pass repeats until it adds nothing.
  const bool diagonal = method != SymmetrizeMethod::kGrow;
  static constexpr std::array<std::array<int, 2>, 8> kNeighbours = {
      {{-1, 0}, {0, -1}, {1, 0}, {0, 1}, {-1, -1}, {-1, 1}, {1, -1}, {1, 1}}};
  const size_t neighbours = diagonal ? 8 : 4;
  for (bool added = true; added;) {
    added = false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      for (size_t n = 0; n < neighbours; ++n) {
        const Link cand{it->first + kNeighbours[n][0], it->second + kNeighbours[n][1]};
        if (cand.first < 0 || cand.second < 0 || cand.first >= src_words ||
            cand.second >= tgt_words)
          continue;
        if (covered.src(cand.first) && covered.tgt(cand.second)) continue;
        if (!uni.count(cand) || a.count(cand)) continue;
        a.insert(cand);
        covered.add(cand);
        added = true;
      }
    }
  }

  if (method == SymmetrizeMethod::kGrowDiagFinal || method == SymmetrizeMethod::kGrowDiagFinalAnd) {
    const bool both = method == SymmetrizeMethod::kGrowDiagFinalAnd;
    for (const auto* direction : {&fwd, &rev}) {
      for (const auto& l : *direction) {
        const bool src_free = !covered.src(l.first), tgt_free = !covered.tgt(l.second);
        if (both ? (src_free && tgt_free) : (src_free || tgt_free)) {
          a.insert(l);
          covered.add(l);
        }
      }
    }
  }
  return {a.begin(), a.end()};
}

Alignment symmetrize_soft(const Matrix& forward, const Matrix& reverse, float threshold) {
  const size_t tgt_words = forward.size(), src_words = reverse.size();
  const auto shape = [](const Matrix& m) {
    return fmt::format("{}x{}", m.size(), m.empty() ? 0 : m[0].size());
  };
  const auto fits = [](const Matrix& m, size_t cols) {
    return std::all_of(m.begin(), m.end(), [cols](const auto& row) { return row.size() == cols; });
  };
  if (!fits(forward, src_words) || !fits(reverse, tgt_words)) {
    throw std::invalid_argument(fmt::format(
        "soft symmetrisation: the forward matrix is {} (target x source words), the reverse {} "
        "(source x target words): the two models see different words",
        shape(forward), shape(reverse)));
  }
  Alignment links;
  for (size_t i = 0; i < src_words; ++i) {
    for (size_t j = 0; j < tgt_words; ++j) {
      if ((forward[j][i] + reverse[i][j]) / 2 >= threshold)
        links.emplace_back(static_cast<int>(i), static_cast<int>(j));
    }
  }
  return links;
}

}  // namespace tinynmt::align
