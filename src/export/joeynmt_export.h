// Export of a trained RNN run to JoeyNMT 2.3 (github.com/joeynmt/joeynmt), so that tinynmt's RNN
// decoding can be compared with JoeyNMT's on the same weights (export/peer_export.h); RNN models
// have no CTranslate2 path. The peer script scripts/joeynmt_convert.py maps tinynmt's arrays onto
// JoeyNMT's RecurrentEncoder/RecurrentDecoder and writes a JoeyNMT model directory (config.yaml,
// vocab.txt, model.ckpt); scripts/joeynmt_translate.py decodes with it. JoeyNMT is a peer, never a
// dependency of tinynmt.
#pragma once

#include "export/peer_export.h"
#include "models/model_config.h"

namespace tinynmt::exporting {

/// Throws std::invalid_argument, one line naming the config key, unless `cfg` computes what
/// JoeyNMT's recurrent model computes (JoeyNMT 2.3 decoders.py RecurrentDecoder._forward_step:
/// the cell, then attention with the new state, then h~ = tanh(W[h; c]), fed into the next step):
/// model.encoder.type and model.decoder.type rnn, both rnn_type gru (JoeyNMT starts an LSTM's
/// cell state from the same bridge as its hidden state), model.decoder.attention luong-general
/// (JoeyNMT's "luong"; its "bahdanau" has no bias on the key projection, tinynmt's has),
/// model.decoder.attention_placement auto or luong, model.decoder.layers 1 (JoeyNMT starts every
/// layer from one bridge), no tied embeddings.
void check_joeynmt_compatible(const ModelConfig& cfg);

/// The JoeyNMT format for export_to_peer. Its part of model.json: "encoder" (rnn_type, layers,
/// embedding_dim, hidden_size, bidirectional), "decoder" (rnn_type, layers, embedding_dim,
/// hidden_size, input_feeding), and the output layer's names ("output_weight", "output_bias":
/// tinynmt's output layer has a bias, JoeyNMT's none, so joeynmt_translate.py adds one).
PeerFormat joeynmt_format();

/// export_to_peer with joeynmt_format(): runs scripts/joeynmt_convert.py, which writes
/// options.out/config.yaml, vocab.txt and model.ckpt. options.quantization must be empty. Throws
/// as export_to_peer, and std::invalid_argument for a quantization.
void export_joeynmt(const PeerExportOptions& options);

}  // namespace tinynmt::exporting
