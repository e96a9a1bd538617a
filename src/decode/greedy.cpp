// Greedy search, and the batched one-token-per-step loop it shares with sampling.
#include <fmt/format.h>

#include <numeric>
#include <utility>

#include "decode/search.h"
#include "decode/search_parts.h"
#include "models/special_ids.h"

namespace tinynmt::decode {
namespace detail {

std::vector<Hypothesis> stepwise_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                        const torch::Tensor& src_mask,
                                        const std::vector<int64_t>& max_lens,
                                        bool capture_attention, double alpha,
                                        LengthPenaltyForm form, const TokenChooser& choose,
                                        const char* fn) {
  torch::NoGradGuard no_grad;
  Prepared p = prepare(src, src_mask, fn);
  const auto batch = static_cast<int64_t>(p.lengths.size());
  check_max_lens(max_lens, batch, fn);
  length_penalty(1, alpha, form);  // validates alpha

  std::vector<Hypothesis> out(batch);
  if (capture_attention)
    for (auto& h : out) h.attention = empty_attention(model, 0);
  const auto n = static_cast<int64_t>(p.run_ids.size());
  if (n == 0) return out;
  const torch::Device device = src.device();

  EncoderOutput enc = model.encode(p.src, p.mask);
  DecoderState state = model.init_state(enc);

  std::vector<int64_t> alive(n);  // row i of the batch -> run index
  std::iota(alive.begin(), alive.end(), 0);
  std::vector<std::vector<int64_t>> tokens(n), att_rows(n);
  std::vector<double> scores(n, 0.0);
  std::vector<torch::Tensor> att_steps;
  int64_t att_offset = 0;

  auto prev = torch::full({n}, kBosId, torch::TensorOptions().dtype(torch::kLong).device(device));
  const auto banned = banned_ids(device);
  torch::Tensor cum;  // [rows] running log-prob in the model's dtype (same adds as beam search)
  while (!alive.empty()) {
    const auto rows = static_cast<int64_t>(alive.size());
    StepOutput step = model.decode_step(prev, state);
    step.log_probs.index_fill_(1, banned, -INFINITY);  // never emit PAD or BOS
    auto [values, next] = choose(step.log_probs);      // [rows], [rows] int64
    cum = cum.defined() ? cum + values : torch::zeros_like(values) + values;
    if (capture_attention) att_steps.push_back(step.attention);  // [rows, L, H, S]
    // One host transfer per step: the chosen ids and the running scores.
    auto host = torch::stack({next.to(torch::kDouble), cum.to(torch::kDouble)})
                    .to(torch::kCPU)
                    .contiguous();  // [2, rows]
    auto acc = host.accessor<double, 2>();
    std::vector<int64_t> keep;
    keep.reserve(rows);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t r = alive[i];
      const auto tok = static_cast<int64_t>(acc[0][i]);
      tokens[r].push_back(tok);
      att_rows[r].push_back(att_offset + i);
      if (tok == kEosId || static_cast<int64_t>(tokens[r].size()) >= max_lens[p.run_ids[r]])
        scores[r] = acc[1][i];
      else
        keep.push_back(i);
    }
    att_offset += rows;
    if (keep.empty()) break;
    if (static_cast<int64_t>(keep.size()) < rows) {
      auto idx = torch::tensor(keep, torch::kLong).to(device);  // [kept]
      state.select(idx);
      next = next.index_select(0, idx);
      cum = cum.index_select(0, idx);
      std::vector<int64_t> still;
      still.reserve(keep.size());
      for (int64_t i : keep) still.push_back(alive[i]);
      alive.swap(still);
    }
    prev = next;
  }

  std::vector<torch::Tensor> att;
  if (capture_attention) {
    std::vector<int64_t> src_lens(n);
    for (int64_t r = 0; r < n; ++r) src_lens[r] = p.lengths[p.run_ids[r]];
    att = gather_attention(att_steps, att_rows, src_lens);
  }
  for (int64_t r = 0; r < n; ++r) {
    Hypothesis& h = out[p.run_ids[r]];
    h.tokens = std::move(tokens[r]);
    h.score = scores[r];
    const bool eos = !h.tokens.empty() && h.tokens.back() == kEosId;
    h.normalized_score =
        h.score / length_penalty(static_cast<int64_t>(h.tokens.size()), alpha, form, eos);
    if (capture_attention) h.attention = att[r];
  }
  return out;
}

}  // namespace detail

std::vector<Hypothesis> greedy_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const torch::Tensor& src_mask, int64_t max_len,
                                      bool capture_attention, double alpha,
                                      LengthPenaltyForm form) {
  if (!src.defined() || src.dim() != 2) detail::fail("greedy_search: src must be [batch, src_len]");
  return greedy_search(model, src, src_mask, std::vector<int64_t>(src.size(0), max_len),
                       capture_attention, alpha, form);
}

std::vector<Hypothesis> greedy_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const torch::Tensor& src_mask,
                                      const std::vector<int64_t>& max_lens, bool capture_attention,
                                      double alpha, LengthPenaltyForm form) {
  auto arg_max = [](const torch::Tensor& log_probs) {
    auto best = log_probs.max(1);                                 // ([rows], [rows])
    return std::make_pair(std::get<0>(best), std::get<1>(best));  // values, ids (int64)
  };
  return detail::stepwise_search(model, src, src_mask, max_lens, capture_attention, alpha, form,
                                 arg_max, "greedy_search");
}

}  // namespace tinynmt::decode
