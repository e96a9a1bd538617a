#include "models/attention/attention.h"

#include <sstream>

namespace tinynmt {
namespace {

std::string shape(const torch::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

[[noreturn]] void shape_error(const std::string& what) { throw AttentionError("", what); }

}  // namespace

AttentionCache AttentionImpl::precompute(const torch::Tensor& keys, const torch::Tensor& values) {
  // The message prefix is built only when a check fails: attend() runs at every decoding step.
  auto head = [&] { return "precompute: keys " + shape(keys) + " and values " + shape(values); };
  if (!keys.defined() || !values.defined() || keys.dim() != 3 || values.dim() != 3)
    shape_error(head() + ": expected [batch, src_len, key_dim] and [batch, src_len, value_dim]");
  if (keys.size(0) != values.size(0) || keys.size(1) != values.size(1))
    shape_error(head() + ": batch " + std::to_string(keys.size(0)) + " vs " +
                std::to_string(values.size(0)) + ", src_len " + std::to_string(keys.size(1)) +
                " vs " + std::to_string(values.size(1)));
  if (keys.size(2) != key_dim_ || values.size(2) != value_dim_)
    shape_error(head() + ": key_dim expected " + std::to_string(key_dim_) +
                ", value_dim expected " + std::to_string(value_dim_));
  return project(keys, values);
}

AttentionOutput AttentionImpl::attend(const torch::Tensor& query, const AttentionCache& cache,
                                      const torch::Tensor& mask, const AttentionExtras& extras) {
  const auto& keys = cache.keys;
  auto head = [&] { return "attend: query " + shape(query) + " and keys " + shape(keys); };
  if (!query.defined() || query.dim() != 3)
    shape_error(head() + ": query must be [batch, tgt_len, query_dim]");
  if (!keys.defined() || !cache.values.defined() || keys.dim() < 3)
    shape_error(head() + ": the cache must come from precompute()");
  const int64_t batch = query.size(0), tgt_len = query.size(1), src_len = keys.size(-2);
  if (keys.size(0) != batch || cache.values.size(0) != batch || query.size(2) != query_dim_ ||
      cache.values.size(-2) != src_len)
    shape_error(head() + ": batch " + std::to_string(batch) + " vs " +
                std::to_string(keys.size(0)) + ", query_dim expected " +
                std::to_string(query_dim_) + ", values " + shape(cache.values));
  if (mask.defined()) {
    const bool ok = (mask.dim() == 2 || mask.dim() == 3) && mask.size(-1) == src_len &&
                    (mask.size(0) == 1 || mask.size(0) == batch) &&
                    (mask.dim() == 2 || mask.size(1) == 1 || mask.size(1) == tgt_len);
    if (!ok)
      shape_error(head() + ": mask " + shape(mask) + " does not broadcast to [" +
                  std::to_string(batch) + ", " + std::to_string(tgt_len) + ", " +
                  std::to_string(src_len) + "]");
  }
  if (extras.positions.defined() && extras.positions.numel() != tgt_len)
    shape_error(head() + ": positions " + shape(extras.positions) + " expected " +
                std::to_string(tgt_len) + " (tgt_len) values");
  if (extras.src_lengths.defined() && extras.src_lengths.numel() != batch)
    shape_error(head() + ": src_lengths " + shape(extras.src_lengths) + " expected " +
                std::to_string(batch) + " (batch) values");
  return attend_checked(query, cache, mask, extras);
}

}  // namespace tinynmt
