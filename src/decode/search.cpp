#include "decode/search.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "decode/search_parts.h"
#include "models/special_ids.h"

namespace tinynmt::decode {
namespace detail {

void fail(const std::string& msg) { throw std::invalid_argument("decode: " + msg); }

Prepared prepare(const torch::Tensor& src, const torch::Tensor& src_mask, const char* fn) {
  if (!src.defined() || src.dim() != 2)
    fail(fmt::format("{}: src must be [batch, src_len], got {} dims", fn,
                     src.defined() ? src.dim() : 0));
  if (!src_mask.defined() || src_mask.sizes() != src.sizes())
    fail(fmt::format("{}: src_mask must have the shape of src [{}, {}]", fn, src.size(0),
                     src.size(1)));
  Prepared p;
  p.lengths = source_lengths(src_mask);
  int64_t max_len = 0;
  for (size_t i = 0; i < p.lengths.size(); ++i) {
    if (p.lengths[i] > 0) p.run_ids.push_back(static_cast<int64_t>(i));
    max_len = std::max(max_len, p.lengths[i]);
  }
  if (p.run_ids.empty()) return p;
  torch::Tensor s = src, m = src_mask;
  if (static_cast<int64_t>(p.run_ids.size()) != src.size(0)) {
    auto idx = torch::tensor(p.run_ids, torch::kLong).to(src.device());
    s = s.index_select(0, idx);  // [run, src_len]
    m = m.index_select(0, idx);  // [run, src_len]
  }
  p.src = s.narrow(1, 0, max_len);                    // [run, max_real_len]
  p.mask = m.narrow(1, 0, max_len).to(torch::kBool);  // [run, max_real_len]
  return p;
}

void check_max_lens(const std::vector<int64_t>& max_lens, int64_t batch, const char* fn) {
  if (static_cast<int64_t>(max_lens.size()) != batch)
    fail(fmt::format("{}: {} max lengths for {} sentences", fn, max_lens.size(), batch));
  for (int64_t m : max_lens)
    if (m < 1) fail(fmt::format("{}: max length must be >= 1, got {}", fn, m));
}

torch::Tensor banned_ids(const torch::Device& device) {
  return torch::tensor(std::vector<int64_t>{kPadId, kBosId}, torch::kLong).to(device);  // [2]
}

torch::Tensor empty_attention(Seq2SeqImpl& model, int64_t tgt_len, int64_t src_len,
                              int64_t layers) {
  return torch::zeros(
      {layers < 0 ? model.attention_layers() : layers, model.attention_heads(), tgt_len, src_len});
}

std::vector<torch::Tensor> gather_attention(const std::vector<torch::Tensor>& steps,
                                            const std::vector<std::vector<int64_t>>& rows,
                                            const std::vector<int64_t>& src_lens) {
  std::vector<torch::Tensor> out(rows.size());
  if (steps.empty()) return out;
  std::vector<int64_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  auto all = torch::cat(steps, 0);  // [sum rows_t, layers, heads, src_len]
  auto idx = torch::tensor(flat, torch::kLong).to(all.device());
  auto sel = all.index_select(0, idx).to(torch::kCPU, torch::kFloat);  // [n, L, H, S]
  int64_t off = 0;
  for (size_t h = 0; h < rows.size(); ++h) {
    auto len = static_cast<int64_t>(rows[h].size());
    out[h] = sel.narrow(0, off, len)         // [len, L, H, S]
                 .narrow(3, 0, src_lens[h])  // [len, L, H, src_len_h]
                 .permute({1, 2, 0, 3})      // [L, H, len, src_len_h]
                 .contiguous();
    off += len;
  }
  return out;
}

}  // namespace detail

using detail::fail;

LengthPenaltyForm parse_length_penalty_form(const std::string& name) {
  if (name == "gnmt") return LengthPenaltyForm::kGnmt;
  if (name == "average") return LengthPenaltyForm::kAverage;
  fail(fmt::format("length penalty '{}' is not one of gnmt, average", name));
}

double length_penalty(int64_t length, double alpha, LengthPenaltyForm form, bool ends_with_eos) {
  if (alpha < 0) fail(fmt::format("length penalty alpha must be >= 0, got {}", alpha));
  if (length < 0) fail(fmt::format("length penalty of a negative length {}", length));
  if (ends_with_eos && length == 0)
    fail("length penalty: a hypothesis ending with EOS has >= 1 id");
  if (alpha == 0) return 1.0;
  if (form == LengthPenaltyForm::kAverage) {
    const int64_t words = length - (ends_with_eos ? 1 : 0);
    return std::pow(static_cast<double>(std::max<int64_t>(1, words)), alpha);
  }
  return std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
}

std::vector<int64_t> source_lengths(const torch::Tensor& src_mask) {
  if (!src_mask.defined() || src_mask.dim() != 2)
    fail("source_lengths: src_mask must be [batch, src_len]");
  auto lens = src_mask.ne(0).sum(1).to(torch::kCPU, torch::kLong).contiguous();  // [batch]
  return std::vector<int64_t>(lens.data_ptr<int64_t>(), lens.data_ptr<int64_t>() + lens.numel());
}

std::vector<int64_t> max_target_lengths(const std::vector<int64_t>& src_lengths, double ratio,
                                        int64_t extra) {
  if (!(ratio >= 0)) fail(fmt::format("max_len_ratio must be >= 0, got {}", ratio));
  std::vector<int64_t> out;
  out.reserve(src_lengths.size());
  for (int64_t n : src_lengths) {
    auto m = static_cast<int64_t>(std::ceil(ratio * static_cast<double>(n))) + extra;
    if (m < 1) fail(fmt::format("max output length ceil({} * {}) + {} is < 1", ratio, n, extra));
    out.push_back(m);
  }
  return out;
}

std::vector<std::vector<Hypothesis>> search(Seq2SeqImpl& model, const torch::Tensor& src,
                                            const torch::Tensor& src_mask,
                                            const SearchOptions& options) {
  const bool one_best = options.beam == 1 && options.n_best == 1;
  if (options.strategy == SearchStrategy::kBeam && !one_best)
    return beam_search(model, src, src_mask, options);
  if (options.strategy != SearchStrategy::kBeam && options.n_best != 1)
    fail(
        fmt::format("search: greedy search and sampling give one hypothesis per sentence, "
                    "n_best must be 1, got {}",
                    options.n_best));
  std::vector<int64_t> max_lens = options.max_lens;
  if (max_lens.empty())
    max_lens =
        max_target_lengths(source_lengths(src_mask), options.max_len_ratio, options.max_len_extra);
  std::vector<Hypothesis> hyps =
      options.strategy == SearchStrategy::kSample
          ? sample_search(model, src, src_mask, max_lens, options.sampling,
                          options.capture_attention, options.alpha, options.length_penalty)
          : greedy_search(model, src, src_mask, max_lens, options.capture_attention, options.alpha,
                          options.length_penalty);
  std::vector<std::vector<Hypothesis>> out;
  out.reserve(hyps.size());
  for (auto& h : hyps) out.push_back({std::move(h)});
  return out;
}

}  // namespace tinynmt::decode
