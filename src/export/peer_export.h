// Export of a trained run into another engine's format (CTranslate2, JoeyNMT), so that tinynmt's
// decoding can be compared with the peer's on the same weights. tinynmt writes every parameter as
// a .npy file and a model.json (the format's architecture description, the vocabularies, the
// special tokens) into a temporary directory; the format's peer script (scripts/*_convert.py, run
// with the Python of peer_python.h) builds the peer's model from them with the peer's own API.
// Peers are never dependencies of tinynmt: nothing here links them.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "models/model_config.h"
#include "run/load_model.h"

namespace tinynmt::exporting {

struct PeerExportOptions {
  std::string run_dir;              ///< tinynmt run directory
  std::string checkpoint = "best";  ///< best, last or a checkpoint file
  std::string out;                  ///< the peer's model directory to write
  std::string quantization;         ///< CTranslate2 only: empty = float32; int8, float16...
  bool force = false;               ///< replace an existing non-empty `out`
};

/// What differs between peer formats.
struct PeerFormat {
  std::string name;    ///< the engine, in messages: "CTranslate2"
  std::string script;  ///< the converter, relative to the repository: "scripts/..._convert.py"
  std::string module;  ///< the Python module whose absence the script reports with exit 3
  std::string tag;     ///< model.json "format", checked by the script: "tinynmt-ctranslate2/1"
  /// Throws std::invalid_argument, one line naming the config key, for a model the peer cannot
  /// hold.
  std::function<void(const ModelConfig&)> check;
  /// The format's part of model.json (architecture, parameter roles); may write more arrays into
  /// the directory.
  std::function<nlohmann::json(const LoadedModel&, const std::string& dir)> describe;
};

/// Throws std::invalid_argument "KEY: 'VALUE' cannot be exported to ENGINE (needs NEED)" unless
/// `ok`: the one-line refusal of the formats' check functions.
void require_exportable(bool ok, const std::string& engine, const std::string& key,
                        const std::string& value, const std::string& need);

/// The pieces of `spm` in id order (the peer's token id = the position in this list).
nlohmann::json vocabulary(const SpmModel& spm);

/// The special tokens as models/special_ids.h fixes them: {"pad", "unk", "bos", "eos"} -> piece.
nlohmann::json specials(const SpmModel& spm);

/// Writes `t` as DIR/NAME.npy (float32, C order). Throws std::runtime_error on an I/O failure.
void write_tensor(const std::string& dir, const std::string& name, const torch::Tensor& t);

/// Checks `m` with format.check (before writing anything), then writes into the existing
/// directory `dir`: NAME.npy for every parameter of the network (float32, C order, NAME = the
/// module path, e.g. decoder.readout.weight; torch Linear layout [out, in]) and model.json:
/// format.describe's object plus "format" (format.tag), "parameters" (name -> shape), the source
/// and target vocabularies, the special tokens, the decoder's start token (<s>) and that the
/// source ends with </s>. Throws std::invalid_argument (format.check) or std::runtime_error
/// naming the file on an I/O failure.
void write_peer_inputs(const PeerFormat& format, const LoadedModel& m, const std::string& dir);

/// Loads the run (on the CPU), writes the converter's input into a temporary directory, runs
/// `PYTHON format.script TMP OUT [--quantization Q] [--force]` (peer_python.h) and copies the
/// run's SentencePiece model(s) into OUT. Throws std::invalid_argument (incompatible model),
/// std::runtime_error when OUT exists and is not empty without `force`, when the script is not
/// found, or when the converter fails (its last error line; a missing module says which
/// scripts/install_peers.sh call installs it).
void export_to_peer(const PeerFormat& format, const PeerExportOptions& options);

}  // namespace tinynmt::exporting
