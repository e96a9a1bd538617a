// Config parsing: one table of fields (key path, type, default taken from the structs, choices,
// range) drives parsing, overrides, validation of choices/ranges and the resolved-config output.
#include "config/config.h"
#include "util/runtime.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "models/attention/attention_error.h"

namespace tinynmt {
namespace {

enum class Kind { kInt, kFloat, kBool, kString };

struct Field {
  std::string path;
  Kind kind;
  std::function<void(Config&, const YAML::Node&)> set;  // throws YAML::BadConversion
  std::function<YAML::Node(const Config&)> get;
  std::vector<std::string> choices;  // strings only; empty = free
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kInt: return "an integer";
    case Kind::kFloat: return "a number";
    case Kind::kBool: return "true or false";
    case Kind::kString: return "a string";
  }
  return "?";
}

template <typename T>
Field make_field(std::string path, Kind kind, T Config::*section, std::function<void*(T&)> loc,
                 std::vector<std::string> choices = {}, double min = -1e300, double max = 1e300) {
  Field f;
  f.path = std::move(path);
  f.kind = kind;
  f.choices = std::move(choices);
  f.min = min;
  f.max = max;
  f.set = [section, loc, kind](Config& c, const YAML::Node& n) {
    void* p = loc(c.*section);
    switch (kind) {
      case Kind::kInt: *static_cast<int64_t*>(p) = n.as<int64_t>(); break;
      case Kind::kFloat: *static_cast<double*>(p) = n.as<double>(); break;
      case Kind::kBool: *static_cast<bool*>(p) = n.as<bool>(); break;
      case Kind::kString: *static_cast<std::string*>(p) = n.as<std::string>(); break;
    }
  };
  f.get = [section, loc, kind](const Config& c) {
    void* p = loc(const_cast<T&>(c.*section));
    switch (kind) {
      case Kind::kInt: return YAML::Node(*static_cast<int64_t*>(p));
      case Kind::kFloat: return YAML::Node(*static_cast<double*>(p));
      case Kind::kBool: return YAML::Node(*static_cast<bool*>(p));
      case Kind::kString: return YAML::Node(*static_cast<std::string*>(p));
    }
    return YAML::Node();
  };
  return f;
}

#define TN_FIELD(SECTION, TYPE, PATH, MEMBER, KIND, ...)                                   \
  make_field<TYPE>(PATH, Kind::KIND, &Config::SECTION,                                    \
                   [](TYPE& s) -> void* { return static_cast<void*>(&s.MEMBER); }, ##__VA_ARGS__)

constexpr double kInf = 1e300;

// run.*
void add_run_fields(std::vector<Field>& t) {
  using S = std::vector<std::string>;
  t.push_back(TN_FIELD(run, RunConfig, "run.dir", dir, kString));
  t.push_back(TN_FIELD(run, RunConfig, "run.seed", seed, kInt, S{}, 0, kInf));
  t.push_back(TN_FIELD(run, RunConfig, "run.device", device, kString));
  t.push_back(TN_FIELD(run, RunConfig, "run.threads", threads, kInt, S{}, 0, 1024));
}

// data.* (corpora, tokenizer, length limit)
void add_data_fields(std::vector<Field>& t) {
  using S = std::vector<std::string>;
  for (const char* split : {"train", "dev", "test"}) {
    std::string sp = split;
    auto corpus = [sp](DataConfig& d) -> CorpusFiles& {
      return sp == "train" ? d.train : sp == "dev" ? d.dev : d.test;
    };
    using Member = std::string CorpusFiles::*;
    for (const auto& [key, member] : {std::pair<std::string, Member>{"src", &CorpusFiles::src},
                                      {"tgt", &CorpusFiles::tgt}, {"tsv", &CorpusFiles::tsv}}) {
      Member m = member;  // a structured binding cannot be captured in C++17
      t.push_back(make_field<DataConfig>(
          "data." + sp + "." + key, Kind::kString, &Config::data,
          [corpus, m](DataConfig& d) -> void* { return static_cast<void*>(&(corpus(d).*m)); }));
    }
  }
  t.push_back(TN_FIELD(data, DataConfig, "data.tokenizer.type", tokenizer.type, kString,
                       S{"unigram", "bpe"}));
  t.push_back(TN_FIELD(data, DataConfig, "data.tokenizer.vocab_size", tokenizer.vocab_size, kInt,
                       S{}, 8, 1000000));
  t.push_back(TN_FIELD(data, DataConfig, "data.tokenizer.joint", tokenizer.joint, kBool));
  t.push_back(TN_FIELD(data, DataConfig, "data.tokenizer.character_coverage",
                       tokenizer.character_coverage, kFloat, S{}, 0.9, 1.0));
  t.push_back(TN_FIELD(data, DataConfig, "data.tokenizer.input_sentence_size",
                       tokenizer.input_sentence_size, kInt, S{}, 100, 1e9));
  t.push_back(TN_FIELD(data, DataConfig, "data.max_length", max_length, kInt, S{}, 2, 10000));
}

// A field of model.encoder or model.decoder (`side`), e.g. model.encoder.d_model.
template <typename Side, typename V>
Field side_field(const std::string& path, Kind kind, Side ModelConfig::*side, V Side::*member,
                 double min, double max) {
  return make_field<ModelConfig>(
      path, kind, &Config::model,
      [side, member](ModelConfig& m) -> void* { return static_cast<void*>(&((m.*side).*member)); },
      {}, min, max);
}

// PREFIX.layers, embedding_dim, hidden_size: the sizes both sides have (the RNN's).
template <typename Side>
void add_rnn_sizes(std::vector<Field>& t, const std::string& prefix, Side ModelConfig::*side) {
  t.push_back(side_field(prefix + ".layers", Kind::kInt, side, &Side::layers, 1, 64));
  t.push_back(side_field(prefix + ".embedding_dim", Kind::kInt, side, &Side::embedding_dim, 1,
                         65536));
  t.push_back(side_field(prefix + ".hidden_size", Kind::kInt, side, &Side::hidden_size, 1, 65536));
}

// PREFIX.d_model, heads, ff, dropout: the sizes both sides have (the Transformer's).
template <typename Side>
void add_transformer_sizes(std::vector<Field>& t, const std::string& prefix,
                           Side ModelConfig::*side) {
  t.push_back(side_field(prefix + ".d_model", Kind::kInt, side, &Side::d_model, 1, 65536));
  t.push_back(side_field(prefix + ".heads", Kind::kInt, side, &Side::heads, 1, 256));
  t.push_back(side_field(prefix + ".ff", Kind::kInt, side, &Side::ff, 1, 1 << 20));
  t.push_back(side_field(prefix + ".dropout", Kind::kFloat, side, &Side::dropout, 0, 0.99));
}

// model.encoder.*, model.decoder.*, model.tie_all_embeddings
void add_model_fields(std::vector<Field>& t) {
  using S = std::vector<std::string>;
  const S enc_types{"transformer", "rnn"}, rnn_types{"gru", "lstm"}, norms{"pre", "post"};
  t.push_back(TN_FIELD(model, ModelConfig, "model.encoder.type", encoder.type, kString, enc_types));
  t.push_back(TN_FIELD(model, ModelConfig, "model.encoder.rnn_type", encoder.rnn_type, kString,
                       rnn_types));
  add_rnn_sizes(t, "model.encoder", &ModelConfig::encoder);
  t.push_back(TN_FIELD(model, ModelConfig, "model.encoder.bidirectional", encoder.bidirectional,
                       kBool));
  add_transformer_sizes(t, "model.encoder", &ModelConfig::encoder);
  t.push_back(TN_FIELD(model, ModelConfig, "model.encoder.norm", encoder.norm, kString, norms));
  // model.decoder
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.type", decoder.type, kString, enc_types));
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.attention", decoder.attention, kString,
                       attention_names()));
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.attention_placement",
                       decoder.attention_placement, kString, S{"auto", "bahdanau", "luong"}));
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.input_feeding", decoder.input_feeding,
                       kBool));
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.rnn_type", decoder.rnn_type, kString,
                       rnn_types));
  add_rnn_sizes(t, "model.decoder", &ModelConfig::decoder);
  add_transformer_sizes(t, "model.decoder", &ModelConfig::decoder);
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.attention_dropout",
                       decoder.attention_dropout, kFloat, S{}, 0, 0.99));
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.window", decoder.window, kInt, S{}, 1,
                       10000));
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.norm", decoder.norm, kString, norms));
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.tie_embeddings", decoder.tie_embeddings,
                       kBool));
  t.push_back(TN_FIELD(model, ModelConfig, "model.tie_all_embeddings", tie_all_embeddings, kBool));
}

