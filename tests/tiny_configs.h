// Small model configs shared by the unit tests (dropout 0: deterministic forward passes).
#pragma once

#include <string>

#include "models/model_config.h"

namespace tinynmt::test_configs {

/// Transformer encoder-decoder, multi-head cross-attention, tied output layer.
inline ModelConfig tiny_transformer(int64_t d, int64_t ff, int64_t layers, int64_t heads) {
  ModelConfig m;
  m.encoder.type = "transformer";
  m.encoder.d_model = d;
  m.encoder.ff = ff;
  m.encoder.layers = layers;
  m.encoder.heads = heads;
  m.encoder.dropout = 0.0;
  m.decoder.type = "transformer";
  m.decoder.attention = "multihead";
  m.decoder.d_model = d;
  m.decoder.ff = ff;
  m.decoder.layers = layers;
  m.decoder.heads = heads;
  m.decoder.dropout = 0.0;
  m.decoder.attention_dropout = 0.0;
  m.decoder.tie_embeddings = true;
  return m;
}

/// RNN encoder-decoder (bidirectional 2-layer encoder), tied output layer behind a pre-output
/// projection (decoder hidden 7 != embedding 6).
inline ModelConfig tiny_rnn(const std::string& rnn, const std::string& attention, bool feeding) {
  ModelConfig m;
  m.encoder.type = "rnn";
  m.encoder.rnn_type = rnn;
  m.encoder.layers = 2;
  m.encoder.embedding_dim = 6;
  m.encoder.hidden_size = 5;
  m.encoder.bidirectional = true;
  m.encoder.dropout = 0.0;
  m.decoder.type = "rnn";
  m.decoder.rnn_type = rnn;
  m.decoder.attention = attention;
  m.decoder.input_feeding = feeding;
  m.decoder.layers = 2;
  m.decoder.embedding_dim = 6;
  m.decoder.hidden_size = 7;
  m.decoder.dropout = 0.0;
  m.decoder.tie_embeddings = true;  // hidden 7 != embedding 6: a pre-output projection
  return m;
}

}  // namespace tinynmt::test_configs
