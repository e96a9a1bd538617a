#include "models/transformer.h"

#include <stdexcept>
#include <string>

#include "models/attention/registry.h"

namespace tinynmt {
namespace {

bool parse_norm(const std::string& key, const std::string& v) {
  if (v == "pre") return true;
  if (v == "post") return false;
  throw std::invalid_argument(key + ": unknown '" + v + "' (choices: pre, post)");
}

}  // namespace

torch::Tensor causal_mask(int64_t len, const torch::Device& device) {
  return torch::ones({len, len}, torch::TensorOptions().dtype(torch::kBool).device(device))
      .tril()
      .unsqueeze(0);  // [1, len, len]
}

FeedForwardImpl::FeedForwardImpl(int64_t d_model, int64_t ff, double dropout) {
  l1_ = register_module("l1", torch::nn::Linear(d_model, ff));
  l2_ = register_module("l2", torch::nn::Linear(ff, d_model));
  dropout_ = register_module("dropout", Dropout(dropout));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  auto h = dropout_->forward_relu(linear_or_int8(l1_, l1_int8_, x));  // [batch, len, ff]
  return linear_or_int8(l2_, l2_int8_, h);                            // [batch, len, d]
}

void FeedForwardImpl::quantize_int8(Int8Plan& plan) {
  l1_int8_ = plan.make(l1_->weight, l1_->bias);
  l2_int8_ = plan.make(l2_->weight, l2_->bias);
}

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(int64_t d, int64_t heads, int64_t ff,
                                                         double dropout, bool pre_norm)
    : pre_norm_(pre_norm) {
  namespace nn = torch::nn;
  self_attn_ = register_module(
      "self_attn", MultiHeadAttention(MultiHeadAttentionOptions(d, d, d, heads).dropout(dropout)));
  ff_ = register_module("ff", FeedForward(d, ff, dropout));
  ln1_ = register_module("ln1", nn::LayerNorm(nn::LayerNormOptions({d})));
  ln2_ = register_module("ln2", nn::LayerNorm(nn::LayerNormOptions({d})));
  dropout_ = register_module("dropout", Dropout(dropout));
}

torch::Tensor TransformerEncoderLayerImpl::forward(const torch::Tensor& x,
                                                   const torch::Tensor& mask,
                                                   torch::Tensor* self_weights) {
  auto self_block = [&](const torch::Tensor& y) {
    auto a = self_attn_->self_attend(y, mask);
    if (self_weights) *self_weights = a.weights;  // [batch, heads, src_len, src_len]
    return a.context;                             // [batch, src_len, d]
  };
  torch::Tensor h = x;
  if (pre_norm_) {
    h = dropout_->forward_add(self_block(ln1_(h)), h);
    return dropout_->forward_add(ff_(ln2_(h)), h);
  }
  h = ln1_(dropout_->forward_add(self_block(h), h));
  return ln2_(dropout_->forward_add(ff_(h), h));
}

TransformerEncoderImpl::TransformerEncoderImpl(const EncoderConfig& cfg) : cfg_(cfg) {
  const bool pre = parse_norm("model.encoder.norm", cfg_.norm);
  if (cfg_.heads < 1 || cfg_.d_model % cfg_.heads != 0)
    throw std::invalid_argument("model.encoder.heads: " + std::to_string(cfg_.heads) +
                                " does not divide d_model " + std::to_string(cfg_.d_model));
  for (int64_t l = 0; l < cfg_.layers; ++l)
    layers_.push_back(register_module(
        "layer" + std::to_string(l),
        TransformerEncoderLayer(cfg_.d_model, cfg_.heads, cfg_.ff, cfg_.dropout, pre)));
  if (pre)
    final_ln_ = register_module("final_ln",
                                torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg_.d_model})));
}

EncoderOutput TransformerEncoderImpl::encode(const torch::Tensor& emb,
                                             const torch::Tensor& src_mask) {
  return run(emb, src_mask, false);
}

EncoderOutput TransformerEncoderImpl::encode_with_self_attention(const torch::Tensor& emb,
                                                                 const torch::Tensor& src_mask) {
  return run(emb, src_mask, true);
}

EncoderOutput TransformerEncoderImpl::run(const torch::Tensor& emb, const torch::Tensor& src_mask,
                                          bool self_attention) {
  auto mask = src_mask.unsqueeze(1);  // [batch, 1, src_len]
  std::vector<torch::Tensor> weights(self_attention ? layers_.size() : 0);
  auto x = emb;
  for (size_t l = 0; l < layers_.size(); ++l)  // [batch, src_len, d]
    x = layers_[l]->forward(x, mask, self_attention ? &weights[l] : nullptr);
  if (final_ln_) x = final_ln_(x);
  EncoderOutput out;
  out.states = x;
  out.src_mask = src_mask;
  if (self_attention && !weights.empty())
    out.self_attention = torch::stack(weights, 1);  // [batch, layers, heads, src_len, src_len]
  return out;
}

