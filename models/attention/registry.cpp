#include "models/attention/registry.h"

#include <string>
#include <utility>

#include "models/attention/additive.h"
#include "models/attention/local.h"
#include "models/attention/multi_head.h"
#include "models/attention/multiplicative.h"

namespace tinynmt {

const std::vector<AttentionType>& attention_types() {
  static const std::vector<AttentionType> table = [] {
    std::vector<AttentionType> rows{additive_attention_type()};
    for (auto& r : multiplicative_attention_types()) rows.push_back(std::move(r));
    for (auto& r : local_attention_types()) rows.push_back(std::move(r));
    rows.push_back(multi_head_attention_type());
    return rows;
  }();
  return table;
}

const std::vector<std::string>& attention_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& t : attention_types()) n.push_back(t.name);
    return n;
  }();
  return names;
}

const AttentionType& attention_type(const std::string& name) {
  for (const auto& t : attention_types())
    if (t.name == name) return t;
  std::string choices;
  for (const auto& n : attention_names()) choices += (choices.empty() ? "" : ", ") + n;
  throw AttentionError("type", "unknown attention '" + name + "' (choices: " + choices + ")");
}

AttentionConfig resolve_sizes(const AttentionConfig& cfg) {
  AttentionConfig r = cfg;
  if (r.value_dim <= 0) r.value_dim = r.key_dim;
  if (r.hidden_dim <= 0) r.hidden_dim = r.query_dim;
  return r;
}

void check_attention(const AttentionConfig& cfg) {
  if (cfg.query_dim <= 0 || cfg.key_dim <= 0)
    throw AttentionError("query_dim", "make_attention: query_dim and key_dim must be set (got " +
                                          std::to_string(cfg.query_dim) + ", " +
                                          std::to_string(cfg.key_dim) + ")");
  attention_type(cfg.type).check_sizes(resolve_sizes(cfg));
}

AttentionConfig cross_attention_config(const DecoderConfig& dec, int64_t query_dim,
                                       int64_t enc_dim) {
  AttentionConfig a;
  a.type = dec.attention;
  a.query_dim = query_dim;
  a.key_dim = enc_dim;
  a.value_dim = enc_dim;
  a.hidden_dim = query_dim;
  a.heads = dec.heads;
  a.dropout = dec.attention_dropout;
  a.window = dec.window;
  return a;
}

std::shared_ptr<AttentionImpl> make_attention(const AttentionConfig& cfg) {
  check_attention(cfg);
  return attention_type(cfg.type).build(resolve_sizes(cfg));
}

}  // namespace tinynmt
