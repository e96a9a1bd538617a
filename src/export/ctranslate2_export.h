// Export of a trained run to CTranslate2 (github.com/OpenNMT/CTranslate2), so that tinynmt's
// decoding can be compared with CTranslate2's on the same weights. tinynmt writes the weights as
// .npy files and the architecture as JSON into a temporary directory; the peer script
// scripts/ctranslate2_convert.py (run with the Python of peer_python.h) builds a
// ctranslate2.specs.TransformerSpec from them and saves the CTranslate2 model. CTranslate2 is a
// peer, never a dependency of tinynmt: nothing here links it.
#pragma once

#include <string>

#include "models/model_config.h"
#include "run/load_model.h"

namespace tinynmt::exporting {

/// Throws std::invalid_argument, one line naming the config key, unless `cfg` is what
/// CTranslate2's TransformerSpec can hold: model.encoder.type and model.decoder.type transformer,
/// model.decoder.attention multihead, model.decoder.d_model equal to model.encoder.d_model.
void check_ctranslate2_compatible(const ModelConfig& cfg);

/// Writes the converter's input for `m` (a Transformer, checked first with
/// check_ctranslate2_compatible) into the existing directory `dir`:
///  - NAME.npy for every parameter of the network (float32, C order, NAME = the module path,
///    e.g. encoder.layer0.self_attn.q_proj.weight [d_model, d_model], torch Linear layout
///    [out, in]), and position_encodings.npy [max_positions, d_model], the model's own
///    sinusoidal table (Vaswani et al. 2017 §3.5, sin at even and cos at odd columns);
///  - model.json: encoder/decoder layers, d_model, heads, ff, pre_norm; embedding scaling by
///    sqrt(d_model); the names of the source/target embedding, output weight and bias (tied
///    embeddings name the same array); the source and target vocabularies (SentencePiece pieces
///    in id order) and the special tokens (pad/unk/bos/eos); the decoder's start token (<s>) and
///    that the source ends with </s>.
/// Throws std::runtime_error naming the file on an I/O failure.
void write_ctranslate2_inputs(const LoadedModel& m, const std::string& dir,
                              int64_t max_positions = 1024);

struct CTranslate2ExportOptions {
  std::string run_dir;              ///< tinynmt run directory
  std::string checkpoint = "best";  ///< best, last or a checkpoint file
  std::string out;                  ///< CTranslate2 model directory to write
  std::string quantization;         ///< empty = keep float32; else int8, int8_float32, float16...
  bool force = false;               ///< replace an existing non-empty `out`
};

/// Loads the run (on the CPU), checks it, writes the converter's input into a temporary directory,
/// runs `PYTHON scripts/ctranslate2_convert.py TMP OUT [--quantization Q]` (peer_python.h) and
/// copies the run's SentencePiece model(s) into OUT. Throws std::invalid_argument (incompatible
/// model, one line naming the config key), std::runtime_error when OUT exists and is not empty
/// without `force`, or when the converter fails (its last error line; a missing ctranslate2
/// module says to run scripts/install_peers.sh ctranslate2).
void export_ctranslate2(const CTranslate2ExportOptions& options);

}  // namespace tinynmt::exporting
