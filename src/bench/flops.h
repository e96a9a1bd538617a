// Explicit floating-point operation counts of the tinynmt networks (models/), used by
// `tinynmt bench` to turn measured throughput into model GFLOP/s.
//
// Conventions (the usual ones of Kaplan et al. 2020 §2.1 and Narayanan et al. 2021 §5.1):
//  - only matrix products are counted: a product of [m, k] by [k, n] is 2·m·k·n FLOPs (one
//    multiply and one add per term). Element-wise work (biases, activations, softmax, layer
//    norm, dropout, residual adds) and embedding look-ups are not counted;
//  - a training step costs 3 × the forward FLOPs (the backward pass computes the gradients of
//    both inputs and weights of every product: 2 × forward);
//  - only real (non-pad) tokens are counted: per-token terms use a sentence's real lengths and
//    attention terms use its real S·T (or T·T). The padding a batch carries is reported
//    separately (padding ratio), so padding shows up as a lower percentage of the peak.
//
// Notation: S = source length (ids, EOS included), T = target length (|y| + 1, the length of
// tgt_in/tgt_out), d = d_model, ff = feed-forward size, V = target vocabulary, E = embedding
// size, H = RNN hidden size, g = gates (3 GRU, 4 LSTM), a = attention hidden size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/flop_count.h"
#include "models/model_config.h"

namespace tinynmt::bench {

/// Forward FLOPs of one sentence pair, by part. All in FLOPs (not GFLOPs).
struct FlopBreakdown {
  double encoder = 0;    ///< encoder projections / recurrences and encoder self-attention
  double decoder = 0;    ///< decoder projections / recurrences, bridge, readout, self-attention
  double attention = 0;  ///< cross-attention: key/query projections, scores and context
  double output = 0;     ///< output layer (pre-projection when tied, then 2·E·V per target token)
  double total() const { return encoder + decoder + attention + output; }
  FlopBreakdown& operator+=(const FlopBreakdown& o);
};

/// Forward FLOPs of one cross-attention module (models/attention/) for one sentence with S keys
/// and T queries, counting what the implementation computes: the type's row in the attention
/// table (models/attention/registry.h); each type's header gives its formula (multihead:
/// Vaswani et al. 2017 §3.2.2; bahdanau: Bahdanau et al. 2015 eq. (6); luong-*, local-*:
/// Luong et al. 2015 §3.1, §3.2). value_dim 0 = key_dim, hidden_dim 0 = query_dim.
/// Throws std::invalid_argument (AttentionError) for an unknown type.
double attention_flops(const AttentionConfig& a, int64_t src_len, int64_t tgt_len);

/// Forward FLOPs of one sentence pair through make_seq2seq(cfg, ·, tgt_vocab):
///
/// Transformer encoder, per layer: 2·4·d² per source token (Q, K, V, O projections),
/// 2·2·d·ff per source token (feed-forward), 2·2·S·S·d per sentence (scores and context).
/// Transformer decoder, per layer: self-attention 2·4·d² per target token and 2·2·T·T·d per
/// sentence (the causal mask does not skip work); cross-attention by attention_flops() with
/// query_dim = d, key/value dim = the encoder's output size (multihead: Q/O per target token,
/// K/V per source token, 2·2·T·S·d); a projection 2·ctx·d per target token when the
/// cross-attention output size ctx != d; feed-forward 2·2·d·ff per target token.
///
/// RNN encoder (packed, so no work on padding), per layer and direction, per source token:
/// 2·g·(in + H)·H with in = E for layer 0 and dirs·H above (input and recurrent products).
/// RNN decoder, per target token: layer 0 2·g·(E + H)·H, plus 2·g·ctx·H (bahdanau placement:
/// the context enters the cell) or 2·g·H·H (luong placement with input feeding); layers above
/// 2·g·(H + H)·H; readout 2·(H + ctx + E)·H (bahdanau) or 2·(ctx + H)·H (luong); cross-
/// attention by attention_flops() with query_dim = H, key/value dim = the encoder's output
/// size, a = H; per sentence the bridge 2·enc·L·H (twice for LSTM).
///
/// Output layer, per target token: 2·feat·E when the output is tied to an embedding of size
/// E != feat (the decoder's feature size), then 2·E·V (2·feat·V untied).
FlopBreakdown forward_flops(const ModelConfig& cfg, int64_t tgt_vocab, int64_t src_len,
                            int64_t tgt_len);

/// Sum of forward_flops() over sentence pairs (src_lengths[i], tgt_lengths[i]), real lengths.
/// Throws std::invalid_argument when the two lists differ in size.
FlopBreakdown forward_flops(const ModelConfig& cfg, int64_t tgt_vocab,
                            const std::vector<int64_t>& src_lengths,
                            const std::vector<int64_t>& tgt_lengths);

/// One training step (forward + backward) = 3 × forward (see the header comment).
constexpr double kTrainingFlopFactor = 3.0;

/// FLOPs of an [m, k] × [k, n] float product: 2·m·k·n (models/flop_count.h).
using tinynmt::matmul_flops;

}  // namespace tinynmt::bench
