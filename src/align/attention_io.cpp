#include "align/attention_io.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <stdexcept>

#include "util/one_line.h"

namespace tinynmt::align {
namespace {

using nlohmann::json;

void check_matrices(const LayerHeadMatrices& m, int layers, int heads, size_t rows, size_t cols,
                    const std::string& where, const char* field) {
  auto fail = [&](const std::string& what) {
    throw std::runtime_error(fmt::format("{}: field '{}': {}", where, field, what));
  };
  if (static_cast<int>(m.size()) != layers) {
    fail(fmt::format("{} layers, expected {}", m.size(), layers));
  }
  for (size_t l = 0; l < m.size(); ++l) {
    if (static_cast<int>(m[l].size()) != heads) {
      fail(fmt::format("layer {} has {} heads, expected {}", l, m[l].size(), heads));
    }
    for (size_t h = 0; h < m[l].size(); ++h) {
      if (m[l][h].size() != rows) {
        fail(fmt::format("layer {} head {} has {} rows, expected {}", l, h, m[l][h].size(), rows));
      }
      for (size_t r = 0; r < rows; ++r) {
        if (m[l][h][r].size() != cols) {
          fail(fmt::format("layer {} head {} row {} has {} columns, expected {}", l, h, r,
                           m[l][h][r].size(), cols));
        }
      }
    }
  }
}

json rounded(const LayerHeadMatrices& m, int decimals) {
  const double scale = std::pow(10.0, decimals);
  json out = json::array();
  for (const auto& layer : m) {
    json jl = json::array();
    for (const auto& head : layer) {
      json jh = json::array();
      for (const auto& row : head) {
        json jr = json::array();
        for (float v : row) {
          double r = std::round(static_cast<double>(v) * scale) / scale;
          if (r == 0.0) r = 0.0;  // no "-0.0"
          jr.push_back(r);
        }
        jh.push_back(std::move(jr));
      }
      jl.push_back(std::move(jh));
    }
    out.push_back(std::move(jl));
  }
  return out;
}

// aggregate_to_words of every [layer][head] matrix: rows by row_map (num_rows words), columns
// by col_map (num_cols words).
LayerHeadMatrices to_words(const LayerHeadMatrices& subword, const std::vector<int>& row_map,
                           const std::vector<int>& col_map, size_t num_rows, size_t num_cols) {
  LayerHeadMatrices word(subword.size());
  for (size_t l = 0; l < subword.size(); ++l)
    for (const auto& m : subword[l])
      word[l].push_back(aggregate_to_words(m, row_map, col_map, static_cast<int>(num_rows),
                                           static_cast<int>(num_cols)));
  return word;
}

// The word level of a present self-attention: rows and columns by the same word map.
void fill_self_words(SelfAttention& a, const std::vector<int>& word_of_token, size_t words) {
  if (a.present()) a.word = to_words(a.subword, word_of_token, word_of_token, words, words);
}

// A self-attention part of size tokens x tokens (words x words); `field` names it in errors.
void check_self(const SelfAttention& a, size_t tokens, size_t words, const std::string& where,
                const std::string& field) {
  if (a.layers == 0 && a.subword.empty()) return;
  if (a.layers < 1 || a.heads < 1)
    throw std::runtime_error(fmt::format("{}: {}: layers ({}) and heads ({}) must be >= 1", where,
                                         field, a.layers, a.heads));
  check_matrices(a.subword, a.layers, a.heads, tokens, tokens, where, (field + ".subword").c_str());
  if (!a.word.empty())
    check_matrices(a.word, a.layers, a.heads, words, words, where, (field + ".word").c_str());
}

nlohmann::json self_json(const SelfAttention& a, int decimals) {
  return {{"layers", a.layers},
          {"heads", a.heads},
          {"subword", rounded(a.subword, decimals)},
          {"word", rounded(a.word, decimals)}};
}

template <typename T>
T get_field(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw std::runtime_error(fmt::format("{}: missing field '{}'", where, key));
  try {
    return it->get<T>();
  } catch (const json::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: field '{}' has the wrong type ({})", where, key, it->type_name()));
  }
}

}  // namespace

void fill_word_level(AttentionRecord& rec) { fill_word_level(rec, rec.subword); }

void fill_word_level(AttentionRecord& rec, const LayerHeadMatrices& subword) {
  const auto& src = rec.src_word_of_token;
  const auto& tgt = rec.tgt_word_of_token;
  const size_t ns = rec.src_words.size(), nt = rec.tgt_words.size();
  rec.word = to_words(subword, tgt, src, nt, ns);
  fill_self_words(rec.encoder_self, src, ns);
  fill_self_words(rec.decoder_self, tgt, nt);
}

void validate(const AttentionRecord& rec, const std::string& where) {
  auto fail = [&](const std::string& what) {
    throw std::runtime_error(fmt::format("{}: {}", where, what));
  };
  if (rec.src_word_of_token.size() != rec.src_tokens.size()) {
    fail(fmt::format("src_word_of_token has {} entries but src_tokens has {}",
                     rec.src_word_of_token.size(), rec.src_tokens.size()));
  }
  if (rec.tgt_word_of_token.size() != rec.tgt_tokens.size()) {
    fail(fmt::format("tgt_word_of_token has {} entries but tgt_tokens has {}",
                     rec.tgt_word_of_token.size(), rec.tgt_tokens.size()));
  }
  for (int w : rec.src_word_of_token) {
    if (w < -1 || w >= static_cast<int>(rec.src_words.size())) {
      fail(
          fmt::format("src_word_of_token value {} out of range [-1, {})", w, rec.src_words.size()));
    }
  }
  for (int w : rec.tgt_word_of_token) {
    if (w < -1 || w >= static_cast<int>(rec.tgt_words.size())) {
      fail(
          fmt::format("tgt_word_of_token value {} out of range [-1, {})", w, rec.tgt_words.size()));
    }
  }
  if (rec.layers < 1 || rec.heads < 1) {
    fail(fmt::format("layers ({}) and heads ({}) must be >= 1", rec.layers, rec.heads));
  }
  check_matrices(rec.subword, rec.layers, rec.heads, rec.tgt_tokens.size(), rec.src_tokens.size(),
                 where, "subword");
  if (!rec.word.empty()) {
    check_matrices(rec.word, rec.layers, rec.heads, rec.tgt_words.size(), rec.src_words.size(),
                   where, "word");
  }
  check_self(rec.encoder_self, rec.src_tokens.size(), rec.src_words.size(), where,
             "encoder_self_attention");
  check_self(rec.decoder_self, rec.tgt_tokens.size(), rec.tgt_words.size(), where,
             "decoder_self_attention");
}

json to_json(const AttentionRecord& rec, int decimals) {
  json j;
  j["index"] = rec.index;
  j["model"] = rec.model;
  j["src_tokens"] = rec.src_tokens;
  j["tgt_tokens"] = rec.tgt_tokens;
  j["src_words"] = rec.src_words;
  j["tgt_words"] = rec.tgt_words;
  j["src_word_of_token"] = rec.src_word_of_token;
  j["tgt_word_of_token"] = rec.tgt_word_of_token;
  j["layers"] = rec.layers;
  j["heads"] = rec.heads;
  j["subword"] = rounded(rec.subword, decimals);
  j["word"] = rounded(rec.word, decimals);
  j["special_tokens"] = rec.special_tokens;
  if (!rec.alignment.empty()) j["alignment"] = rec.alignment;
  if (rec.shift) j["shift"] = true;
  if (rec.encoder_self.present())
    j["encoder_self_attention"] = self_json(rec.encoder_self, decimals);
  if (rec.decoder_self.present())
    j["decoder_self_attention"] = self_json(rec.decoder_self, decimals);
  return j;
}

namespace {

// The optional self-attention field `key` of a record (absent: not present).
SelfAttention self_from_json(const json& j, const char* key, const std::string& where) {
  SelfAttention a;
  const auto it = j.find(key);
  if (it == j.end()) return a;
  const std::string w = fmt::format("{}: field '{}'", where, key);
  if (!it->is_object()) throw std::runtime_error(w + ": not a JSON object");
  a.layers = get_field<int>(*it, "layers", w);
  a.heads = get_field<int>(*it, "heads", w);
  a.subword = get_field<LayerHeadMatrices>(*it, "subword", w);
  if (it->contains("word")) a.word = get_field<LayerHeadMatrices>(*it, "word", w);
  if (a.layers < 1) throw std::runtime_error(fmt::format("{}: layers {} < 1", w, a.layers));
  return a;
}

}  // namespace

AttentionRecord record_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw std::runtime_error(fmt::format("{}: not a JSON object", where));
  AttentionRecord rec;
  rec.index = get_field<int64_t>(j, "index", where);
  rec.model = j.contains("model") ? get_field<std::string>(j, "model", where) : "";
  rec.src_tokens = get_field<std::vector<std::string>>(j, "src_tokens", where);
  rec.tgt_tokens = get_field<std::vector<std::string>>(j, "tgt_tokens", where);
  rec.src_word_of_token = get_field<std::vector<int>>(j, "src_word_of_token", where);
  rec.tgt_word_of_token = get_field<std::vector<int>>(j, "tgt_word_of_token", where);
  rec.src_words = j.contains("src_words")
                      ? get_field<std::vector<std::string>>(j, "src_words", where)
                      : words_of_pieces(rec.src_tokens, rec.src_word_of_token);
  rec.tgt_words = j.contains("tgt_words")
                      ? get_field<std::vector<std::string>>(j, "tgt_words", where)
                      : words_of_pieces(rec.tgt_tokens, rec.tgt_word_of_token);
  rec.subword = get_field<LayerHeadMatrices>(j, "subword", where);
  rec.layers = j.contains("layers") ? get_field<int>(j, "layers", where)
                                    : static_cast<int>(rec.subword.size());
  rec.heads = j.contains("heads")
                  ? get_field<int>(j, "heads", where)
                  : (rec.subword.empty() ? 0 : static_cast<int>(rec.subword[0].size()));
  if (j.contains("word")) rec.word = get_field<LayerHeadMatrices>(j, "word", where);
  if (j.contains("special_tokens")) {
    rec.special_tokens = get_field<std::string>(j, "special_tokens", where);
  }
  if (j.contains("alignment")) rec.alignment = get_field<std::string>(j, "alignment", where);
  if (j.contains("shift")) rec.shift = get_field<bool>(j, "shift", where);
  rec.encoder_self = self_from_json(j, "encoder_self_attention", where);
  rec.decoder_self = self_from_json(j, "decoder_self_attention", where);
  validate(rec, where);
  try {
    if (rec.word.empty())
      rec.word = to_words(rec.subword, rec.tgt_word_of_token, rec.src_word_of_token,
                          rec.tgt_words.size(), rec.src_words.size());
    if (rec.encoder_self.word.empty())
      fill_self_words(rec.encoder_self, rec.src_word_of_token, rec.src_words.size());
    if (rec.decoder_self.word.empty())
      fill_self_words(rec.decoder_self, rec.tgt_word_of_token, rec.tgt_words.size());
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: {}", where, e.what()));
  }
  return rec;
}

void write_attention_jsonl(std::ostream& out, const AttentionRecord& rec, int decimals) {
  out << to_json(rec, decimals).dump() << '\n';
}

void write_attention_jsonl(const std::string& path, const std::vector<AttentionRecord>& recs,
                           int decimals) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(fmt::format("{}: cannot write attention file", path));
  for (const auto& r : recs) write_attention_jsonl(out, r, decimals);
  if (!out) throw std::runtime_error(fmt::format("{}: write failed", path));
}

std::vector<AttentionRecord> read_attention_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open attention file", path));
  std::vector<AttentionRecord> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", path, line_no);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for a number overflow
      throw std::runtime_error(fmt::format("{}: invalid JSON ({})", where, one_line(e.what())));
    }
    out.push_back(record_from_json(j, where));
  }
  return out;
}

}  // namespace tinynmt::align