TransformerDecoderLayerImpl::TransformerDecoderLayerImpl(const DecoderConfig& cfg, int64_t enc_dim)
    : pre_norm_(parse_norm("model.decoder.norm", cfg.norm)) {
  namespace nn = torch::nn;
  const int64_t d = cfg.d_model;
  self_attn_ = register_module(
      "self_attn",
      MultiHeadAttention(
          MultiHeadAttentionOptions(d, d, d, cfg.heads).dropout(cfg.attention_dropout)));
  cross_attn_ =
      register_module("cross_attn", make_attention(cross_attention_config(cfg, d, enc_dim)));
  if (cross_attn_->output_dim() != d)
    cross_proj_ = register_module("cross_proj", nn::Linear(cross_attn_->output_dim(), d));
  ff_ = register_module("ff", FeedForward(d, cfg.ff, cfg.dropout));
  ln1_ = register_module("ln1", nn::LayerNorm(nn::LayerNormOptions({d})));
  ln2_ = register_module("ln2", nn::LayerNorm(nn::LayerNormOptions({d})));
  ln3_ = register_module("ln3", nn::LayerNorm(nn::LayerNormOptions({d})));
  dropout_ = register_module("dropout", Dropout(cfg.dropout));
}

torch::Tensor TransformerDecoderLayerImpl::forward(
    const torch::Tensor& x, GrowingCache* self_cache, const torch::Tensor& self_mask,
    const AttentionCache& cross, const torch::Tensor& src_mask, const AttentionExtras& extras,
    torch::Tensor* weights, torch::Tensor* self_weights, torch::Tensor* cross_query) {
  auto self_block = [&](const torch::Tensor& y) {
    AttentionOutput a;
    if (!self_cache || self_cache->empty()) {  // the whole target (training) or the first step
      AttentionCache kv;
      a = self_attn_->self_attend(y, self_mask, self_cache ? &kv : nullptr);
      if (self_cache) self_cache->append(kv);  // [batch, heads, tgt_len, d_k]
    } else {
      self_cache->append(self_attn_->precompute(y, y));           // [batch, heads, tgt_len, d_k]
      a = self_attn_->attend(y, self_cache->valid(), self_mask);  // [.., past+len, d_k]
    }
    if (self_weights) *self_weights = a.weights;  // [batch, heads, tgt_len, past+len]
    return a.context;                             // [batch, tgt_len, d]
  };
  auto cross_block = [&](const torch::Tensor& y) {
    if (cross_query) *cross_query = y;  // [batch, tgt_len, d]
    auto a = cross_attn_->attend(y, cross, src_mask, extras);
    *weights = a.weights;                // [batch, heads, tgt_len, src_len]
    if (!cross_proj_) return a.context;  // [batch, tgt_len, d]
    return linear_or_int8(cross_proj_, cross_proj_int8_, a.context);
  };
  torch::Tensor h = x;
  if (pre_norm_) {
    h = dropout_->forward_add(self_block(ln1_(h)), h);
    h = dropout_->forward_add(cross_block(ln2_(h)), h);
    return dropout_->forward_add(ff_(ln3_(h)), h);
  }
  h = ln1_(dropout_->forward_add(self_block(h), h));
  h = ln2_(dropout_->forward_add(cross_block(h), h));
  return ln3_(dropout_->forward_add(ff_(h), h));
}

void TransformerDecoderLayerImpl::quantize_int8(Int8Plan& plan) {
  self_attn_->quantize_int8(plan, /*self_attention=*/true);
  if (auto* mh = dynamic_cast<MultiHeadAttentionImpl*>(cross_attn_.get()))
    mh->quantize_int8(plan, /*self_attention=*/false);
  if (cross_proj_) cross_proj_int8_ = plan.make(cross_proj_->weight, cross_proj_->bias);
  ff_->quantize_int8(plan);
}

bool TransformerDecoderImpl::quantize_int8(Int8Plan& plan) {
  for (auto& layer : layers_) layer->quantize_int8(plan);
  return true;
}

TransformerDecoderImpl::TransformerDecoderImpl(const DecoderConfig& cfg, int64_t enc_dim)
    : cfg_(cfg) {
  const bool pre = parse_norm("model.decoder.norm", cfg_.norm);
  if (cfg_.heads < 1 || cfg_.d_model % cfg_.heads != 0)
    throw std::invalid_argument("model.decoder.heads: " + std::to_string(cfg_.heads) +
                                " does not divide d_model " + std::to_string(cfg_.d_model));
  if (cfg_.layers < 1) throw std::invalid_argument("model.decoder.layers: must be >= 1");
  for (int64_t l = 0; l < cfg_.layers; ++l)
    layers_.push_back(
        register_module("layer" + std::to_string(l), TransformerDecoderLayer(cfg_, enc_dim)));
  if (pre)
    final_ln_ = register_module("final_ln",
                                torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg_.d_model})));
}

DecoderOutput TransformerDecoderImpl::forward(const torch::Tensor& emb, const EncoderOutput& enc) {
  return run(emb, enc, false);
}