// training.*
void add_training_fields(std::vector<Field>& t) {
  using S = std::vector<std::string>;
  using T = TrainingConfig;
  t.push_back(TN_FIELD(training, T, "training.max_steps", max_steps, kInt, S{}, 0, kInf));
  t.push_back(TN_FIELD(training, T, "training.max_epochs", max_epochs, kInt, S{}, 0, kInf));
  t.push_back(TN_FIELD(training, T, "training.max_minutes", max_minutes, kFloat, S{}, 0, kInf));
  t.push_back(TN_FIELD(training, T, "training.batch_size", batch_size, kInt, S{}, 1, kInf));
  t.push_back(TN_FIELD(training, T, "training.accumulate", accumulate, kInt, S{}, 1, 1024));
  t.push_back(TN_FIELD(training, T, "training.optimizer", optimizer, kString, S{"adam", "adamw"}));
  t.push_back(TN_FIELD(training, T, "training.lr", lr, kFloat, S{}, 1e-12, 100));
  t.push_back(TN_FIELD(training, T, "training.beta1", beta1, kFloat, S{}, 0, 0.999999));
  t.push_back(TN_FIELD(training, T, "training.beta2", beta2, kFloat, S{}, 0, 0.999999));
  t.push_back(TN_FIELD(training, T, "training.weight_decay", weight_decay, kFloat, S{}, 0, 10));
  t.push_back(TN_FIELD(training, T, "training.schedule", schedule, kString,
                       S{"constant", "noam", "plateau", "warmup_linear"}));
  t.push_back(TN_FIELD(training, T, "training.warmup", warmup, kInt, S{}, 0, kInf));
  t.push_back(TN_FIELD(training, T, "training.decay_factor", decay_factor, kFloat, S{}, 0.01, 1));
  t.push_back(TN_FIELD(training, T, "training.plateau_patience", plateau_patience, kInt, S{}, 0,
                       1000));
  t.push_back(TN_FIELD(training, T, "training.min_lr", min_lr, kFloat, S{}, 0, 100));
  t.push_back(TN_FIELD(training, T, "training.label_smoothing", label_smoothing, kFloat, S{}, 0,
                       0.99));
  t.push_back(TN_FIELD(training, T, "training.clip_norm", clip_norm, kFloat, S{}, 0, kInf));
  t.push_back(TN_FIELD(training, T, "training.validate_every", validate_every, kInt, S{}, 1, kInf));
  t.push_back(TN_FIELD(training, T, "training.log_every", log_every, kInt, S{}, 1, kInf));
  t.push_back(TN_FIELD(training, T, "training.keep_checkpoints", keep_checkpoints, kInt, S{}, 0,
                       1000));
  t.push_back(TN_FIELD(training, T, "training.early_stopping.metric", early_stopping.metric,
                       kString, S{"bleu", "chrf", "loss", "ppl"}));
  t.push_back(TN_FIELD(training, T, "training.early_stopping.patience", early_stopping.patience,
                       kInt, S{}, 0, 100000));
  t.push_back(TN_FIELD(training, T, "training.precision", precision, kString, S{"fp32", "bf16"}));
  t.push_back(TN_FIELD(training, T, "training.validate_max_sentences", validate_max_sentences,
                       kInt, S{}, 0, kInf));
}

