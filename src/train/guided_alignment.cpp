#include "train/guided_alignment.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <stdexcept>

namespace tinynmt {

GuidedHead guided_head(const Config& cfg) {
  const auto& g = cfg.training.guided_alignment;
  GuidedHead h;
  h.layer = g.layer >= 0 ? g.layer : std::max<int64_t>(0, cfg.model.decoder.layers - 2);
  h.head = g.head;
  h.full_context = g.full_context;
  return h;
}

int64_t supervised_rows(const align::PieceLinks& links, int64_t tgt_pieces) {
  if (tgt_pieces > 0 && !links.empty()) return tgt_pieces;
  int64_t n = 0;
  for (size_t k = 0; k < links.size(); ++k)
    if (k == 0 || links[k].second != links[k - 1].second) ++n;  // sorted by target piece
  return n;
}

std::vector<NullColumn> null_columns(const EncodedCorpus& data,
                                     const std::vector<int64_t>& indices) {
  std::vector<NullColumn> out;
  out.reserve(indices.size());
  for (int64_t k : indices) {
    const auto u = static_cast<size_t>(k);
    out.push_back({static_cast<int64_t>(data.tgt.at(u).size()),
                   static_cast<int64_t>(data.src.at(u).size()) - 1});
  }
  return out;
}

namespace {

// G_{t,EOS} = 1 for the target pieces t < n.tgt_pieces of row r without a link (l sorted by
// target piece).
void add_null_rows(torch::TensorAccessor<float, 2> a, const align::PieceLinks& l,
                   const NullColumn& n) {
  const int64_t tgt_len = a.size(0), src_len = a.size(1);
  if (n.tgt_pieces > tgt_len || n.src_eos < 0 || n.src_eos >= src_len)
    throw std::invalid_argument(
        fmt::format("guidance_matrix: NULL rows of {} pieces onto column {} outside [{}, {}]",
                    n.tgt_pieces, n.src_eos, tgt_len, src_len));
  size_t k = 0;
  for (int64_t t = 0; t < n.tgt_pieces; ++t) {
    while (k < l.size() && l[k].second < t) ++k;
    if (k == l.size() || l[k].second != t) a[t][n.src_eos] = 1.0f;
  }
}

}  // namespace

torch::Tensor guidance_matrix(const std::vector<align::PieceLinks>& links,
                              const std::vector<int64_t>& indices, int64_t tgt_len, int64_t src_len,
                              const std::vector<NullColumn>& null) {
  const auto rows = static_cast<int64_t>(indices.size());
  if (!null.empty() && null.size() != indices.size())
    throw std::invalid_argument(
        fmt::format("guidance_matrix: {} NULL columns for {} rows", null.size(), indices.size()));
  auto g = torch::zeros({rows, tgt_len, src_len});  // [B, T, S]
  auto a = g.accessor<float, 3>();
  for (int64_t r = 0; r < rows; ++r) {
    const auto& l = links.at(static_cast<size_t>(indices[r]));
    if (!null.empty() && !l.empty()) add_null_rows(a[r], l, null[static_cast<size_t>(r)]);
    for (size_t k = 0; k < l.size();) {  // one run of links per target piece (sorted)
      size_t end = k;
      while (end < l.size() && l[end].second == l[k].second) ++end;
      const int64_t t = l[k].second;
      const float w = 1.0f / static_cast<float>(end - k);
      for (; k < end; ++k) {
        const int64_t s = l[k].first;
        if (t >= tgt_len || s >= src_len)
          throw std::invalid_argument(
              fmt::format("guidance_matrix: link {}-{} outside [{}, {}]", s, t, tgt_len, src_len));
        a[r][t][s] = w;
      }
    }
  }
  return g;
}

torch::Tensor guided_alignment_loss(const torch::Tensor& log_attention,
                                    const torch::Tensor& guidance) {
  if (log_attention.sizes() != guidance.sizes())
    throw std::invalid_argument(
        fmt::format("guided_alignment_loss: log-attention [{}] but guidance [{}]",
                    fmt::join(log_attention.sizes(), ", "), fmt::join(guidance.sizes(), ", ")));
  auto supervised = guidance.gt(0);  // [B, T, S]
  auto log_a = log_attention.to(torch::kFloat).masked_fill(supervised.logical_not(), 0.0);
  return -(guidance * log_a).sum();  // []
}

}  // namespace tinynmt
