#include "models/encoder_decoder.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "models/rnn_decoder.h"
#include "models/rnn_encoder.h"
#include "models/special_ids.h"
#include "models/transformer.h"

namespace tinynmt {
namespace {

void check_type(const std::string& key, const std::string& v) {
  if (v != "rnn" && v != "transformer")
    throw std::invalid_argument(key + ": unknown '" + v + "' (choices: transformer, rnn)");
}

}  // namespace

EncoderDecoderImpl::EncoderDecoderImpl(const ModelConfig& cfg, int64_t src_vocab, int64_t tgt_vocab)
    : cfg_(cfg) {
  check_type("model.encoder.type", cfg_.encoder.type);
  check_type("model.decoder.type", cfg_.decoder.type);
  const bool enc_tf = cfg_.encoder.type == "transformer";
  const bool dec_tf = cfg_.decoder.type == "transformer";
  const int64_t src_dim = enc_tf ? cfg_.encoder.d_model : cfg_.encoder.embedding_dim;
  const int64_t tgt_dim = dec_tf ? cfg_.decoder.d_model : cfg_.decoder.embedding_dim;
  const bool tie_out = cfg_.decoder.tie_embeddings || cfg_.tie_all_embeddings;
  if (cfg_.tie_all_embeddings) {
    if (src_vocab != tgt_vocab)
      throw std::invalid_argument(
          "model.tie_all_embeddings: needs a joint vocabulary, but src_vocab = " +
          std::to_string(src_vocab) + " and tgt_vocab = " + std::to_string(tgt_vocab));
    if (src_dim != tgt_dim)
      throw std::invalid_argument("model.tie_all_embeddings: encoder embedding size " +
                                  std::to_string(src_dim) + " != decoder embedding size " +
                                  std::to_string(tgt_dim));
  }

  tgt_embed_ = register_module("tgt_embed", Embeddings(EmbeddingsOptions(tgt_vocab, tgt_dim)
                                                           .scale(dec_tf)
                                                           .positional(dec_tf)
                                                           .dropout(cfg_.decoder.dropout)));
  src_embed_ = register_module(
      "src_embed", Embeddings(EmbeddingsOptions(src_vocab, src_dim)
                                  .scale(enc_tf)
                                  .positional(enc_tf)
                                  .dropout(cfg_.encoder.dropout),
                              cfg_.tie_all_embeddings ? tgt_embed_->weight() : torch::Tensor()));

  if (enc_tf)
    encoder_ = std::make_shared<TransformerEncoderImpl>(cfg_.encoder);
  else
    encoder_ = std::make_shared<RnnEncoderImpl>(cfg_.encoder, src_dim);
  register_module("encoder", encoder_);
  const int64_t enc_dim = encoder_->output_dim();
  if (dec_tf)
    decoder_ = std::make_shared<TransformerDecoderImpl>(cfg_.decoder, enc_dim);
  else
    decoder_ = std::make_shared<RnnDecoderImpl>(cfg_.decoder, tgt_dim, enc_dim);
  register_module("decoder", decoder_);

  const int64_t feat = decoder_->output_dim();
  if (tie_out) {
    if (feat != tgt_dim)
      pre_out_ = register_module(
          "pre_out", torch::nn::Linear(torch::nn::LinearOptions(feat, tgt_dim).bias(false)));
    out_weight_ = tgt_embed_->weight();
  } else {
    const double bound = 1.0 / std::sqrt(static_cast<double>(feat));
    out_weight_ =
        register_parameter("out_weight", torch::empty({tgt_vocab, feat}).uniform_(-bound, bound));
  }
  out_bias_ = register_parameter("out_bias", torch::zeros({tgt_vocab}));
}

torch::Tensor EncoderDecoderImpl::project(const torch::Tensor& features) {
  const auto f = pre_out_ ? linear_or_int8(pre_out_, pre_out_int8_, features) : features;
  return out_int8_.defined() ? out_int8_(f) : output_layer().logits(f);  // [..., tgt_vocab]
}

std::string EncoderDecoderImpl::quantize_int8(int64_t min_weights) {
  if (!out_weight_.device().is_cpu())
    throw std::invalid_argument("int8 quantisation runs on the CPU only (the model is on " +
                                out_weight_.device().str() + ")");
  Int8Plan plan;
  plan.min_weights = min_weights;
  out_int8_ = plan.make(out_weight_, out_bias_);
  if (pre_out_) pre_out_int8_ = plan.make(pre_out_->weight, pre_out_->bias);
  const bool decoder = decoder_->quantize_int8(plan);
  return std::to_string(plan.quantized) + " of " + std::to_string(plan.quantized + plan.kept) +
         (decoder ? " products (output layer and decoder)"
                  : " products (output layer; this decoder keeps float32)") +
         " in int8, those with >= " + std::to_string(min_weights) + " weights";
}

EncoderOutput EncoderDecoderImpl::encode(const torch::Tensor& src, const torch::Tensor& src_mask) {
  return encoder_->encode(src_embed_(src), src_mask);
}

Seq2SeqOutput EncoderDecoderImpl::forward_features(const torch::Tensor& src,
                                                   const torch::Tensor& tgt_in) {
  return run(src, tgt_in, false);
}

Seq2SeqOutput EncoderDecoderImpl::forward_features_with_self_attention(
    const torch::Tensor& src, const torch::Tensor& tgt_in) {
  return run(src, tgt_in, true);
}

Seq2SeqOutput EncoderDecoderImpl::forward_features_guided(const torch::Tensor& src,
                                                          const torch::Tensor& tgt_in,
                                                          const GuidedHead& g) {
  return run(src, tgt_in, false, &g);
}

Seq2SeqOutput EncoderDecoderImpl::run(const torch::Tensor& src, const torch::Tensor& tgt_in,
                                      bool self_attention, const GuidedHead* guided) {
  const auto src_mask = src.ne(kPadId);
  auto enc = self_attention ? encoder_->encode_with_self_attention(src_embed_(src), src_mask)
                            : encode(src, src_mask);
  auto emb = tgt_embed_(tgt_in);
  auto out = guided           ? decoder_->forward_guided(emb, enc, tgt_in.ne(kPadId), *guided)
             : self_attention ? decoder_->forward_with_self_attention(emb, enc)
                              : decoder_->forward(emb, enc);
  Seq2SeqOutput r;
  r.features = pre_out_ ? pre_out_(out.features) : out.features;  // [batch, tgt_len, D]
  r.attention = out.attention;                                    // [b, L, H, T, S]
  r.memory = enc.states;                                          // [b, S, enc_dim]
  r.src_mask = enc.src_mask;                                      // [b, S]
  r.encoder_self_attention = enc.self_attention;                  // [b, L_enc, H, S, S]
  r.decoder_self_attention = out.self_attention;                  // [b, L_dec, H, T, T]
  r.guided_log_attention = out.guided_log_attention;              // [b, T, S]
  return r;
}

Seq2SeqOutput EncoderDecoderImpl::forward(const torch::Tensor& src, const torch::Tensor& tgt_in) {
  auto r = forward_features(src, tgt_in);
  r.logits = output_layer().logits(r.features);  // [b, T, vocab]
  r.features = r.memory = r.src_mask = torch::Tensor();
  return r;
}

DecoderState EncoderDecoderImpl::init_state(const EncoderOutput& enc) {
  auto s = decoder_->init_state(enc);
  s.step = 0;
  return s;
}

StepOutput EncoderDecoderImpl::decode_step(const torch::Tensor& prev_tokens, DecoderState& state) {
  auto emb = tgt_embed_(prev_tokens.view({-1, 1}), state.step);  // [batch, 1, dim]
  auto out = decoder_->step(emb, state);
  state.step += 1;
  auto logits = project(out.features.squeeze(1));                       // [batch, tgt_vocab]
  return {torch::log_softmax(logits, -1), out.attention.select(3, 0)};  // attn [b, L, H, S]
}

}  // namespace tinynmt
