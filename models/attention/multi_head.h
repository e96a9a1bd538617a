// Multi-head scaled dot-product attention (Vaswani et al. 2017, "Attention Is All You Need",
// §3.2.1 eq. (1) and §3.2.2): head_i = softmax(Q W_i^Q (K W_i^K)^T / sqrt(d_k)) V W_i^V,
// MultiHead = Concat(head_1..head_h) W^O.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "models/attention/attention.h"
#include "models/attention/packed_attention.h"
#include "models/attention/registry.h"
#include "models/dropout.h"
#include "models/int8_linear.h"

namespace tinynmt {

struct MultiHeadAttentionOptions {
  MultiHeadAttentionOptions(int64_t query_dim, int64_t key_dim, int64_t model_dim, int64_t heads)
      : query_dim_(query_dim), key_dim_(key_dim), model_dim_(model_dim), heads_(heads) {}
  TORCH_ARG(int64_t, query_dim);
  TORCH_ARG(int64_t, key_dim);
  TORCH_ARG(int64_t, model_dim);  ///< d_model: projection size and output size
  TORCH_ARG(int64_t, heads);
  TORCH_ARG(int64_t, value_dim) = 0;  ///< 0 = key_dim
  TORCH_ARG(double, dropout) = 0.0;   ///< on the attention weights (training only)
};

/// `multihead`. precompute() projects K and V once: cache.keys/values [batch, heads, src_len, d_k]
/// (d_k = model_dim / heads); for keys and values of one tensor, by one product, and then
/// cache.packed is the [batch, src_len, 2·model_dim] buffer they are views of. On float32 CPU
/// tensors, self_attend() and attend() with such a cache run packed_attention
/// (models/attention/packed_attention.h) on the projection buffers; otherwise (CUDA, a cache
/// rebuilt from keys and values) the scores, softmax, dropout and context are separate ops.
/// attend() returns context [batch, tgt_len, model_dim] (after W^O) and the per-head weights
/// [batch, heads, tgt_len, src_len] (before dropout). Parameters are laid out like
/// torch::nn::MultiheadAttention's (q/k/v/out projections with biases). Throws
/// AttentionError("heads", ...) if model_dim is not divisible by heads (check_heads).
class MultiHeadAttentionImpl : public AttentionImpl {
 public:
  explicit MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options);
  /// Self-attention, query = keys = values = x [batch, len, query_dim] (query_dim == key_dim ==
  /// value_dim, else std::invalid_argument): the same result as attend(x, precompute(x, x),
  /// mask), with Q, K and V projected by one product x·[W^Q; W^K; W^V]^T, so x is read once and
  /// its gradient comes out of one product instead of three summed. When kv is given, the
  /// projected keys and values ([batch, heads, len, d_k]) are stored there (a decoder's cache).
  AttentionOutput self_attend(const torch::Tensor& x, const torch::Tensor& mask,
                              AttentionCache* kv = nullptr);
  /// Log-weights of one head, differentiable (the packed path's weights are not): query
  /// [batch, tgt_len, query_dim] (attend()'s query), cache as precompute() returns it, mask as
  /// attend()'s. Returns log softmax(q_h k_hᵀ / sqrt(d_k)) [batch, tgt_len, src_len] before
  /// dropout, -inf at masked positions; exp() equals attend().weights[:, head] (Vaswani et al.
  /// 2017 eq. (1)). For guided alignment (Garg et al. 2019 §3). Throws std::invalid_argument
  /// when head is outside [0, heads).
  torch::Tensor head_log_weights(const torch::Tensor& query, const AttentionCache& cache,
                                 const torch::Tensor& mask, int64_t head);
  int64_t heads() const override { return options_.heads(); }
  int64_t output_dim() const override { return options_.model_dim(); }
  /// From now on the projections that `plan` takes run with int8 weights (models/int8_linear.h),
  /// for inference: no gradient flows through them; head_log_weights() keeps float32. Only the
  /// products decoding runs: Q, W^O and K|V stacked (K and V apart when they cannot stack); with
  /// self_attention also Q|K|V stacked (self_attend()). Throws as Int8Linear's constructor does
  /// (std::runtime_error without a quantized engine).
  void quantize_int8(Int8Plan& plan, bool self_attention);

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 protected:
  AttentionCache project(const torch::Tensor& keys, const torch::Tensor& values) override;
  AttentionOutput attend_checked(const torch::Tensor& query, const AttentionCache& cache,
                                 const torch::Tensor& mask, const AttentionExtras& extras) override;

 private:
  /// Scores, softmax, dropout, context and W^O for queries already projected and split into
  /// heads: q [batch, heads, tgt_len, d_k] (unscaled).
  AttentionOutput attend_heads(const torch::Tensor& q, const AttentionCache& cache,
                               const torch::Tensor& mask);
  /// Float32 CPU path: packed_attention on the projection buffers (q [batch, tgt, ·], kv
  /// [batch, src, ·] or undefined for self-attention), dropout on the weights in training mode
  /// (one seed drawn, as dropout_ draws it), then W^O.
  AttentionOutput packed_attend(const torch::Tensor& q, const torch::Tensor& kv,
                                const PackedHeads& layout, const torch::Tensor& mask);
  /// Splits a projection [batch, len, model_dim] into heads: [batch, heads, len, d_k] (a view).
  torch::Tensor split_heads(const torch::Tensor& x) const;

  /// The projections as int8 after quantize_int8(), else undefined (float32 is used).
  struct Int8Projections {
    Int8Linear q, k, v, kv, qkv, out;  // kv = [W^K; W^V], qkv = [W^Q; W^K; W^V] stacked
  };

  /// x through several Linear layers of the same input size as one product with their stacked
  /// weights and biases: x·[W_1; W_2; ...]^T + [b_1; b_2; ...], [..., Σ out_i], so x is read
  /// once and its gradient comes out of one product. Without gradient recording (decoding) the
  /// stacked copy is kept and made again only when a weight changes (its storage or version), so
  /// a decoding step does not concatenate the weights again.
  class StackedWeights {
   public:
    torch::Tensor linear(const torch::Tensor& x, const std::vector<torch::nn::Linear>& layers);

   private:
    torch::Tensor weight_, bias_;
    std::vector<std::pair<const void*, int64_t>> key_;  // (data, version) of W_1, b_1, ...
  };

  MultiHeadAttentionOptions options_;
  int64_t d_k_;
  Int8Projections int8_;
  StackedWeights qkv_stack_, kv_stack_;  // [W^Q; W^K; W^V] (self_attend), [W^K; W^V] (project)
  Dropout dropout_{nullptr};
};

TORCH_MODULE(MultiHeadAttention);

/// heads must be >= 1 and divide model_dim. Throws AttentionError("heads", ...) otherwise.
void check_heads(int64_t model_dim, int64_t heads);

/// The `multihead` row of the attention table (model size m = hidden_dim, heads from the
/// config). FLOPs: K/V projections 2·(key_dim + value_dim)·m per source token; Q and output
/// projections 2·(query_dim + m)·m per target token; scores Q·K^T and context A·V 2·2·T·S·m.
AttentionType multi_head_attention_type();

}  // namespace tinynmt
