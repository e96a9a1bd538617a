// Internal building blocks of Seq2Seq: an encoder and a decoder base class, so any encoder type
// can be combined with any decoder type (rnn/transformer in both places).
#pragma once

#include <torch/torch.h>

#include "models/int8_linear.h"
#include "models/seq2seq.h"

namespace tinynmt {

/// Encodes embedded source tokens.
class EncoderImpl : public torch::nn::Module {
 public:
  ~EncoderImpl() override = default;
  /// emb [batch, src_len, input_dim], src_mask [batch, src_len] bool (true = real token).
  virtual EncoderOutput encode(const torch::Tensor& emb, const torch::Tensor& src_mask) = 0;
  /// encode() that also fills EncoderOutput::self_attention where the encoder has self-attention
  /// (the default, for encoders without, is encode()).
  virtual EncoderOutput encode_with_self_attention(const torch::Tensor& emb,
                                                   const torch::Tensor& src_mask) {
    return encode(emb, src_mask);
  }
  /// Size of EncoderOutput::states' last dim.
  virtual int64_t output_dim() const = 0;
};

/// Decoder result before the output projection.
struct DecoderOutput {
  torch::Tensor features;   ///< [batch, tgt_len, output_dim]
  torch::Tensor attention;  ///< [batch, layers, heads, tgt_len, src_len]
  /// forward_with_self_attention() of a decoder with self-attention: [batch, layers, heads,
  /// tgt_len, tgt_len] (causal); else undefined.
  torch::Tensor self_attention{};
  /// forward_guided() only: [batch, tgt_len, src_len] log-weights of the guided head.
  torch::Tensor guided_log_attention{};
};

/// Decodes embedded target tokens against an encoder output.
class DecoderImpl : public torch::nn::Module {
 public:
  ~DecoderImpl() override = default;
  /// Teacher forcing: emb [batch, tgt_len, input_dim] (embedded BOS y1 .. y_{n-1}).
  virtual DecoderOutput forward(const torch::Tensor& emb, const EncoderOutput& enc) = 0;
  /// forward() that also fills DecoderOutput::self_attention where the decoder has
  /// self-attention (the default, for decoders without, is forward()).
  virtual DecoderOutput forward_with_self_attention(const torch::Tensor& emb,
                                                    const EncoderOutput& enc) {
    return forward(emb, enc);
  }
  /// forward() plus DecoderOutput::guided_log_attention (Seq2SeqImpl::forward_features_guided);
  /// tgt_mask [batch, tgt_len] bool, true = real token. The default throws
  /// std::invalid_argument (decoders without multihead cross-attention).
  virtual DecoderOutput forward_guided(const torch::Tensor& emb, const EncoderOutput& enc,
                                       const torch::Tensor& tgt_mask, const GuidedHead& g) {
    (void)emb, (void)enc, (void)tgt_mask, (void)g;
    throw std::invalid_argument(
        "guided alignment needs a Transformer decoder with multihead cross-attention");
  }
  /// State before the first step (projected keys, bridged encoder state, source mask).
  virtual DecoderState init_state(const EncoderOutput& enc) = 0;
  /// One step: emb [batch, 1, input_dim] of the previous token; state.step is the position of
  /// that token (the caller increments it afterwards). Returns features [batch, 1, output_dim].
  virtual DecoderOutput step(const torch::Tensor& emb, DecoderState& state) = 0;
  virtual int64_t output_dim() const = 0;
  virtual int64_t attention_layers() const = 0;
  virtual int64_t attention_heads() const = 0;
  /// Runs the decoder's linear products with int8 weights from now on (inference only,
  /// models/int8_linear.h), those `plan` takes. Returns false if this decoder keeps float32 (the
  /// default).
  virtual bool quantize_int8(Int8Plan& plan) {
    (void)plan;
    return false;
  }
};

}  // namespace tinynmt
