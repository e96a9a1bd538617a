// The JoeyNMT export (export/joeynmt_export.h): which models it refuses, and the parameter names
// scripts/joeynmt_convert.py maps. The conversion itself needs the joeynmt Python module:
// tests/cli/export_joeynmt.sh.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "export/joeynmt_export.h"
#include "models/seq2seq.h"
#include "tiny_configs.h"

using namespace tinynmt;

namespace {

// A model JoeyNMT's recurrent encoder-decoder computes: GRUs, luong-general attention after the
// cell, one decoder layer, no tied embeddings.
ModelConfig joeynmt_twin(bool feeding) {
  auto cfg = test_configs::tiny_rnn("gru", "luong-general", feeding);
  cfg.decoder.layers = 1;
  cfg.decoder.tie_embeddings = false;
  return cfg;
}

// The message check_joeynmt_compatible throws for cfg ("" when it accepts it).
std::string refusal(const ModelConfig& cfg) {
  try {
    exporting::check_joeynmt_compatible(cfg);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool refused_for(const ModelConfig& cfg, const std::string& key_and_value) {
  const std::string m = refusal(cfg);
  return m.rfind(key_and_value + " cannot be exported to JoeyNMT", 0) == 0 &&
         m.find('\n') == std::string::npos;
}

}  // namespace

TEST(JoeynmtExport, AcceptsAGruLuongGeneralModelWithAndWithoutInputFeeding) {
  EXPECT_EQ(refusal(joeynmt_twin(true)), "");
  EXPECT_EQ(refusal(joeynmt_twin(false)), "");
}

TEST(JoeynmtExport, RefusesWhatJoeyNmtComputesDifferentlyNamingTheConfigKey) {
  EXPECT_TRUE(refused_for(test_configs::tiny_transformer(8, 16, 2, 2),
                          "model.encoder.type: 'transformer'"));
  auto cfg = joeynmt_twin(true);
  cfg.decoder.attention = "bahdanau";
  EXPECT_TRUE(refused_for(cfg, "model.decoder.attention: 'bahdanau'")) << refusal(cfg);
  cfg = joeynmt_twin(true);
  cfg.decoder.attention_placement = "bahdanau";
  EXPECT_TRUE(refused_for(cfg, "model.decoder.attention_placement: 'bahdanau'")) << refusal(cfg);
  cfg = joeynmt_twin(true);
  cfg.decoder.rnn_type = "lstm";
  EXPECT_TRUE(refused_for(cfg, "model.decoder.rnn_type: 'lstm'")) << refusal(cfg);
  cfg = joeynmt_twin(true);
  cfg.decoder.layers = 2;
  EXPECT_TRUE(refused_for(cfg, "model.decoder.layers: '2'")) << refusal(cfg);
  cfg = joeynmt_twin(true);
  cfg.decoder.tie_embeddings = true;
  EXPECT_TRUE(refused_for(cfg, "model.decoder.tie_embeddings: 'true'")) << refusal(cfg);
}

TEST(JoeynmtExport, QuantizationIsRefused) {
  exporting::PeerExportOptions o;
  o.quantization = "int8";
  EXPECT_THROW(exporting::export_joeynmt(o), std::invalid_argument);
}

// scripts/joeynmt_convert.py reads the parameters by these names and shapes: a rename in models/
// must show up here, not only where joeynmt is installed.
TEST(JoeynmtExport, ParameterNamesAreTheOnesTheConverterMaps) {
  for (const bool feeding : {true, false}) {
    const auto cfg = joeynmt_twin(feeding);
    auto model = make_seq2seq(cfg, 11, 11);
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& p : model->named_parameters()) shapes[p.key()] = p.value().sizes().vec();
    const int64_t H = cfg.decoder.hidden_size, E = cfg.decoder.embedding_dim;
    const int64_t ctx = 2 * cfg.encoder.hidden_size;
    const std::map<std::string, std::vector<int64_t>> expected = {
        {"src_embed.weight", {11, cfg.encoder.embedding_dim}},
        {"tgt_embed.weight", {11, E}},
        {"out_weight", {11, H}},
        {"out_bias", {11}},
        {"encoder.gru.weight_ih_l0", {3 * cfg.encoder.hidden_size, cfg.encoder.embedding_dim}},
        {"encoder.gru.weight_hh_l1_reverse",
         {3 * cfg.encoder.hidden_size, cfg.encoder.hidden_size}},
        {"decoder.w_ih_l0", {3 * H, E}},
        {"decoder.w_hh_l0", {3 * H, H}},
        {"decoder.b_ih_l0", {3 * H}},
        {"decoder.b_hh_l0", {3 * H}},
        {"decoder.bridge_h.weight", {H, ctx}},
        {"decoder.bridge_h.bias", {H}},
        {"decoder.attention.w.weight", {H, ctx}},
        {"decoder.readout.weight", {H, ctx + H}},  // over [c; h]
        {"decoder.readout.bias", {H}}};
    for (const auto& [name, shape] : expected) {
      ASSERT_TRUE(shapes.count(name)) << "no parameter " << name;
      EXPECT_EQ(shapes[name], shape) << name;
    }
    EXPECT_EQ(shapes.count("decoder.w_feed"), feeding ? 1u : 0u);
    if (feeding) EXPECT_EQ(shapes["decoder.w_feed"], (std::vector<int64_t>{3 * H, H}));
  }
}
