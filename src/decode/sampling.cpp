// Ancestral sampling with temperature, top-k (Fan et al. 2018, "Hierarchical Neural Story
// Generation", §5.4) and nucleus / top-p (Holtzman et al. 2020, "The Curious Case of Neural Text
// Degeneration", §3.1) truncation, batched like greedy search.
#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <utility>

#include "decode/search.h"
#include "decode/search_parts.h"

namespace tinynmt::decode {
namespace {

// Keeps `keep` ([rows, V] bool) of x and sets the rest to -inf.
torch::Tensor keep_only(const torch::Tensor& x, const torch::Tensor& keep) {
  return x.masked_fill(keep.logical_not(), -INFINITY);  // [rows, V]
}

// A uniform double in [0, 1) from 53 random bits (the same on every standard library).
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Draws one id per row of probs [rows, V] (double, CPU, contiguous; rows need not sum to 1) by
// inverting the cumulative sum at a uniform point. Ids of probability 0 are never drawn.
std::vector<int64_t> draw(const torch::Tensor& probs, std::mt19937_64& rng) {
  const int64_t rows = probs.size(0), V = probs.size(1);
  auto acc = probs.accessor<double, 2>();
  std::vector<int64_t> ids(rows, 0);
  for (int64_t i = 0; i < rows; ++i) {
    double total = 0.0;
    for (int64_t v = 0; v < V; ++v) total += acc[i][v];
    const double u = uniform01(rng) * total;
    double run = 0.0;
    int64_t last = -1;  // the last id of nonzero probability (rounding at the top end)
    for (int64_t v = 0; v < V; ++v) {
      if (acc[i][v] <= 0.0) continue;
      last = v;
      run += acc[i][v];
      if (run > u) break;
    }
    if (last < 0) detail::fail("sample_search: a row with no token left to draw");
    ids[i] = last;
  }
  return ids;
}

}  // namespace

torch::Tensor sampling_log_probs(const torch::Tensor& log_probs, const SamplingOptions& o) {
  if (!(o.temperature > 0))
    detail::fail(fmt::format("sampling: temperature must be > 0, got {}", o.temperature));
  if (o.top_k < 0) detail::fail(fmt::format("sampling: top_k must be >= 0, got {}", o.top_k));
  if (!(o.top_p > 0 && o.top_p <= 1))
    detail::fail(fmt::format("sampling: top_p must be in (0, 1], got {}", o.top_p));
  if (!log_probs.defined() || log_probs.dim() != 2)
    detail::fail("sampling: log_probs must be [rows, vocab]");
  auto x = torch::log_softmax(log_probs / o.temperature, 1);  // [rows, V]
  const int64_t V = x.size(1);
  if (o.top_k > 0 && o.top_k < V) {
    auto idx = std::get<1>(x.topk(o.top_k, 1));  // [rows, k]
    x = keep_only(x, torch::zeros_like(x, torch::kBool).scatter_(1, idx, true));
  }
  if (o.top_p < 1) {
    auto sorted = x.sort(1, /*descending=*/true);  // ([rows, V], [rows, V])
    auto p = std::get<0>(sorted).exp();            // [rows, V] probabilities, descending
    // Keep a token while the mass before it is below top_p: the first always stays.
    auto keep_sorted = (p.cumsum(1) - p).lt(o.top_p);  // [rows, V]
    auto keep = torch::zeros_like(x, torch::kBool).scatter_(1, std::get<1>(sorted), keep_sorted);
    x = keep_only(x, keep);
  }
  return torch::log_softmax(x, 1);  // [rows, V], renormalised over the kept tokens
}

std::vector<Hypothesis> sample_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const torch::Tensor& src_mask,
                                      const std::vector<int64_t>& max_lens,
                                      const SamplingOptions& options, bool capture_attention,
                                      double alpha, LengthPenaltyForm form) {
  sampling_log_probs(torch::zeros({1, 1}), options);  // validates the options
  std::mt19937_64 rng(options.seed);
  auto choose = [&](const torch::Tensor& log_probs) {
    auto probs = sampling_log_probs(log_probs, options)
                     .exp()
                     .to(torch::kCPU, torch::kDouble)
                     .contiguous();                                                    // [rows, V]
    auto next = torch::tensor(draw(probs, rng), torch::kLong).to(log_probs.device());  // [rows]
    auto values = log_probs.gather(1, next.unsqueeze(1)).squeeze(1);  // [rows] model log-probs
    return std::make_pair(values, next);
  };
  return detail::stepwise_search(model, src, src_mask, max_lens, capture_attention, alpha, form,
                                 choose, "sample_search");
}

}  // namespace tinynmt::decode
