// The one attention interface that every mechanism implements, so any of them can be plugged into
// any decoder (RNN, Bahdanau or Luong placement; Transformer cross-attention).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>

#include "models/attention/attention_error.h"
#include "models/model_config.h"

namespace tinynmt {

/// Result of one attention call.
struct AttentionOutput {
  torch::Tensor context;  ///< [batch, tgt_len, value_dim] (value_dim after output projection
                          ///< for multihead)
  torch::Tensor weights;  ///< [batch, heads, tgt_len, src_len]; heads = 1 for additive and
                          ///< multiplicative attention. Rows sum to 1; masked positions are 0.
};

/// Keys/values prepared once per source batch (e.g. Bahdanau's U·h_j, multihead's projected K and
/// V). Computed by AttentionImpl::precompute and reused at every decoding step. Every tensor here
/// has the batch as dim 0 so that beam search can reorder it with index_select(0, ...).
struct AttentionCache {
  AttentionCache() = default;
  AttentionCache(torch::Tensor k, torch::Tensor v, torch::Tensor p = {})
      : keys(std::move(k)), values(std::move(v)), packed(std::move(p)) {}
  torch::Tensor keys;    ///< [batch, src_len, *] projected keys (layout is the module's own)
  torch::Tensor values;  ///< [batch, src_len, *] projected values (may equal keys)
  /// Optional: the buffer keys and values are views of, when one product made both (multihead:
  /// [batch, src_len, 2·model_dim], K then V), which lets the module attend without splitting
  /// them. A cache rebuilt from keys and values alone (decoding states) leaves it undefined.
  torch::Tensor packed;
  bool defined() const { return keys.defined(); }
};

/// Extra per-call information some mechanisms need.
struct AttentionExtras {
  /// Target positions of the query rows, [tgt_len] (int64). local-m uses p_t = t; if undefined,
  /// positions 0..tgt_len-1 are assumed (teacher forcing). Incremental decoding passes {t}.
  torch::Tensor positions;
  /// Source lengths, [batch] (int64): local-p scales p_t = S·sigmoid(...) with S the real
  /// source length. If undefined, S is taken from the mask.
  torch::Tensor src_lengths;
};

/// Abstract attention. Implementations: AdditiveAttention (bahdanau), MultiplicativeAttention
/// (luong-dot/general/concat), LocalAttention (local-m/local-p), MultiHeadAttention (multihead).
/// precompute() and attend() check their arguments' shapes once here and then call the
/// implementation's project() and attend_checked().
class AttentionImpl : public torch::nn::Module {
 public:
  ~AttentionImpl() override = default;

  /// Projects the keys/values that do not depend on the query, once per source batch.
  /// keys [batch, src_len, key_dim], values [batch, src_len, value_dim].
  /// Throws AttentionError naming the sizes that disagree.
  AttentionCache precompute(const torch::Tensor& keys, const torch::Tensor& values);

  /// query [batch, tgt_len, query_dim]; cache from precompute() (batch as dim 0, src_len as dim
  /// -2); mask broadcastable to [batch, tgt_len, src_len] ([batch, 1, src_len] or
  /// [batch, src_len] for padding, [1, tgt_len, tgt_len] causal), bool, true = may attend, or
  /// undefined. Every row must have at least one true position.
  /// Returns context [batch, tgt_len, value_dim] and weights [batch, heads, tgt_len, src_len]
  /// with masked (and out-of-window) positions exactly 0.
  /// Throws AttentionError naming the shapes when query, cache or mask do not fit together.
  AttentionOutput attend(const torch::Tensor& query, const AttentionCache& cache,
                         const torch::Tensor& mask, const AttentionExtras& extras = {});

  /// Convenience: precompute + attend.
  AttentionOutput forward(const torch::Tensor& query, const torch::Tensor& keys,
                          const torch::Tensor& values, const torch::Tensor& mask,
                          const AttentionExtras& extras = {}) {
    return attend(query, precompute(keys, values), mask, extras);
  }

  /// Number of heads in the returned weights.
  virtual int64_t heads() const { return 1; }
  /// Size of the context vectors returned.
  virtual int64_t output_dim() const = 0;
  /// Sizes of the query, key and value vectors the module was built for.
  int64_t query_dim() const { return query_dim_; }
  int64_t key_dim() const { return key_dim_; }
  int64_t value_dim() const { return value_dim_; }

 protected:
  /// value_dim 0 = key_dim.
  AttentionImpl(int64_t query_dim, int64_t key_dim, int64_t value_dim)
      : query_dim_(query_dim), key_dim_(key_dim), value_dim_(value_dim > 0 ? value_dim : key_dim) {}

  /// precompute() after its checks. The default stores keys and values unchanged.
  virtual AttentionCache project(const torch::Tensor& keys, const torch::Tensor& values) {
    return AttentionCache{keys, values};
  }
  /// attend() after its checks.
  virtual AttentionOutput attend_checked(const torch::Tensor& query, const AttentionCache& cache,
                                         const torch::Tensor& mask,
                                         const AttentionExtras& extras) = 0;

 private:
  int64_t query_dim_;
  int64_t key_dim_;
  int64_t value_dim_;
};

}  // namespace tinynmt
