#include "export/joeynmt_export.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace tinynmt::exporting {
using nlohmann::json;

namespace {

void require(bool ok, const std::string& key, const std::string& value, const std::string& need) {
  require_exportable(ok, "JoeyNMT", key, value, need);
}

}  // namespace

void check_joeynmt_compatible(const ModelConfig& cfg) {
  const auto& e = cfg.encoder;
  const auto& d = cfg.decoder;
  require(e.type == "rnn", "model.encoder.type", e.type, "a recurrent encoder");
  require(e.rnn_type == "gru", "model.encoder.rnn_type", e.rnn_type, "gru");
  require(d.type == "rnn", "model.decoder.type", d.type, "a recurrent decoder");
  require(d.rnn_type == "gru", "model.decoder.rnn_type", d.rnn_type, "gru");
  require(d.attention == "luong-general", "model.decoder.attention", d.attention,
          "luong-general, JoeyNMT's luong attention");
  require(d.attention_placement == "auto" || d.attention_placement == "luong",
          "model.decoder.attention_placement", d.attention_placement,
          "auto or luong: JoeyNMT attends after the cell");
  require(d.layers == 1, "model.decoder.layers", std::to_string(d.layers),
          "1: JoeyNMT starts every decoder layer from one bridge");
  require(!d.tie_embeddings, "model.decoder.tie_embeddings", "true", "false");
  require(!cfg.tie_all_embeddings, "model.tie_all_embeddings", "true", "false");
}

PeerFormat joeynmt_format() {
  PeerFormat f{"JoeyNMT",           "scripts/joeynmt_convert.py", "joeynmt",
               "tinynmt-joeynmt/1", check_joeynmt_compatible,     {}};
  f.describe = [](const LoadedModel& m, const std::string& /*dir*/) {
    const auto& e = m.config.model.encoder;
    const auto& d = m.config.model.decoder;
    return json{{"encoder",
                 {{"rnn_type", e.rnn_type},
                  {"layers", e.layers},
                  {"embedding_dim", e.embedding_dim},
                  {"hidden_size", e.hidden_size},
                  {"bidirectional", e.bidirectional}}},
                {"decoder",
                 {{"rnn_type", d.rnn_type},
                  {"layers", d.layers},
                  {"embedding_dim", d.embedding_dim},
                  {"hidden_size", d.hidden_size},
                  {"input_feeding", d.input_feeding}}},
                {"output_weight", "out_weight"},
                {"output_bias", "out_bias"}};
  };
  return f;
}

void export_joeynmt(const PeerExportOptions& o) {
  if (!o.quantization.empty())
    throw std::invalid_argument(
        fmt::format("--quantization {}: only the CTranslate2 export quantizes", o.quantization));
  export_to_peer(joeynmt_format(), o);
}

}  // namespace tinynmt::exporting
