// Config parsing: one table of fields (config/config_fields.h: key path, type, default taken from
// the structs, choices, range) drives parsing, overrides, validation of choices/ranges and the
// resolved-config output.
#include "config/config.h"

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

#include "config/config_fields.h"
#include "models/attention/attention_error.h"
#include "util/runtime.h"

namespace tinynmt {
namespace {

using config_fields::Field;
using config_fields::fields;
using config_fields::Kind;
using config_fields::kind_name;

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
  if (best_d <= std::max<size_t>(3, leaf.size() / 2))
    return fmt::format(" (did you mean '{}'?)", best);
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
    if (!it->first.IsScalar()) {
      throw ConfigError(fmt::format("{}: a key must be a plain name, got '{}'",
                                    mark_of(name, it->first.Mark()), scalar_text(it->first)));
    }
    std::string key = it->first.Scalar();
    std::string path = prefix.empty() ? key : prefix + "." + key;
    const YAML::Node value = it->second;  // a copy: `it->` is a proxy that dies with the line
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
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
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
    throw ConfigError(
        fmt::format("{}: the top level must be a mapping with sections run, data, "
                    "model, training, decoding",
                    name));
  try {
    walk(cfg, root, "", name);
  } catch (const YAML::Exception& e) {  // anything yaml-cpp finds that walk() does not check first
    throw ConfigError(fmt::format("{}: invalid YAML: {}", mark_of(name, e.mark), e.msg));
  }
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
        std::string range =
            f.max >= 1e299 ? fmt::format(">= {}", f.min) : fmt::format("in [{}, {}]", f.min, f.max);
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
      for (const auto& [key, path] :
           {std::pair<std::string, std::string>{"src", c.src}, {"tgt", c.tgt}, {"tsv", c.tsv}}) {
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
    fail(fmt::format("{}: {} (decoder size {}, encoder output {})", key, e.what(), query, enc_out));
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

// Guided alignment: a Transformer decoder with multihead cross-attention, a head that exists.
void validate_guided_alignment(const Config& cfg, bool check_files, const Fail& fail) {
  const std::string& path = cfg.data.train.alignment;
  if (path.empty()) return;
  const auto& d = cfg.model.decoder;
  const auto& g = cfg.training.guided_alignment;
  if (d.type != "transformer")
    fail(
        fmt::format("data.train.alignment: guided alignment needs model.decoder.type: "
                    "transformer (got '{}')",
                    d.type));
  if (d.attention != "multihead")
    fail(
        fmt::format("data.train.alignment: guided alignment needs model.decoder.attention: "
                    "multihead (got '{}')",
                    d.attention));
  if (g.layer >= d.layers)
    fail(
        fmt::format("training.guided_alignment.layer: {} out of range (model.decoder.layers = "
                    "{}; -1 = the penultimate)",
                    g.layer, d.layers));
  if (g.head >= d.heads)
    fail(fmt::format("training.guided_alignment.head: {} out of range (model.decoder.heads = {})",
                     g.head, d.heads));
  if (check_files && !std::filesystem::is_regular_file(path))
    fail(fmt::format("data.train.alignment: file '{}' does not exist", path));
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
  validate_guided_alignment(cfg, check_files, fail);
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
      if (sub.field->kind == Kind::kString)
        out << YAML::DoubleQuoted << v.as<std::string>();
      else
        out << v.Scalar();
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
