// The one attention interface that every mechanism implements, so any of them can be plugged into
// any decoder (RNN, Bahdanau or Luong placement; Transformer cross-attention).
#pragma once

#include <torch/torch.h>

#include <utility>

#include <memory>

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
  torch::Tensor keys;       ///< [batch, src_len, *] projected keys (layout is the module's own)
  torch::Tensor values;     ///< [batch, src_len, *] projected values (may equal keys)
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
class AttentionImpl : public torch::nn::Module {
 public:
  ~AttentionImpl() override = default;

  /// Projects the keys/values that do not depend on the query, once per source batch.
  /// keys/values: [batch, src_len, key_dim]. The default stores them unchanged.
  virtual AttentionCache precompute(const torch::Tensor& keys, const torch::Tensor& values) {
    return AttentionCache{keys, values};
  }

  /// query [batch, tgt_len, query_dim]; cache from precompute(); mask broadcastable to
  /// [batch, tgt_len, src_len] ([batch, 1, src_len] for padding, [1, tgt_len, tgt_len] causal),
  /// bool, true = may attend. Every row must have at least one true position.
  /// Returns context [batch, tgt_len, value_dim] and weights [batch, heads, tgt_len, src_len]
  /// with masked (and out-of-window) positions exactly 0.
  virtual AttentionOutput attend(const torch::Tensor& query, const AttentionCache& cache,
                                 const torch::Tensor& mask, const AttentionExtras& extras = {}) = 0;

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
};

}  // namespace tinynmt
