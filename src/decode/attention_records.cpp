#include "decode/attention_records.h"

#include <fmt/format.h>

#include <vector>

namespace tinynmt::decode {
namespace {

// A part with `layers` x `heads` empty matrices; none (not present) for an RNN part.
align::SelfAttention empty_self(const std::string& type, int64_t layers, int64_t heads) {
  align::SelfAttention a;
  if (type != "transformer") return a;
  a.layers = static_cast<int>(layers);
  a.heads = static_cast<int>(heads);
  a.subword.assign(a.layers, std::vector<align::Matrix>(a.heads));
  a.word = a.subword;
  return a;
}

}  // namespace

align::LayerHeadMatrices to_matrices(const torch::Tensor& attention) {
  auto a = attention.to(torch::kCPU, torch::kFloat32).contiguous();
  const int64_t layers = a.size(0), heads = a.size(1), tgt = a.size(2), src = a.size(3);
  auto acc = a.accessor<float, 4>();
  align::LayerHeadMatrices out(layers, std::vector<align::Matrix>(heads));
  for (int64_t l = 0; l < layers; ++l)
    for (int64_t h = 0; h < heads; ++h) {
      auto& m = out[l][h];
      m.assign(tgt, std::vector<float>(src));
      for (int64_t t = 0; t < tgt; ++t)
        for (int64_t s = 0; s < src; ++s) m[t][s] = acc[l][h][t][s];
    }
  return out;
}

align::AttentionRecord empty_record(const LoadedModel& m, int64_t index, bool self_attention) {
  align::AttentionRecord rec;
  rec.index = index;
  rec.model = m.name;
  rec.layers = static_cast<int>(m.attention_layers());
  rec.heads = static_cast<int>(m.model->attention_heads());
  rec.subword.assign(rec.layers, std::vector<align::Matrix>(rec.heads));
  rec.word = rec.subword;
  if (self_attention) {
    const auto& e = m.config.model.encoder;
    const auto& d = m.config.model.decoder;
    rec.encoder_self = empty_self(e.type, e.layers, e.heads);
    rec.decoder_self = empty_self(d.type, d.layers, d.heads);
  }
  return rec;
}

align::SelfAttention self_part(const torch::Tensor& weights) {
  align::SelfAttention a;
  if (!weights.defined()) return a;
  a.layers = static_cast<int>(weights.size(0));
  a.heads = static_cast<int>(weights.size(1));
  a.subword = to_matrices(weights);
  return a;
}

std::string self_attention_note(const ModelConfig& model) {
  const bool enc = model.encoder.type == "transformer", dec = model.decoder.type == "transformer";
  if (enc && dec) return "";
  if (!enc && !dec) return "RNN models have no self-attention: the records carry none";
  return fmt::format(
      "the model's {} is an RNN and has no self-attention: the records carry the {}'s only",
      enc ? "decoder" : "encoder", enc ? "encoder" : "decoder");
}

}  // namespace tinynmt::decode
