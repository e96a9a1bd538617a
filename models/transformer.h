// Transformer encoder and decoder (Vaswani et al. 2017 §3.1-3.3), pre-norm (Wang et al. 2019,
// the default) or post-norm (the original). Self-attention is MultiHeadAttention; the decoder's
// cross-attention is any registered attention (models/attention/registry.h).
#pragma once

#include <memory>
#include <vector>

#include "models/attention/attention.h"
#include "models/attention/multi_head.h"
#include "models/dropout.h"
#include "models/int8_linear.h"
#include "models/model_config.h"
#include "models/network.h"

namespace tinynmt {

/// Position-wise feed-forward block: Linear(d, ff) -> ReLU -> dropout -> Linear(ff, d) (eq. 2).
class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t d_model, int64_t ff, double dropout);
  torch::Tensor forward(const torch::Tensor& x);  // [batch, len, d] -> [batch, len, d]
  /// Both products with int8 weights from now on where `plan` takes them (inference).
  void quantize_int8(Int8Plan& plan);

 private:
  torch::nn::Linear l1_{nullptr}, l2_{nullptr};
  Int8Linear l1_int8_, l2_int8_;
  Dropout dropout_{nullptr};
};
TORCH_MODULE(FeedForward);

/// One encoder layer: self-attention and feed-forward sublayers with residuals.
class TransformerEncoderLayerImpl : public torch::nn::Module {
 public:
  TransformerEncoderLayerImpl(int64_t d_model, int64_t heads, int64_t ff, double dropout,
                              bool pre_norm);
  /// x [batch, src_len, d]; mask [batch, 1, src_len] bool. Returns [batch, src_len, d]. With
  /// self_weights, *self_weights = the self-attention weights [batch, heads, src_len, src_len].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask,
                        torch::Tensor* self_weights = nullptr);

 private:
  bool pre_norm_;
  MultiHeadAttention self_attn_{nullptr};
  FeedForward ff_{nullptr};
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  Dropout dropout_{nullptr};
};
TORCH_MODULE(TransformerEncoderLayer);

/// Stack of encoder layers (plus a final LayerNorm with pre-norm). EncoderOutput::final is left
/// undefined. Throws std::invalid_argument for a bad norm or d_model not divisible by heads.
class TransformerEncoderImpl : public EncoderImpl {
 public:
  explicit TransformerEncoderImpl(const EncoderConfig& cfg);
  /// emb [batch, src_len, d_model] (already scaled and position-encoded).
  EncoderOutput encode(const torch::Tensor& emb, const torch::Tensor& src_mask) override;
  /// encode() plus self_attention [batch, layers, heads, src_len, src_len].
  EncoderOutput encode_with_self_attention(const torch::Tensor& emb,
                                           const torch::Tensor& src_mask) override;
  int64_t output_dim() const override { return cfg_.d_model; }

 private:
  EncoderOutput run(const torch::Tensor& emb, const torch::Tensor& src_mask, bool self_attention);

  EncoderConfig cfg_;
  std::vector<TransformerEncoderLayer> layers_;
  torch::nn::LayerNorm final_ln_{nullptr};
};

/// One decoder layer: masked self-attention, cross-attention, feed-forward.
class TransformerDecoderLayerImpl : public torch::nn::Module {
 public:
  TransformerDecoderLayerImpl(const DecoderConfig& cfg, int64_t enc_dim);
  /// x [batch, tgt_len, d]. self_cache: the decoding step's cache of projected self-attention
  /// keys/values ([batch, heads, past_len, d_k]), to which the new positions are appended and
  /// which they attend to; teacher forcing passes none and the causal mask [1, tgt_len, tgt_len],
  /// a step passes the cache and no mask.
  /// cross: precomputed cross-attention cache; src_mask [batch, 1, src_len].
  /// Returns x [batch, tgt_len, d]; *weights = cross weights [batch, heads, tgt_len, src_len];
  /// with self_weights, *self_weights = the self-attention weights [batch, heads, tgt_len,
  /// past_len + tgt_len]; with cross_query, *cross_query = the cross-attention's query input
  /// [batch, tgt_len, d] (after the layer norm with pre-norm).
  torch::Tensor forward(const torch::Tensor& x, GrowingCache* self_cache,
                        const torch::Tensor& self_mask, const AttentionCache& cross,
                        const torch::Tensor& src_mask, const AttentionExtras& extras,
                        torch::Tensor* weights, torch::Tensor* self_weights = nullptr,
                        torch::Tensor* cross_query = nullptr);
  AttentionImpl& cross_attention() { return *cross_attn_; }
  const AttentionImpl& cross_attention() const { return *cross_attn_; }
  /// The layer's linear products with int8 weights from now on (inference): self-attention,
  /// multihead cross-attention (other attention types keep float32), cross_proj, feed-forward;
  /// each where `plan` takes it.
  void quantize_int8(Int8Plan& plan);

