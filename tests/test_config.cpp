// Config parsing and validation: valid file, unknown key with suggestion, wrong type with
// line:column, bad choice listing the choices, overrides, cross-field rules, resolved output.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

using tinynmt::apply_override;
using tinynmt::Config;
using tinynmt::ConfigError;
using tinynmt::parse_config;
using tinynmt::validate;

namespace {

const char* kValid = R"(
run: {dir: runs/test, seed: 7, threads: 2}
data:
  train: {src: a.de, tgt: a.en}
  dev: {tsv: dev.tsv}
  tokenizer: {type: bpe, vocab_size: 500, joint: false}
model:
  encoder: {type: rnn, rnn_type: lstm, hidden_size: 64, layers: 2}
  decoder: {type: rnn, attention: luong-general, hidden_size: 128, input_feeding: false}
training: {max_steps: 100, lr: 0.001, schedule: constant, early_stopping: {metric: chrf}}
decoding: {beam: 4}
)";

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, ParsesValidFileAndKeepsDefaults) {
  Config c = parse_config(kValid, "valid.yaml");
  EXPECT_EQ(c.run.dir, "runs/test");
  EXPECT_EQ(c.run.seed, 7);
  EXPECT_EQ(c.data.train.src, "a.de");
  EXPECT_EQ(c.data.dev.tsv, "dev.tsv");
  EXPECT_EQ(c.data.tokenizer.type, "bpe");
  EXPECT_FALSE(c.data.tokenizer.joint);
  EXPECT_EQ(c.model.encoder.rnn_type, "lstm");
  EXPECT_EQ(c.model.encoder.layers, 2);
  EXPECT_EQ(c.model.decoder.attention, "luong-general");
  EXPECT_FALSE(c.model.decoder.input_feeding);
  EXPECT_DOUBLE_EQ(c.training.lr, 0.001);
  EXPECT_EQ(c.training.early_stopping.metric, "chrf");
  EXPECT_EQ(c.decoding.beam, 4);
  // defaults untouched
  EXPECT_DOUBLE_EQ(c.decoding.alpha, 0.6);
  EXPECT_EQ(c.training.batch_size, 2048);
  EXPECT_NO_THROW(validate(c, /*check_files=*/false));
}