DecoderOutput TransformerDecoderImpl::forward_with_self_attention(const torch::Tensor& emb,
                                                                  const EncoderOutput& enc) {
  return run(emb, enc, true);
}

DecoderOutput TransformerDecoderImpl::run(const torch::Tensor& emb, const EncoderOutput& enc,
                                          bool self_attention, LayerTap* tap) {
  auto src_mask = enc.src_mask.unsqueeze(1);                // [batch, 1, src_len]
  auto self_mask = causal_mask(emb.size(1), emb.device());  // [1, tgt_len, tgt_len]
  std::vector<torch::Tensor> weights, self_weights;
  auto x = emb;
  for (int64_t l = 0; l < cfg_.layers; ++l) {
    auto& layer = layers_[l];
    auto cross = layer->cross_attention().precompute(enc.states, enc.states);
    torch::Tensor w, sw;
    const bool tapped = tap && tap->layer == l;
    if (tapped) tap->cross = cross;
    x = layer->forward(x, nullptr, self_mask, cross, src_mask, {}, &w,
                       self_attention ? &sw : nullptr,
                       tapped ? &tap->query : nullptr);  // [batch, tgt_len, d]
    weights.push_back(w);
    if (self_attention) self_weights.push_back(sw);
  }
  if (final_ln_) x = final_ln_(x);
  DecoderOutput out{x, torch::stack(weights, 1)};  // [batch, layers, heads, tgt_len, src_len]
  if (self_attention)
    out.self_attention = torch::stack(self_weights, 1);  // [batch, layers, heads, tgt, tgt]
  return out;
}

DecoderOutput TransformerDecoderImpl::forward_guided(const torch::Tensor& emb,
                                                     const EncoderOutput& enc,
                                                     const torch::Tensor& tgt_mask,
                                                     const GuidedHead& g) {
  if (g.layer < 0 || g.layer >= cfg_.layers)
    throw std::invalid_argument("guided alignment: layer " + std::to_string(g.layer) +
                                " out of range (the decoder has " + std::to_string(cfg_.layers) +
                                " layers)");
  auto* mha = dynamic_cast<MultiHeadAttentionImpl*>(&layers_[g.layer]->cross_attention());
  if (!mha)
    throw std::invalid_argument("guided alignment needs multihead cross-attention, not " +
                                cfg_.attention);
  LayerTap tap;
  tap.layer = g.layer;
  DecoderOutput out = run(emb, enc, false, &tap);
  if (g.full_context) run_full_context(emb, enc, tgt_mask.unsqueeze(1), tap);
  out.guided_log_attention =
      mha->head_log_weights(tap.query, tap.cross, enc.src_mask.unsqueeze(1), g.head);
  return out;  // guided_log_attention [batch, tgt_len, src_len]
}

void TransformerDecoderImpl::run_full_context(const torch::Tensor& emb, const EncoderOutput& enc,
                                              const torch::Tensor& self_mask, LayerTap& tap) {
  auto src_mask = enc.src_mask.unsqueeze(1);  // [batch, 1, src_len]
  auto x = emb;
  for (int64_t l = 0; l <= tap.layer; ++l) {
    auto cross = l == tap.layer ? tap.cross
                                : layers_[l]->cross_attention().precompute(enc.states, enc.states);
    torch::Tensor w;
    x = layers_[l]->forward(x, nullptr, self_mask, cross, src_mask, {}, &w, nullptr,
                            l == tap.layer ? &tap.query : nullptr);  // [batch, tgt_len, d]
  }
}

DecoderState TransformerDecoderImpl::init_state(const EncoderOutput& enc) {
  DecoderState s;
  s.constants["mask"] = enc.src_mask.unsqueeze(1);  // [batch, 1, src_len]
  for (auto& layer : layers_)  // keys/values [batch, heads, src_len, d_k] (multihead)
    s.caches.push_back(layer->cross_attention().precompute(enc.states, enc.states));
  s.growing.resize(layers_.size());  // self-attention keys/values, filled by step()
  return s;
}

DecoderOutput TransformerDecoderImpl::step(const torch::Tensor& emb, DecoderState& state) {
  AttentionExtras extras;
  extras.positions = torch::full({1}, state.step, torch::TensorOptions().dtype(torch::kInt64));
  std::vector<torch::Tensor> weights;
  auto x = emb;  // [batch, 1, d]
  for (size_t l = 0; l < layers_.size(); ++l) {
    // Keys and values without the packed buffer: the step attends through the separate
    // score/softmax/context ops, as decoding always has (the packed path sums in another order).
    const AttentionCache& c = state.caches[l];
    AttentionCache cross{c.keys, c.values};
    torch::Tensor w;
    x = layers_[l]->forward(x, &state.growing[l], {}, cross, state.constants["mask"], extras, &w);
    weights.push_back(w);  // [batch, heads, 1, src_len]
  }
  if (final_ln_) x = final_ln_(x);
  return {x, torch::stack(weights, 1)};  // [batch, layers, heads, 1, src_len]
}

}  // namespace tinynmt