 private:
  bool pre_norm_;
  MultiHeadAttention self_attn_{nullptr};
  std::shared_ptr<AttentionImpl> cross_attn_;
  torch::nn::Linear cross_proj_{nullptr};  // when the cross-attention's output size != d_model
  Int8Linear cross_proj_int8_;
  FeedForward ff_{nullptr};
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr}, ln3_{nullptr};
  Dropout dropout_{nullptr};
};
TORCH_MODULE(TransformerDecoderLayer);

/// Stack of decoder layers. Teacher forcing runs all positions in parallel under a causal mask;
/// step() keeps per-layer self-attention K/V caches (DecoderState::growing, one per layer,
/// [batch, heads, t, d_k] valid) and the precomputed cross-attention caches (DecoderState::caches,
/// one per layer, with their packed K|V buffer) and the source mask (constants "mask").
class TransformerDecoderImpl : public DecoderImpl {
 public:
  TransformerDecoderImpl(const DecoderConfig& cfg, int64_t enc_dim);
  DecoderOutput forward(const torch::Tensor& emb, const EncoderOutput& enc) override;
  /// forward() plus self_attention [batch, layers, heads, tgt_len, tgt_len] (causal).
  DecoderOutput forward_with_self_attention(const torch::Tensor& emb,
                                            const EncoderOutput& enc) override;
  /// forward() plus the guided head's log-weights (Garg et al. 2019 §3; full_context §4.2).
  /// Throws std::invalid_argument naming the layer/head out of range or a cross-attention that
  /// is not multihead.
  DecoderOutput forward_guided(const torch::Tensor& emb, const EncoderOutput& enc,
                               const torch::Tensor& tgt_mask, const GuidedHead& g) override;
  DecoderState init_state(const EncoderOutput& enc) override;
  DecoderOutput step(const torch::Tensor& emb, DecoderState& state) override;
  int64_t output_dim() const override { return cfg_.d_model; }
  int64_t attention_layers() const override { return cfg_.layers; }
  int64_t attention_heads() const override { return layers_[0]->cross_attention().heads(); }
  /// Every layer's linear products with int8 weights (TransformerDecoderLayerImpl::quantize_int8).
  bool quantize_int8(Int8Plan& plan) override;

 private:
  /// What run() keeps of one layer for the guided head: its cross-attention query and cache.
  struct LayerTap {
    int64_t layer = -1;
    torch::Tensor query;   // [batch, tgt_len, d]
    AttentionCache cross;  // the layer's precomputed cross-attention keys/values
  };
  DecoderOutput run(const torch::Tensor& emb, const EncoderOutput& enc, bool self_attention,
                    LayerTap* tap = nullptr);
  /// Layers 0..tap.layer again with self_mask (no causal mask): Garg et al. 2019 §4.2.
  void run_full_context(const torch::Tensor& emb, const EncoderOutput& enc,
                        const torch::Tensor& self_mask, LayerTap& tap);

  DecoderConfig cfg_;
  std::vector<TransformerDecoderLayer> layers_;
  torch::nn::LayerNorm final_ln_{nullptr};
};

/// Causal mask [1, len, len] bool: position t may attend to positions <= t.
torch::Tensor causal_mask(int64_t len, const torch::Device& device);

}  // namespace tinynmt