TEST(Config, UnknownKeySuggestsClosest) {
  std::string msg =
      message_of([] { parse_config("model:\n  decoder:\n    atention: bahdanau\n", "typo.yaml"); });
  EXPECT_NE(msg.find("typo.yaml:3:5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.decoder.atention"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'model.decoder.attention'"), std::string::npos) << msg;
}

TEST(Config, UnknownSectionSuggestsClosest) {
  std::string msg = message_of([] { parse_config("trainng:\n  lr: 0.1\n", "s.yaml"); });
  EXPECT_NE(msg.find("did you mean 'training'"), std::string::npos) << msg;
}

TEST(Config, WrongTypeGivesLineAndColumn) {
  std::string msg = message_of([] { parse_config("training:\n  max_steps: lots\n", "type.yaml"); });
  EXPECT_NE(msg.find("type.yaml:2:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("training.max_steps"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected an integer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lots"), std::string::npos) << msg;
}

// Found by fuzzing (fuzz/fuzz_config.cpp): a complex key (`? ...`, a sequence or mapping used as
// a key) escaped as yaml-cpp's own "bad conversion" without the file's name.
TEST(Config, ComplexKeyNamesTheFileAndLine) {
  for (const char* yaml : {"training:\n  ? [lr, warmup]\n  : 1\n", "{run: 1}: 2\n"}) {
    const std::string msg = message_of([&] { parse_config(yaml, "x.yaml"); });
    EXPECT_EQ(msg.rfind("x.yaml:", 0), 0u) << msg;
    EXPECT_NE(msg.find("a key must be a plain name"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

// Found by fuzzing: a quoted key holding a newline split the unknown-key message over two lines.
TEST(Config, ControlCharactersInAKeyAreEscaped) {
  const std::string msg =
      message_of([] { parse_config("run:\n  \"back\\nen\\td\\x01\": 1\n", "x.yaml"); });
  EXPECT_NE(msg.find("unknown key 'run.back\\nen\\td\\x01'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(Config, BadChoiceListsChoices) {
  Config c = parse_config(kValid, "valid.yaml");
  c.model.decoder.attention = "luong-fancy";
  std::string msg = message_of([&] { validate(c, false); });
  EXPECT_NE(msg.find("model.decoder.attention"), std::string::npos) << msg;
  EXPECT_NE(msg.find("luong-fancy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bahdanau, luong-dot, luong-general"), std::string::npos) << msg;
}

TEST(Config, OverrideAppliesAndIsValidated) {
  Config c = parse_config(kValid, "valid.yaml");
  apply_override(c, "model.decoder.attention=bahdanau");
  apply_override(c, "training.lr=0.01");
  apply_override(c, "model.decoder.input_feeding=true");
  EXPECT_EQ(c.model.decoder.attention, "bahdanau");
  EXPECT_DOUBLE_EQ(c.training.lr, 0.01);
  EXPECT_TRUE(c.model.decoder.input_feeding);
  EXPECT_NO_THROW(validate(c, false));

  std::string unknown = message_of([&] { apply_override(c, "training.lr_rate=1"); });
  EXPECT_NE(unknown.find("did you mean 'training.lr'"), std::string::npos) << unknown;
  std::string type = message_of([&] { apply_override(c, "decoding.beam=wide"); });
  EXPECT_NE(type.find("decoding.beam"), std::string::npos) << type;
  apply_override(c, "training.schedule=cosine");
  std::string choice = message_of([&] { validate(c, false); });
  EXPECT_NE(choice.find("constant, noam, plateau, warmup_linear"), std::string::npos) << choice;
}

TEST(Config, RangeAndCrossFieldRules) {
  Config c = parse_config(kValid, "valid.yaml");
  c.training.label_smoothing = 1.5;
  EXPECT_NE(message_of([&] { validate(c, false); }).find("training.label_smoothing"),
            std::string::npos);

  Config t;  // defaults: a Transformer
  t.training.max_steps = 10;
  t.data.train = {"a", "b", "", ""};
  t.data.dev = {"c", "d", "", ""};
  t.model.encoder.heads = 3;  // 256 % 3 != 0
  std::string msg = message_of([&] { validate(t, false); });
  EXPECT_NE(msg.find("model.encoder.d_model"), std::string::npos) << msg;
  EXPECT_NE(msg.find("heads"), std::string::npos) << msg;

  Config d;
  d.training.max_steps = 10;
  d.data.train = {"a", "b", "", ""};
  d.data.dev = {"c", "d", "", ""};
  d.model.encoder.type = d.model.decoder.type = "rnn";
  d.model.decoder.attention = "luong-dot";
  d.model.decoder.hidden_size = 100;  // encoder output is 2*256
  // The attention's own size rules, mapped to the YAML key of the parameter at fault.
  std::string dot = message_of([&] { validate(d, false); });
  EXPECT_NE(dot.find("model.decoder.attention: luong-dot needs query size (100) == key size "
                     "(512)"),
            std::string::npos)
      << dot;
  d.model.decoder.attention = "multihead";
  d.model.decoder.heads = 3;  // does not divide 100
  std::string heads = message_of([&] { validate(d, false); });
  EXPECT_NE(heads.find("model.decoder.heads: multihead attention: model size 100 is not "
                       "divisible by heads 3"),
            std::string::npos)
      << heads;
  d.model.decoder.heads = 4;
  EXPECT_NO_THROW(validate(d, false));
}

TEST(Config, MissingDataFileIsNamed) {
  Config c = parse_config(kValid, "valid.yaml");
  std::string msg = message_of([&] { validate(c, /*check_files=*/true); });
  EXPECT_NE(msg.find("data.train.src"), std::string::npos) << msg;
  EXPECT_NE(msg.find("a.de"), std::string::npos) << msg;
}

TEST(Config, ResolvedConfigRoundTrips) {
  Config c = parse_config(kValid, "valid.yaml");
  std::string text = tinynmt::to_yaml_string(c);
  Config back = parse_config(text, "resolved.yaml");
  EXPECT_EQ(tinynmt::to_yaml_string(back), text);
  EXPECT_EQ(back.model.decoder.attention, "luong-general");
  EXPECT_EQ(back.decoding.beam, 4);
  // every key is present in the resolved output
  for (const auto& key : tinynmt::config_keys()) {
    std::string leaf = key.substr(key.rfind('.') + 1);
    EXPECT_NE(text.find(leaf + ":"), std::string::npos) << key;
  }
}
