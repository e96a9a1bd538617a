// Export of a trained run to CTranslate2 (github.com/OpenNMT/CTranslate2), so that tinynmt's
// decoding can be compared with CTranslate2's on the same weights (export/peer_export.h): the peer
// script scripts/ctranslate2_convert.py builds a ctranslate2.specs.TransformerSpec from tinynmt's
// arrays and saves the CTranslate2 model. CTranslate2 is a peer, never a dependency of tinynmt.
#pragma once

#include <string>

#include "export/peer_export.h"
#include "models/model_config.h"
#include "run/load_model.h"

namespace tinynmt::exporting {

/// Throws std::invalid_argument, one line naming the config key, unless `cfg` is what
/// CTranslate2's TransformerSpec can hold: model.encoder.type and model.decoder.type transformer,
/// model.decoder.attention multihead, model.decoder.d_model equal to model.encoder.d_model.
void check_ctranslate2_compatible(const ModelConfig& cfg);

/// The CTranslate2 format for export_to_peer. Its part of model.json: encoder/decoder layers,
/// d_model, heads, ff, pre_norm; embedding scaling by sqrt(d_model); the names of the
/// source/target embedding, output weight and bias (tied embeddings name the same array); and
/// position_encodings.npy [max_positions, d_model], the model's own sinusoidal table (Vaswani et
/// al. 2017 §3.5, sin at even and cos at odd columns).
PeerFormat ctranslate2_format(int64_t max_positions = 1024);

/// write_peer_inputs with ctranslate2_format(max_positions): the converter's input for `m` (a
/// Transformer, checked first with check_ctranslate2_compatible) in the existing directory `dir`.
void write_ctranslate2_inputs(const LoadedModel& m, const std::string& dir,
                              int64_t max_positions = 1024);

/// export_to_peer with ctranslate2_format(): runs scripts/ctranslate2_convert.py, which writes the
/// CTranslate2 model into options.out (quantized when options.quantization is set). Throws as
/// export_to_peer.
void export_ctranslate2(const PeerExportOptions& options);

}  // namespace tinynmt::exporting
