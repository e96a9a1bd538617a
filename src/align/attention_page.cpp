#include "align/attention_page.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "align/page/page_assets.h"
#include "util/base64.h"
#include "util/html.h"

namespace tinynmt::align {
namespace {

// [layers][heads][rows][cols] as one-byte weights in C order, base64; null when empty.
nlohmann::json encode_matrices(const LayerHeadMatrices& m) {
  if (m.empty()) return nullptr;
  std::vector<uint8_t> bytes;
  for (const auto& layer : m)
    for (const auto& head : layer)
      for (const auto& row : head)
        for (float w : row) bytes.push_back(quantize_weight(w));
  return base64_encode(bytes);
}

nlohmann::json links_json(const Alignment& links) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& [s, t] : links) a.push_back({s, t});
  return a;
}

nlohmann::json sentence_json(const PageSentence& s) {
  const AttentionRecord& r = *s.record;
  validate(r, fmt::format("sentence {}", r.index));
  nlohmann::json j = {
      {"index", r.index},         {"src_tokens", r.src_tokens}, {"tgt_tokens", r.tgt_tokens},
      {"src_words", r.src_words}, {"tgt_words", r.tgt_words},   {"layers", r.layers},
      {"heads", r.heads}};
  j["subword"] = encode_matrices(r.subword);
  j["word"] = encode_matrices(r.word);
  j["alignment"] =
      r.alignment.empty() ? nlohmann::json(nullptr) : links_json(parse_pharaoh(r.alignment));
  j["gold"] = s.gold ? nlohmann::json{{"sure", links_json(s.gold->sure)},
                                      {"possible", links_json(s.gold->possible)}}
                     : nlohmann::json(nullptr);
  j["aer"] = s.aer ? nlohmann::json(*s.aer) : nlohmann::json(nullptr);
  for (const auto& [key, part] :
       {std::pair{"encoder_self", &r.encoder_self}, std::pair{"decoder_self", &r.decoder_self}})
    if (part->present())
      j[key] = {{"layers", part->layers},
                {"heads", part->heads},
                {"subword", encode_matrices(part->subword)},
                {"word", encode_matrices(part->word)}};
  if (!s.snapshots.empty()) {
    j["snapshots"] = nlohmann::json::array();
    for (const auto* snap : s.snapshots)
      j["snapshots"].push_back(
          {{"subword", encode_matrices(snap->subword)},
           {"word", encode_matrices(snap->word)},
           {"alignment", snap->alignment.empty() ? nlohmann::json(nullptr)
                                                 : links_json(parse_pharaoh(snap->alignment))}});
  }
  return j;
}

// The template with each marker replaced by its value. The markers are found in the template
// alone (in order), so a value (say a token "/*TINYNMT_JS*/" in the data) is never searched.
// Throws std::logic_error when a marker is missing (the template and this code disagree).
std::string render(const std::string& tmpl,
                   const std::vector<std::pair<std::string, std::string>>& fills) {
  std::string out;
  size_t from = 0;
  for (const auto& [marker, value] : fills) {
    const auto at = tmpl.find(marker, from);
    if (at == std::string::npos) throw std::logic_error("page template: no " + marker);
    out.append(tmpl, from, at - from);
    out += value;
    from = at + marker.size();
  }
  out.append(tmpl, from, std::string::npos);
  return out;
}

constexpr const char* kDataOpen = "<script type=\"application/json\" id=\"tinynmt-data\">";

}  // namespace

uint8_t quantize_weight(float w) {
  if (!(w > 0)) return 0;  // also NaN
  if (w >= 1) return 255;
  return static_cast<uint8_t>(std::lround(255.0 * w));
}

nlohmann::json page_data(const std::vector<PageSentence>& sentences, const PageOptions& o) {
  nlohmann::json d = {{"title", o.title},
                      {"rounding",
                       "weights are stored in one byte each, round(255 w) / 255: "
                       "within 0.002 of the exact values in the JSON Lines file"}};
  d["sentences"] = nlohmann::json::array();
  for (const auto& s : sentences) d["sentences"].push_back(sentence_json(s));
  d["set_aer"] = o.set_aer ? nlohmann::json(*o.set_aer) : nlohmann::json(nullptr);
  if (!o.steps.empty()) d["steps"] = o.steps;
  return d;
}

std::string page_html(const nlohmann::json& data, const std::string& curves_svg) {
  // Every '<' of the JSON becomes \u003c: valid JSON, and no "</script>" or "<!--" in the text.
  std::string json;
  for (char c : data.dump()) json += c == '<' ? std::string("\\u003c") : std::string(1, c);
  return render(page_assets::kHtml,
                {{"TINYNMT_TITLE", escape_html(data.value("title", std::string("attention")))},
                 {"/*TINYNMT_CSS*/", page_assets::kCss},
                 {"TINYNMT_CURVES", curves_svg},
                 {"TINYNMT_DATA", json},
                 {"/*TINYNMT_JS*/", page_assets::kJs}});
}

void write_attention_page(const std::string& path, const std::vector<PageSentence>& sentences,
                          const PageOptions& options) {
  const std::string html = page_html(page_data(sentences, options), options.curves_svg);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw std::runtime_error(path + ": cannot open for writing");
    out << html;
    if (!out.flush()) throw std::runtime_error(path + ": write failed");
  }
  std::filesystem::rename(tmp, path);
}

nlohmann::json read_page_data(const std::string& html) {
  const auto start = html.find(kDataOpen);
  if (start == std::string::npos) throw std::runtime_error("page: no tinynmt-data element");
  const auto from = start + std::string(kDataOpen).size();
  const auto end = html.find("</script>", from);
  if (end == std::string::npos) throw std::runtime_error("page: the data element is not closed");
  try {
    return nlohmann::json::parse(html.substr(from, end - from));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("page: the data is not valid JSON: ") + e.what());
  }
}

std::vector<float> decode_page_weights(const std::string& base64) {
  std::vector<float> w;
  for (uint8_t q : base64_decode(base64)) w.push_back(static_cast<float>(q) / 255.0f);
  return w;
}

}  // namespace tinynmt::align
