#include "export/ctranslate2_export.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "models/embeddings.h"

namespace tinynmt::exporting {
using nlohmann::json;

namespace {

void require(bool ok, const std::string& key, const std::string& value, const std::string& need) {
  require_exportable(ok, "CTranslate2", key, value, need);
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

PeerFormat ctranslate2_format(int64_t max_positions) {
  PeerFormat f{"CTranslate2",           "scripts/ctranslate2_convert.py", "ctranslate2",
               "tinynmt-ctranslate2/1", check_ctranslate2_compatible,     {}};
  f.describe = [max_positions](const LoadedModel& m, const std::string& dir) {
    const auto& cfg = m.config.model;
    write_tensor(dir, "position_encodings",
                 sinusoidal_positions(max_positions, cfg.decoder.d_model));
    const bool tie_out = cfg.tie_all_embeddings || cfg.decoder.tie_embeddings;
    json j = architecture(cfg);
    j["position_encodings"] = "position_encodings";
    j["source_embedding"] = cfg.tie_all_embeddings ? "tgt_embed.weight" : "src_embed.weight";
    j["target_embedding"] = "tgt_embed.weight";
    j["output_weight"] = tie_out ? "tgt_embed.weight" : "out_weight";
    j["output_bias"] = "out_bias";
    return j;
  };
  return f;
}

void write_ctranslate2_inputs(const LoadedModel& m, const std::string& dir, int64_t max_positions) {
  write_peer_inputs(ctranslate2_format(max_positions), m, dir);
}

void export_ctranslate2(const PeerExportOptions& o) { export_to_peer(ctranslate2_format(), o); }

}  // namespace tinynmt::exporting