// decoding.*
void add_decoding_fields(std::vector<Field>& t) {
  using S = std::vector<std::string>;
  t.push_back(TN_FIELD(decoding, DecodingConfig, "decoding.beam", beam, kInt, S{}, 1, 1000));
  t.push_back(TN_FIELD(decoding, DecodingConfig, "decoding.alpha", alpha, kFloat, S{}, 0, 10));
  t.push_back(TN_FIELD(decoding, DecodingConfig, "decoding.max_len_ratio", max_len_ratio, kFloat,
                       S{}, 0.1, 100));
  t.push_back(TN_FIELD(decoding, DecodingConfig, "decoding.batch_size", batch_size, kInt, S{}, 1,
                       100000));
}

// The table, in the order of the resolved config.
const std::vector<Field>& fields() {
  static const std::vector<Field> table = [] {
    std::vector<Field> t;
    add_run_fields(t);
    add_data_fields(t);
    add_model_fields(t);
    add_training_fields(t);
    add_decoding_fields(t);
    return t;
  }();
  return table;
}

const Field* find_field(const std::string& path) {
  for (const auto& f : fields())
    if (f.path == path) return &f;
  return nullptr;
}

bool is_section(const std::string& path) {
  for (const auto& f : fields())
    if (f.path.size() > path.size() && f.path.compare(0, path.size(), path) == 0 &&
        f.path[path.size()] == '.')
      return true;
  return false;
}

