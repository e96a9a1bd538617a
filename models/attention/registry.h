// The attention table: one row per attention type, holding everything that differs between the
// types (builder, head count, output size, FLOP formula, size rules). A new type is one file with
// its module and its row function, plus one line in registry.cpp's table.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/attention/attention.h"
#include "models/model_config.h"

namespace tinynmt {

/// One row of the attention table. Every function takes a config with its sizes resolved
/// (resolve_sizes): value_dim and hidden_dim are set.
struct AttentionType {
  std::string name;  ///< the config name, e.g. "luong-general"
  /// Builds the module. Throws AttentionError as the module's constructor does.
  std::function<std::shared_ptr<AttentionImpl>(const AttentionConfig&)> build;
  /// Heads in the module's weights (AttentionImpl::heads()).
  std::function<int64_t(const AttentionConfig&)> heads;
  /// Size of the context vectors (AttentionImpl::output_dim()).
  std::function<int64_t(const AttentionConfig&)> output_dim;
  /// Forward FLOPs for one sentence with src_len keys and tgt_len queries, matrix products only
  /// (2·m·k·n each, as src/bench/flops.h counts); the formula is in the type's header.
  std::function<double(const AttentionConfig&, int64_t src_len, int64_t tgt_len)> flops;
  /// Throws AttentionError naming the parameter when the sizes cannot work (e.g. heads not
  /// dividing the model size); does nothing for a type without size rules.
  std::function<void(const AttentionConfig&)> check_sizes;
};

/// The table, in the order of attention_names().
const std::vector<AttentionType>& attention_types();

/// The row named `name`. Throws AttentionError("type", ...) listing the choices when unknown.
const AttentionType& attention_type(const std::string& name);

/// cfg with value_dim (0 -> key_dim) and hidden_dim (0 -> query_dim) filled in.
AttentionConfig resolve_sizes(const AttentionConfig& cfg);

/// Builds the attention named cfg.type (one of attention_names()):
///   bahdanau                                  -> AdditiveAttention (hidden_dim, 0 = query_dim)
///   luong-dot | luong-general | luong-concat  -> MultiplicativeAttention
///   local-m | local-p                         -> LocalAttention (window D)
///   multihead                                 -> MultiHeadAttention (heads, dropout; model size
///                                                hidden_dim, 0 = query_dim)
/// Throws AttentionError (a std::invalid_argument) for an unknown name (the message lists the
/// choices) or an impossible size combination (luong-dot with query_dim != key_dim, heads not
/// dividing the model size, window < 1); AttentionError::parameter() names the field.
std::shared_ptr<AttentionImpl> make_attention(const AttentionConfig& cfg);

}  // namespace tinynmt
