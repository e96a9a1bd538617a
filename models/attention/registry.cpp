#include "models/attention/registry.h"

#include <stdexcept>
#include <string>

#include "models/attention/additive.h"
#include "models/attention/local.h"
#include "models/attention/multi_head.h"
#include "models/attention/multiplicative.h"

namespace tinynmt {

std::shared_ptr<AttentionImpl> make_attention(const AttentionConfig& cfg) {
  const int64_t q = cfg.query_dim, k = cfg.key_dim;
  const int64_t v = cfg.value_dim > 0 ? cfg.value_dim : k;
  const int64_t hidden = cfg.hidden_dim > 0 ? cfg.hidden_dim : q;
  if (q <= 0 || k <= 0)
    throw std::invalid_argument("make_attention: query_dim and key_dim must be set (got " +
                                std::to_string(q) + ", " + std::to_string(k) + ")");
  const auto& t = cfg.type;
  if (t == "bahdanau")
    return std::make_shared<AdditiveAttentionImpl>(
        AdditiveAttentionOptions(q, k, hidden).value_dim(v));
  if (t == "luong-dot" || t == "luong-general" || t == "luong-concat")
    return std::make_shared<MultiplicativeAttentionImpl>(
        MultiplicativeAttentionOptions(t.substr(6), q, k).value_dim(v).hidden_dim(hidden));
  if (t == "local-m" || t == "local-p")
    return std::make_shared<LocalAttentionImpl>(LocalAttentionOptions(t == "local-p", q, k)
                                                    .value_dim(v)
                                                    .hidden_dim(hidden)
                                                    .window(cfg.window));
  if (t == "multihead")
    return std::make_shared<MultiHeadAttentionImpl>(
        MultiHeadAttentionOptions(q, k, hidden, cfg.heads).value_dim(v).dropout(cfg.dropout));
  std::string choices;
  for (const auto& n : attention_names()) choices += (choices.empty() ? "" : ", ") + n;
  throw std::invalid_argument("model.decoder.attention: unknown attention '" + t +
                              "' (choices: " + choices + ")");
}

}  // namespace tinynmt