std::string suggestion(const std::string& path) {
  std::vector<std::string> candidates;
  for (const auto& f : fields()) {
    candidates.push_back(f.path);
    // sections too
    for (size_t p = f.path.find('.'); p != std::string::npos; p = f.path.find('.', p + 1))
      candidates.push_back(f.path.substr(0, p));
  }
  std::string best;
  size_t best_d = std::numeric_limits<size_t>::max();
  for (const auto& c : candidates) {
    size_t d = edit_distance(path, c);
    if (d < best_d) best_d = d, best = c;
  }
  // Also compare the last component alone (a typo in the leaf under a correct section).
  auto dot = path.rfind('.');
  std::string leaf = dot == std::string::npos ? path : path.substr(dot + 1);
  std::string prefix = dot == std::string::npos ? "" : path.substr(0, dot + 1);
  for (const auto& f : fields()) {
    if (f.path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = f.path.substr(prefix.size());
    if (rest.find('.') != std::string::npos) rest = rest.substr(0, rest.find('.'));
    size_t d = edit_distance(leaf, rest);
    // A known name that starts the unknown one (lr -> lr_rate) is a likely meaning.
    if (rest.size() >= 2 && leaf.compare(0, rest.size(), rest) == 0) d = std::min<size_t>(d, 1);
    if (d < best_d) best_d = d, best = prefix + rest;
  }
  if (best_d <= std::max<size_t>(3, leaf.size() / 2)) return fmt::format(" (did you mean '{}'?)", best);
  return "";
}

std::string mark_of(const std::string& name, const YAML::Mark& m) {
  if (m.line < 0) return name;
  return fmt::format("{}:{}:{}", name, m.line + 1, m.column + 1);
}

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  std::ostringstream s;
  s << n;
  std::string t = s.str();
  std::replace(t.begin(), t.end(), '\n', ' ');
  return t;
}

void set_field(Config& cfg, const Field& f, const YAML::Node& value, const std::string& where) {
  if (!value.IsScalar())
    throw ConfigError(fmt::format("{}: {}: expected {}, got '{}'", where, f.path, kind_name(f.kind),
                                  scalar_text(value)));
  try {
    f.set(cfg, value);
  } catch (const YAML::Exception&) {
    throw ConfigError(fmt::format("{}: {}: expected {}, got '{}'", where, f.path, kind_name(f.kind),
                                  value.Scalar()));
  }
}

void walk(Config& cfg, const YAML::Node& node, const std::string& prefix, const std::string& name) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string key = it->first.as<std::string>();
    std::string path = prefix.empty() ? key : prefix + "." + key;
    const YAML::Node& value = it->second;
    std::string where = mark_of(name, it->first.Mark());
    if (const Field* f = find_field(path)) {
      if (value.IsNull()) continue;  // `key:` with no value keeps the default
      set_field(cfg, *f, value, where);
    } else if (is_section(path)) {
      if (value.IsNull()) continue;
      if (!value.IsMap())
        throw ConfigError(fmt::format("{}: {} is a section and must be a mapping, got '{}'", where,
                                      path, scalar_text(value)));
      walk(cfg, value, path, name);
    } else {
      throw ConfigError(fmt::format("{}: unknown key '{}'{}", where, path, suggestion(path)));
    }
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

std::string fmt_value(const Field& f, const Config& c) { return scalar_text(f.get(c)); }

}  // namespace

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  for (const auto& f : fields()) keys.push_back(f.path);
  return keys;
}

