#include "export/ctranslate2_export.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "align/attention_io.h"
#include "export/peer_python.h"
#include "models/embeddings.h"
#include "models/special_ids.h"
#include "run/run_dir.h"
#include "util/process.h"

namespace tinynmt::exporting {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kConvertScript = "scripts/ctranslate2_convert.py";
constexpr int kMissingModuleExit = 3;  // ctranslate2_convert.py: `import ctranslate2` failed

void require(bool ok, const std::string& key, const std::string& value, const std::string& need) {
  if (!ok)
    throw std::invalid_argument(
        fmt::format("{}: '{}' cannot be exported to CTranslate2 (needs {})", key, value, need));
}

void write_tensor(const std::string& dir, const std::string& name, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  std::vector<float> data(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  align::write_npy((fs::path(dir) / (name + ".npy")).string(), data, c.sizes().vec());
}

json vocabulary(const SpmModel& spm) {
  json v = json::array();
  for (int64_t id = 0; id < spm.size(); ++id) v.push_back(spm.id_to_piece(id));
  return v;  // pieces in id order: CTranslate2's token id = the position in this list
}

json architecture(const ModelConfig& cfg) {
  auto side = [](int64_t layers, int64_t d, int64_t heads, int64_t ff, const std::string& norm) {
    return json{{"layers", layers},
                {"d_model", d},
                {"heads", heads},
                {"ff", ff},
                {"pre_norm", norm == "pre"}};
  };
  const auto& e = cfg.encoder;
  const auto& d = cfg.decoder;
  return json{{"encoder", side(e.layers, e.d_model, e.heads, e.ff, e.norm)},
              {"decoder", side(d.layers, d.d_model, d.heads, d.ff, d.norm)},
              {"activation", "relu"},
              {"layer_norm_epsilon", 1e-5},
              {"scale_embeddings", true}};  // models/encoder_decoder.cpp: Transformer parts scale
}

// The special tokens as models/special_ids.h fixes them, named by the SentencePiece model.
json specials(const SpmModel& spm) {
  return json{{"pad", spm.id_to_piece(kPadId)},
              {"unk", spm.id_to_piece(kUnkId)},
              {"bos", spm.id_to_piece(kBosId)},
              {"eos", spm.id_to_piece(kEosId)}};
}

std::vector<std::string> spm_files(const LoadedModel& m, const std::string& run_dir) {
  const RunDir dir{run_dir};
  if (m.config.data.tokenizer.joint) return {dir.joint_spm_model()};
  return {dir.src_spm_model(), dir.tgt_spm_model()};
}

}  // namespace

void check_ctranslate2_compatible(const ModelConfig& cfg) {
  require(cfg.encoder.type == "transformer", "model.encoder.type", cfg.encoder.type,
          "a Transformer encoder");
  require(cfg.decoder.type == "transformer", "model.decoder.type", cfg.decoder.type,
          "a Transformer decoder");
  require(cfg.decoder.attention == "multihead", "model.decoder.attention", cfg.decoder.attention,
          "multihead cross-attention");
  require(cfg.decoder.d_model == cfg.encoder.d_model, "model.decoder.d_model",
          std::to_string(cfg.decoder.d_model),
          fmt::format("the encoder's d_model {}", cfg.encoder.d_model));
}

void write_ctranslate2_inputs(const LoadedModel& m, const std::string& dir, int64_t max_positions) {
  check_ctranslate2_compatible(m.config.model);
  const auto params = m.model->named_parameters(/*recurse=*/true);
  json files = json::object();
  for (const auto& p : params) {
    write_tensor(dir, p.key(), p.value());
    files[p.key()] = p.value().sizes().vec();
  }
  const int64_t d = m.config.model.decoder.d_model;
  write_tensor(dir, "position_encodings", sinusoidal_positions(max_positions, d));
  const bool tie_all = m.config.model.tie_all_embeddings;
  const bool tie_out = tie_all || m.config.model.decoder.tie_embeddings;
  json j = architecture(m.config.model);
  j["format"] = "tinynmt-ctranslate2/1";
  j["parameters"] = files;
  j["position_encodings"] = "position_encodings";
  j["source_embedding"] = tie_all ? "tgt_embed.weight" : "src_embed.weight";
  j["target_embedding"] = "tgt_embed.weight";
  j["output_weight"] = tie_out ? "tgt_embed.weight" : "out_weight";
  j["output_bias"] = "out_bias";
  j["source_vocabulary"] = vocabulary(m.tokenizer.src());
  j["target_vocabulary"] = vocabulary(m.tokenizer.tgt());
  j["special_tokens"] = specials(m.tokenizer.tgt());
  j["decoder_start_token"] = m.tokenizer.tgt().id_to_piece(kBosId);  // decode/greedy.cpp: BOS
  j["add_source_eos"] = true;  // decode/translator.cpp: source pieces + </s>
  const std::string path = (fs::path(dir) / "model.json").string();
  std::ofstream out(path);
  out << j.dump(1) << '\n';
  if (!out) throw std::runtime_error(fmt::format("{}: cannot write", path));
}

void export_ctranslate2(const CTranslate2ExportOptions& o) {
  std::error_code ec;
  if (fs::exists(o.out) && !fs::is_empty(o.out, ec) && !o.force)
    throw std::runtime_error(
        fmt::format("{}: exists and is not empty (give --force to replace it)", o.out));
  const std::string script = repository_file(kConvertScript);
  if (script.empty())
    throw std::runtime_error(fmt::format(
        "{}: not found under the working directory or beside the tinynmt binary", kConvertScript));
  LoadedModel m = load_model(o.run_dir, o.checkpoint, "cpu");
  TempDir tmp;
  write_ctranslate2_inputs(m, tmp.path());  // checks the model before writing anything
  const std::string python = peer_python();
  std::vector<std::string> args = {tmp.path(), o.out};
  if (!o.quantization.empty()) args.insert(args.end(), {"--quantization", o.quantization});
  if (o.force) args.push_back("--force");
  spdlog::info("converting {} (step {}) with {} {}", m.checkpoint, m.state.step, python, script);
  const auto r = run_python(python, script, args, (fs::path(tmp.path()) / "stderr.txt").string());
  if (r.exit_code == kMissingModuleExit)
    throw std::runtime_error(
        fmt::format("the ctranslate2 Python module is not importable by {}: install it with "
                    "scripts/install_peers.sh ctranslate2 (or set TINYNMT_PYTHON)",
                    python));
  if (r.exit_code == 127)
    throw std::runtime_error(fmt::format("cannot run {} (set TINYNMT_PYTHON)", python));
  if (r.exit_code != 0)
    throw std::runtime_error(
        fmt::format("{} failed (exit {}): {}", kConvertScript, r.exit_code, r.last_error));
  for (const auto& f : spm_files(m, o.run_dir))
    fs::copy_file(f, fs::path(o.out) / fs::path(f).filename(),
                  fs::copy_options::overwrite_existing);
}

}  // namespace tinynmt::exporting
