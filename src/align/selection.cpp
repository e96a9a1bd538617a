#include "align/selection.h"

#include <fmt/format.h>

#include <stdexcept>

namespace tinynmt::align {

int parse_selection(const std::string& s, int n, const std::string& what,
                    const std::string& holder) {
  if (s == "mean") return kMeanOf;
  int v = 0;
  try {
    size_t used = 0;
    v = std::stoi(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
  } catch (const std::exception&) {
    throw SelectionError(fmt::format("{} '{}': expected an index or 'mean'", what, s));
  }
  if (v < -n || v >= n) {
    throw SelectionError(
        fmt::format("{} {} out of range (the {} has {} {}s)", what, v, holder, n, what));
  }
  return v < 0 ? v + n : v;
}

std::vector<const Matrix*> select_matrices(const LayerHeadMatrices& m, int layer, int head) {
  if (m.empty() || m[0].empty()) throw std::invalid_argument("select_layer_head: no matrices");
  const int nl = static_cast<int>(m.size()), nh = static_cast<int>(m[0].size());
  if (layer < kMeanOf || layer >= nl || head < kMeanOf || head >= nh) {
    throw std::invalid_argument(fmt::format(
        "select_layer_head: layer {} / head {} for {} layers of {} heads", layer, head, nl, nh));
  }
  std::vector<const Matrix*> chosen;
  for (int li = 0; li < nl; ++li) {
    if (layer >= 0 && li != layer) continue;
    if (static_cast<int>(m[li].size()) != nh) {
      throw std::invalid_argument(fmt::format(
          "select_layer_head: layer {} has {} heads, layer 0 has {}", li, m[li].size(), nh));
    }
    for (int hi = 0; hi < nh; ++hi)
      if (head < 0 || hi == head) chosen.push_back(&m[li][hi]);
  }
  return chosen;
}

Matrix mean_of(const std::vector<const Matrix*>& ms, MeanRounding rounding) {
  if (ms.empty()) throw std::invalid_argument("mean_matrix: no matrices");
  Matrix mean = *ms.front();
  for (size_t c = 1; c < ms.size(); ++c) {
    const auto& x = *ms[c];
    if (x.size() != mean.size())
      throw std::invalid_argument("mean_matrix: matrices have different shapes");
    for (size_t r = 0; r < mean.size(); ++r) {
      if (x[r].size() != mean[r].size())
        throw std::invalid_argument("mean_matrix: matrices have different shapes");
      for (size_t s = 0; s < mean[r].size(); ++s) mean[r][s] += x[r][s];
    }
  }
  const float n = static_cast<float>(ms.size());
  if (rounding == MeanRounding::kDivide) {
    for (auto& row : mean)
      for (auto& v : row) v /= n;
  } else {
    const float inv = 1.0f / n;
    for (auto& row : mean)
      for (auto& v : row) v *= inv;
  }
  return mean;
}

Matrix select_layer_head(const LayerHeadMatrices& m, const std::string& layer,
                         const std::string& head) {
  if (m.empty() || m[0].empty()) throw std::invalid_argument("select_layer_head: no matrices");
  const int l = parse_selection(layer, static_cast<int>(m.size()), "layer");
  const int h = parse_selection(head, static_cast<int>(m[0].size()), "head");
  return mean_of(select_matrices(m, l, h), MeanRounding::kMultiplyByInverse);
}

}  // namespace tinynmt::align
