// The CTranslate2 export (export/ctranslate2_export.h, export/peer_python.h): which models it
// refuses, the parameter names scripts/ctranslate2_convert.py maps, and running a peer script.
// The conversion itself needs the ctranslate2 Python module: tests/cli/export_ctranslate2.sh.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

#include "export/ctranslate2_export.h"
#include "export/peer_python.h"
#include "models/seq2seq.h"
#include "tiny_configs.h"
#include "util/process.h"

using namespace tinynmt;
namespace fs = std::filesystem;

namespace {

// The message check_ctranslate2_compatible throws for cfg ("" when it accepts it).
std::string refusal(const ModelConfig& cfg) {
  try {
    exporting::check_ctranslate2_compatible(cfg);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CTranslate2Export, AcceptsATransformerWithMultiHeadCrossAttention) {
  EXPECT_EQ(refusal(test_configs::tiny_transformer(8, 16, 2, 2)), "");
}

TEST(CTranslate2Export, RefusesAnRnnModelNamingTheConfigKey) {
  const std::string m = refusal(test_configs::tiny_rnn("gru", "bahdanau", false));
  EXPECT_EQ(m.rfind("model.encoder.type: 'rnn' cannot be exported to CTranslate2", 0), 0u) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(CTranslate2Export, RefusesOtherCrossAttentionAndMixedSizes) {
  auto cfg = test_configs::tiny_transformer(8, 16, 2, 2);
  cfg.decoder.attention = "bahdanau";
  EXPECT_EQ(refusal(cfg).rfind("model.decoder.attention: 'bahdanau'", 0), 0u) << refusal(cfg);
  cfg = test_configs::tiny_transformer(8, 16, 2, 2);
  cfg.decoder.type = "rnn";
  EXPECT_EQ(refusal(cfg).rfind("model.decoder.type: 'rnn'", 0), 0u) << refusal(cfg);
  cfg = test_configs::tiny_transformer(8, 16, 2, 2);
  cfg.decoder.d_model = 16;
  EXPECT_EQ(refusal(cfg).rfind("model.decoder.d_model: '16'", 0), 0u) << refusal(cfg);
}

// scripts/ctranslate2_convert.py reads the parameters by these names: a rename in models/ must
// show up here, not only where ctranslate2 is installed.
TEST(CTranslate2Export, ParameterNamesAreTheOnesTheConverterMaps) {
  for (const std::string norm : {"pre", "post"}) {
    auto cfg = test_configs::tiny_transformer(8, 16, 2, 2);
    cfg.encoder.norm = cfg.decoder.norm = norm;
    auto model = make_seq2seq(cfg, 11, 11);
    std::set<std::string> names;
    for (const auto& p : model->named_parameters()) names.insert(p.key());
    std::vector<std::string> expected = {"tgt_embed.weight", "src_embed.weight", "out_bias"};
    for (const std::string l : {"encoder.layer1", "decoder.layer1"})
      for (const std::string n : {".self_attn.q_proj", ".self_attn.k_proj", ".self_attn.v_proj",
                                  ".self_attn.out_proj", ".ff.l1", ".ff.l2", ".ln1", ".ln2"})
        for (const std::string w : {".weight", ".bias"}) expected.push_back(l + n + w);
    for (const std::string n : {".cross_attn.q_proj", ".cross_attn.k_proj", ".cross_attn.v_proj",
                                ".cross_attn.out_proj", ".ln3"})
      expected.push_back("decoder.layer1" + n + ".bias");
    if (norm == "pre")
      for (const std::string n : {"encoder.final_ln.weight", "decoder.final_ln.bias"})
        expected.push_back(n);
    for (const auto& e : expected) EXPECT_TRUE(names.count(e)) << norm << ": no parameter " << e;
    EXPECT_FALSE(names.count("out_weight")) << "tied output layer: tgt_embed.weight is the weight";
    EXPECT_EQ(names.count("encoder.final_ln.weight"), norm == "pre" ? 1u : 0u);
  }
}

TEST(CTranslate2Export, PeerPythonIsTinynmtPythonWhenSet) {
  const char* old = std::getenv("TINYNMT_PYTHON");
  const std::string saved = old ? old : "";
  ::setenv("TINYNMT_PYTHON", "/opt/some/python", 1);
  EXPECT_EQ(exporting::peer_python(), "/opt/some/python");
  if (old)
    ::setenv("TINYNMT_PYTHON", saved.c_str(), 1);
  else
    ::unsetenv("TINYNMT_PYTHON");
  EXPECT_FALSE(exporting::repository_file("scripts/ctranslate2_convert.py").empty())
      << "run from the repository root";
}

TEST(CTranslate2Export, RunPythonReportsExitCodeAndLastErrorLine) {
  TempDir tmp;
  const std::string script = (fs::path(tmp.path()) / "s.sh").string();
  std::ofstream(script) << "echo first >&2\necho \"last: $1\" >&2\necho >&2\nexit 5\n";
  const std::string err = (fs::path(tmp.path()) / "err.txt").string();
  auto r = exporting::run_python("sh", script, {"arg"}, err);
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.last_error, "last: arg");
  r = exporting::run_python((fs::path(tmp.path()) / "no-such-python").string(), script, {}, err);
  EXPECT_EQ(r.exit_code, 127);
}
