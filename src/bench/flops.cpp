#include "bench/flops.h"

#include <stdexcept>

#include "models/attention/registry.h"

namespace tinynmt::bench {
namespace {

/// Size of the attention's context vectors (AttentionImpl::output_dim()).
int64_t context_dim(const AttentionConfig& a) {
  return attention_type(a.type).output_dim(resolve_sizes(a));
}

}  // namespace

FlopBreakdown& FlopBreakdown::operator+=(const FlopBreakdown& o) {
  encoder += o.encoder;
  decoder += o.decoder;
  attention += o.attention;
  output += o.output;
  return *this;
}

double attention_flops(const AttentionConfig& a, int64_t src_len, int64_t tgt_len) {
  return attention_type(a.type).flops(resolve_sizes(a), src_len, tgt_len);
}

FlopBreakdown forward_flops(const ModelConfig& cfg, int64_t tgt_vocab, int64_t src_len,
                            int64_t tgt_len) {
  const auto& enc = cfg.encoder;
  const auto& dec = cfg.decoder;
  const double S = static_cast<double>(src_len), T = static_cast<double>(tgt_len);
  FlopBreakdown f;

  // Encoder.
  int64_t enc_dim = 0;
  if (enc.type == "transformer") {
    const int64_t d = enc.d_model;
    enc_dim = d;
    const double per_layer = S * (4 * matmul_flops(1, d, d)      // Q, K, V, O projections
                                  + matmul_flops(1, d, enc.ff)   // FFN in
                                  + matmul_flops(1, enc.ff, d))  // FFN out
                             + 2.0 * 2.0 * S * S * static_cast<double>(d);  // scores, context
    f.encoder = enc.layers * per_layer;
  } else {
    const int64_t g = enc.rnn_type == "lstm" ? 4 : 3, H = enc.hidden_size;
    const int64_t dirs = enc.bidirectional ? 2 : 1;
    enc_dim = dirs * H;
    for (int64_t l = 0; l < enc.layers; ++l) {
      const int64_t in = l == 0 ? enc.embedding_dim : dirs * H;
      f.encoder += dirs * S * matmul_flops(1, in + H, g * H);  // [x; h] · [W_ih; W_hh]^T
    }
  }

  // Decoder and cross-attention.
  int64_t feat = 0, tgt_dim = 0;
  if (dec.type == "transformer") {
    const int64_t d = dec.d_model;
    feat = tgt_dim = d;
    const auto ac = cross_attention_config(dec, d, enc_dim);
    const int64_t ctx = context_dim(ac);
    const double self_attn = T * 4 * matmul_flops(1, d, d) + 2.0 * 2.0 * T * T * d;
    const double ffn = T * (matmul_flops(1, d, dec.ff) + matmul_flops(1, dec.ff, d));
    const double cross_proj = ctx != d ? T * matmul_flops(1, ctx, d) : 0.0;
    f.decoder = dec.layers * (self_attn + ffn + cross_proj);
    f.attention = dec.layers * attention_flops(ac, src_len, tgt_len);
  } else {
    const int64_t g = dec.rnn_type == "lstm" ? 4 : 3, H = dec.hidden_size, E = dec.embedding_dim;
    feat = H;
    tgt_dim = E;
    const std::string& pl = dec.attention_placement;
    const bool bahdanau = pl == "bahdanau" || (pl == "auto" && dec.attention == "bahdanau");
    const bool feeding = !bahdanau && dec.input_feeding;
    const auto ac = cross_attention_config(dec, H, enc_dim);
    const int64_t ctx = context_dim(ac);
    double per_token = matmul_flops(1, E + H, g * H);  // layer 0: embedding and recurrent parts
    if (bahdanau) per_token += matmul_flops(1, ctx, g * H);  // context into the cell
    if (feeding) per_token += matmul_flops(1, H, g * H);     // input feeding of h~
    per_token += (dec.layers - 1) * matmul_flops(1, H + H, g * H);
    per_token += bahdanau ? matmul_flops(1, H + ctx + E, H)  // readout W_o [s; c; E y]
                          : matmul_flops(1, ctx + H, H);     // W_c [c; h]
    const double bridge =
        (dec.rnn_type == "lstm" ? 2 : 1) * matmul_flops(1, enc_dim, dec.layers * H);
    f.decoder = T * per_token + bridge;
    f.attention = attention_flops(ac, src_len, tgt_len);
  }

  // Output layer.
  const bool tied = dec.tie_embeddings || cfg.tie_all_embeddings;
  const int64_t out_in = tied ? tgt_dim : feat;
  f.output = T * matmul_flops(1, out_in, tgt_vocab);
  if (tied && feat != tgt_dim) f.output += T * matmul_flops(1, feat, tgt_dim);
  return f;
}

FlopBreakdown forward_flops(const ModelConfig& cfg, int64_t tgt_vocab,
                            const std::vector<int64_t>& src_lengths,
                            const std::vector<int64_t>& tgt_lengths) {
  if (src_lengths.size() != tgt_lengths.size())
    throw std::invalid_argument("forward_flops: " + std::to_string(src_lengths.size()) +
                                " source lengths but " + std::to_string(tgt_lengths.size()) +
                                " target lengths");
  FlopBreakdown total;
  for (size_t i = 0; i < src_lengths.size(); ++i)
    total += forward_flops(cfg, tgt_vocab, src_lengths[i], tgt_lengths[i]);
  return total;
}

}  // namespace tinynmt::bench