Config parse_config(const std::string& yaml_text, const std::string& name) {
  Config cfg;
  cfg.source_file = name;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(fmt::format("{}: invalid YAML: {}", mark_of(name, e.mark), e.msg));
  }
  if (root.IsNull()) return cfg;
  if (!root.IsMap())
    throw ConfigError(fmt::format("{}: the top level must be a mapping with sections run, data, "
                                  "model, training, decoding",
                                  name));
  walk(cfg, root, "", name);
  return cfg;
}

Config load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("{}: cannot open config file", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

void apply_override(Config& cfg, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError(fmt::format("--set '{}': expected key.path=value", assignment));
  std::string key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  const Field* f = find_field(key);
  if (!f) throw ConfigError(fmt::format("--set: unknown key '{}'{}", key, suggestion(key)));
  YAML::Node node;
  try {
    node = YAML::Load(value);
  } catch (const YAML::Exception&) {
    node = YAML::Node(value);
  }
  if (node.IsNull()) node = YAML::Node(value);
  set_field(cfg, *f, node, "--set");
}

namespace {

/// Throws ConfigError("NAME: MSG") for the config file NAME.
using Fail = std::function<void(const std::string&)>;

// Each field's choices and range (the table's rules).
void validate_fields(const Config& cfg, const Fail& fail) {
  for (const auto& f : fields()) {
    if (!f.choices.empty()) {
      std::string v = f.get(cfg).as<std::string>();
      if (std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end())
        fail(fmt::format("{}: '{}' is not a valid choice; choose one of: {}", f.path, v,
                         join(f.choices)));
    }
    if (f.kind == Kind::kInt || f.kind == Kind::kFloat) {
      double v = f.get(cfg).as<double>();
      if (v < f.min || v > f.max) {
        std::string range = f.max >= 1e299 ? fmt::format(">= {}", f.min)
                                           : fmt::format("in [{}, {}]", f.min, f.max);
        fail(fmt::format("{}: {} is out of range; must be {}", f.path, fmt_value(f, cfg), range));
      }
    }
  }
}

void validate_run(const Config& cfg, const Fail& fail) {
  // run.device
  const std::string& dev = cfg.run.device;
  if (!is_device_spec(dev))
    fail(fmt::format("run.device: '{}' is not valid; choose auto, cpu, cuda or cuda:N", dev));
  if (cfg.run.dir.empty()) fail("run.dir: must name the run directory");
}

void validate_data(const Config& cfg, bool check_files, const Fail& fail) {
  // Corpora: src+tgt or tsv, not both.
  auto check_corpus = [&](const CorpusFiles& c, const std::string& split, bool required) {
    if (!c.defined()) {
      if (required)
        fail(fmt::format("data.{0}: missing; give data.{0}.src and data.{0}.tgt, or data.{0}.tsv",
                         split));
      return;
    }
    if (!c.tsv.empty() && (!c.src.empty() || !c.tgt.empty()))
      fail(fmt::format("data.{}: give either src+tgt or tsv, not both", split));
    if (c.tsv.empty() && (c.src.empty() || c.tgt.empty()))
      fail(fmt::format("data.{0}: both data.{0}.src and data.{0}.tgt are needed", split));
    if (check_files) {
      for (const auto& [key, path] : {std::pair<std::string, std::string>{"src", c.src},
                                      {"tgt", c.tgt}, {"tsv", c.tsv}}) {
        if (!path.empty() && !std::filesystem::is_regular_file(path))
          fail(fmt::format("data.{}.{}: file '{}' does not exist (run scripts/get_data.sh?)", split,
                           key, path));
      }
    }
  };
  check_corpus(cfg.data.train, "train", check_files);
  check_corpus(cfg.data.dev, "dev", false);
  check_corpus(cfg.data.test, "test", false);
}

void validate_model_section(const Config& cfg, const Fail& fail) {
  // Model cross-field rules.
  const auto& m = cfg.model;
  if (m.encoder.type == "transformer" && m.encoder.d_model % m.encoder.heads != 0)
    fail(fmt::format("model.encoder.d_model: {} is not divisible by model.encoder.heads = {}",
                     m.encoder.d_model, m.encoder.heads));
  if (m.decoder.type == "transformer" && m.decoder.d_model % m.decoder.heads != 0)
    fail(fmt::format("model.decoder.d_model: {} is not divisible by model.decoder.heads = {}",
                     m.decoder.d_model, m.decoder.heads));
  if (m.decoder.type == "transformer" && m.encoder.type == "transformer" &&
      m.decoder.d_model != m.encoder.d_model)
    fail(fmt::format("model.decoder.d_model: {} differs from model.encoder.d_model = {}",
                     m.decoder.d_model, m.encoder.d_model));
  if (m.tie_all_embeddings && !cfg.data.tokenizer.joint)
    fail("model.tie_all_embeddings: true needs a joint vocabulary (data.tokenizer.joint: true)");
  if (m.decoder.attention_placement == "bahdanau" && m.decoder.type != "rnn")
    fail("model.decoder.attention_placement: 'bahdanau' placement needs model.decoder.type: rnn");
  // The attention's own size rules (models/attention/registry.h), on the config the decoder
  // will build; its error names the attention parameter, mapped here to the YAML key.
  const int64_t query = m.decoder.type == "rnn" ? m.decoder.hidden_size : m.decoder.d_model;
  const int64_t enc_out = m.encoder.type == "rnn"
                              ? m.encoder.hidden_size * (m.encoder.bidirectional ? 2 : 1)
                              : m.encoder.d_model;
  try {
    check_attention(cross_attention_config(m.decoder, query, enc_out));
  } catch (const AttentionError& e) {
    const std::string& p = e.parameter();
    const char* key = p == "heads"    ? "model.decoder.heads"
                      : p == "window" ? "model.decoder.window"
                                      : "model.decoder.attention";
    fail(fmt::format("{}: {} (decoder size {}, encoder output {})", key, e.what(), query,
                     enc_out));
  }
}

void validate_training(const Config& cfg, const Fail& fail) {
  const auto& t = cfg.training;
  if ((t.schedule == "noam" || t.schedule == "warmup_linear") && t.warmup == 0)
    fail(fmt::format("training.warmup: must be > 0 for schedule '{}'", t.schedule));
  if (t.schedule == "warmup_linear" && t.max_steps == 0)
    fail("training.schedule: warmup_linear decays to 0 at training.max_steps, which must be > 0");
  if (t.max_steps == 0 && t.max_epochs == 0 && t.max_minutes == 0)
    fail("training: set at least one of max_steps, max_epochs, max_minutes");
  if (t.early_stopping.patience > 0 && !cfg.data.dev.defined())
    fail("training.early_stopping.patience: needs a dev set (data.dev)");
}

}  // namespace

void validate(const Config& cfg, bool check_files) {
  const std::string& name = cfg.source_file.empty() ? std::string("config") : cfg.source_file;
  Fail fail = [&](const std::string& msg) { throw ConfigError(fmt::format("{}: {}", name, msg)); };
  validate_fields(cfg, fail);
  validate_run(cfg, fail);
  validate_data(cfg, check_files, fail);
  validate_model_section(cfg, fail);
  validate_training(cfg, fail);
}

namespace {

// An insertion-ordered tree of key paths, for emitting the resolved config section by section.
struct KeyTree {
  std::vector<std::pair<std::string, KeyTree>> children;
  const Field* field = nullptr;
  KeyTree& child(const std::string& k) {
    for (auto& c : children)
      if (c.first == k) return c.second;
    children.emplace_back(k, KeyTree{});
    return children.back().second;
  }
};

void emit(YAML::Emitter& out, const KeyTree& t, const Config& cfg) {
  out << YAML::BeginMap;
  for (const auto& [key, sub] : t.children) {
    out << YAML::Key << key << YAML::Value;
    if (sub.field) {
      YAML::Node v = sub.field->get(cfg);
      if (sub.field->kind == Kind::kString) out << YAML::DoubleQuoted << v.as<std::string>();
      else out << v.Scalar();
    } else {
      emit(out, sub, cfg);
    }
  }
  out << YAML::EndMap;
}

}  // namespace

std::string to_yaml_string(const Config& cfg) {
  KeyTree root;
  for (const auto& f : fields()) {
    KeyTree* node = &root;
    std::stringstream ss(f.path);
    for (std::string p; std::getline(ss, p, '.');) node = &node->child(p);
    node->field = &f;
  }
  YAML::Emitter out;
  emit(out, root, cfg);
  return std::string("# tinynmt resolved config (every key, defaults filled in)\n") + out.c_str() +
         "\n";
}

}  // namespace tinynmt
