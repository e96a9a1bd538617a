// Attention records (align/attention_io.h) from a model's attention tensors: the nested matrices,
// the record of an empty input, the self-attention parts, and what --self-attention gives for a
// model with RNN parts.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "align/attention_io.h"
#include "models/model_config.h"
#include "run/load_model.h"

namespace tinynmt::decode {

/// [layers, heads, rows, cols] tensor (any device, float) -> nested vectors
/// [layer][head][row][col] of float32.
align::LayerHeadMatrices to_matrices(const torch::Tensor& attention);

/// A record with no tokens (an empty input): the model's layer/head shape with empty matrices;
/// with `self_attention` also the encoder's and decoder's self-attention shape (layers and heads
/// from model.encoder / model.decoder) for each Transformer part (an RNN part has none).
align::AttentionRecord empty_record(const LoadedModel& m, int64_t index, bool self_attention);

/// Self-attention weights [layers, heads, n, n] as a record part at subword level (fill_word_level
/// adds the word level); an undefined tensor (no self-attention) gives a part not present.
align::SelfAttention self_part(const torch::Tensor& weights);

/// "" when the model's encoder and decoder both have self-attention (Transformers); else one
/// sentence saying which part is an RNN and so has none (for --self-attention's note).
std::string self_attention_note(const ModelConfig& model);

}  // namespace tinynmt::decode
