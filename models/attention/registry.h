// Attention registry: builds any attention module by its config name.
#pragma once

#include <memory>

#include "models/attention/attention.h"

namespace tinynmt {

/// Builds the attention named cfg.type (one of attention_names()):
///   bahdanau                                  -> AdditiveAttention (hidden_dim, 0 = query_dim)
///   luong-dot | luong-general | luong-concat  -> MultiplicativeAttention
///   local-m | local-p                         -> LocalAttention (window D)
///   multihead                                 -> MultiHeadAttention (heads, dropout; model size
///                                                hidden_dim, 0 = query_dim)
/// Throws std::invalid_argument for an unknown name (the message lists the choices) or an
/// impossible size combination (luong-dot with query_dim != key_dim, heads not dividing the model
/// size, window < 1).
std::shared_ptr<AttentionImpl> make_attention(const AttentionConfig& cfg);

}  // namespace tinynmt
