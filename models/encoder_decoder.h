// EncoderDecoder: the one Seq2Seq implementation. Any encoder type (rnn | transformer) combines
// with any decoder type (rnn | transformer) and any registered cross-attention, so RNN models
// (Bahdanau et al. 2015; Luong et al. 2015), Transformers (Vaswani et al. 2017) and mixed models
// are all instances of it. make_seq2seq() builds it from a ModelConfig.
#pragma once

#include <memory>

#include "models/embeddings.h"
#include "models/int8_linear.h"
#include "models/model_config.h"
#include "models/network.h"
#include "models/seq2seq.h"

namespace tinynmt {

/// Source/target embeddings (scaled + sinusoidal positions for Transformer parts), encoder,
/// decoder, output projection logits = W_out f + b (W_out tied to the target embedding with
/// model.decoder.tie_embeddings, and to the source embedding as well with
/// model.tie_all_embeddings). When tied and the decoder's feature size differs from the embedding
/// size, a linear projection (no bias) maps features to the embedding size first.
/// Throws std::invalid_argument naming the config key for unknown types or impossible
/// combinations (tie_all_embeddings with src_vocab != tgt_vocab or different embedding sizes).
class EncoderDecoderImpl : public Seq2SeqImpl {
 public:
  EncoderDecoderImpl(const ModelConfig& cfg, int64_t src_vocab, int64_t tgt_vocab);
  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_mask) override;
  Seq2SeqOutput forward(const torch::Tensor& src, const torch::Tensor& tgt_in) override;
  Seq2SeqOutput forward_features(const torch::Tensor& src, const torch::Tensor& tgt_in) override;
  Seq2SeqOutput forward_features_with_self_attention(const torch::Tensor& src,
                                                     const torch::Tensor& tgt_in) override;
  Seq2SeqOutput forward_features_guided(const torch::Tensor& src, const torch::Tensor& tgt_in,
                                        const GuidedHead& g) override;
  OutputLayer output_layer() override { return {out_weight_, out_bias_}; }
  torch::Tensor source_word_embeddings(const torch::Tensor& src) override {
    return torch::embedding(src_embed_->weight(), src);  // [batch, src_len, E]
  }
  DecoderState init_state(const EncoderOutput& enc) override;
  StepOutput decode_step(const torch::Tensor& prev_tokens, DecoderState& state) override;
  int64_t attention_layers() const override { return decoder_->attention_layers(); }
  int64_t attention_heads() const override { return decoder_->attention_heads(); }

  /// Output layer (and pre_out) and, for a Transformer decoder, its linear layers in int8.
  std::string quantize_int8(int64_t min_weights = kInt8MinWeights) override;

  /// features [..., decoder output_dim] -> logits [..., tgt_vocab] (int8 after quantize_int8()).
  torch::Tensor project(const torch::Tensor& features);
  const ModelConfig& config() const { return cfg_; }

 private:
  Seq2SeqOutput run(const torch::Tensor& src, const torch::Tensor& tgt_in, bool self_attention,
                    const GuidedHead* guided = nullptr);

  ModelConfig cfg_;
  Embeddings src_embed_{nullptr}, tgt_embed_{nullptr};
  std::shared_ptr<EncoderImpl> encoder_;
  std::shared_ptr<DecoderImpl> decoder_;
  torch::nn::Linear pre_out_{nullptr};
  torch::Tensor out_weight_;            // [tgt_vocab, dim]; the target embedding's weight when tied
  torch::Tensor out_bias_;              // [tgt_vocab]
  Int8Linear pre_out_int8_, out_int8_;  // defined after quantize_int8()
};

}  // namespace tinynmt
