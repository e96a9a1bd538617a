#include "bench/flops.h"

#include <stdexcept>

namespace tinynmt::bench {
namespace {

/// Size of the attention's context vectors (AttentionImpl::output_dim()).
int64_t context_dim(const AttentionConfig& a) {
  if (a.type == "multihead") return a.hidden_dim > 0 ? a.hidden_dim : a.query_dim;
  return a.value_dim > 0 ? a.value_dim : a.key_dim;
}

/// The cross-attention config the decoder builds (as in models/transformer.cpp and
/// models/rnn_decoder.cpp): query = the decoder's size, key/value = the encoder's output size.
AttentionConfig cross_attention_config(const DecoderConfig& dec, int64_t query_dim,
                                       int64_t enc_dim) {
  AttentionConfig a;
  a.type = dec.attention;
  a.query_dim = query_dim;
  a.key_dim = enc_dim;
  a.value_dim = enc_dim;
  a.hidden_dim = query_dim;
  a.heads = dec.attention == "multihead" ? dec.heads : 1;
  a.window = dec.window;
  return a;
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
  const double S = static_cast<double>(src_len), T = static_cast<double>(tgt_len);
  const int64_t q = a.query_dim, k = a.key_dim;
  const int64_t v = a.value_dim > 0 ? a.value_dim : k;
  const int64_t hid = a.hidden_dim > 0 ? a.hidden_dim : q;
  const double pairs = S * T;
  const auto& t = a.type;
  if (t == "multihead") {
    const double m = static_cast<double>(hid);
    return S * (matmul_flops(1, k, hid) + matmul_flops(1, v, hid))  // K, V projections
           + T * (matmul_flops(1, q, hid) + matmul_flops(1, hid, hid))  // Q, output projections
           + 2.0 * 2.0 * pairs * m;                                     // Q·K^T and A·V
  }
  if (t == "bahdanau" || t == "luong-concat") {
    return S * matmul_flops(1, k, hid)   // U·h_j (key half of W_a), once per batch
           + T * matmul_flops(1, q, hid)  // W·s (query half)
           + pairs * matmul_flops(1, hid, 1)  // v^T tanh(...) for every (t, s)
           + 2.0 * pairs * v;                 // context A·V
  }
  if (t == "luong-dot") return 2.0 * pairs * k + 2.0 * pairs * v;
  if (t == "luong-general" || t == "local-m" || t == "local-p") {
    double f = S * matmul_flops(1, k, q)  // W_a·h_s, once per batch
               + 2.0 * pairs * q          // h_t^T (W_a h_s)
               + 2.0 * pairs * v;         // context
    if (t == "local-p") f += T * (matmul_flops(1, q, hid) + matmul_flops(1, hid, 1));  // eq. (9)
    return f;
  }
  throw std::invalid_argument("attention_flops: unknown attention '" + t + "'");
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
    const double per_layer = S * (4 * matmul_flops(1, d, d)          // Q, K, V, O projections
                                  + matmul_flops(1, d, enc.ff)       // FFN in
                                  + matmul_flops(1, enc.ff, d))      // FFN out
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
    const double bridge = (dec.rnn_type == "lstm" ? 2 : 1) * matmul_flops(1, enc_dim, dec.layers * H);
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
