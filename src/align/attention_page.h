// `tinynmt heatmap --format html`: one self-contained HTML page to explore attention records
// (align/attention_io.h). No network requests, no server, no libraries: the page's own
// JavaScript and CSS (src/align/page/) and the data are inlined.
//
// The data travels as JSON in a <script type="application/json"> element (every '<' written as
// \u003c, so no token text can close it). Weights are quantised to one byte: q = round(255·w)
// for w clamped to [0, 1], read back as q / 255, so a weight on the page is within 1/510 of
// the record's (the JSONL keeps the exact values). Per sentence:
//   {"index", "src_tokens", "tgt_tokens", "src_words", "tgt_words", "layers", "heads",
//    "subword": base64 of uint8 [layers][heads][tgt_tokens][src_tokens] (C order) | null,
//    "word": the same at word level [layers][heads][tgt_words][src_words] | null,
//    "alignment": [[src, tgt], ...] | null (the record's hard word alignment),
//    "gold": {"sure": [[src, tgt], ...], "possible": [...]} | null, "aer": 0-1 | null,
//    "encoder_self", "decoder_self": only where the record has that self-attention:
//        {"layers", "heads", "subword": base64 of [layers][heads][tokens][tokens] | null,
//         "word": the same at word level | null} (source side for the encoder, target side for
//        the decoder); the page's "view" selector shows them}
// and for the whole page {"title", "rounding", "sentences", "set_aer" | null}. A run's report
// page adds "steps": [training steps] and per sentence "snapshots": [{"subword", "word",
// "alignment"} at each step]; the page shows a slider over the steps.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "align/attention_io.h"
#include "align/pharaoh.h"

namespace tinynmt::align {

/// Largest difference between a weight in [0, 1] and its one-byte value on the page.
inline constexpr double kPageWeightError = 1.0 / 510.0;

/// round(255·w) with w clamped to [0, 1] (NaN → 0).
uint8_t quantize_weight(float w);

/// Gold word links of a sentence pair ({source word, target word}, 0-based); `possible` holds
/// only the links marked possible.
struct PageGold {
  Alignment sure, possible;
};

/// One sentence of the page: its record, and optionally its gold links and AER (0-1).
struct PageSentence {
  const AttentionRecord* record = nullptr;
  std::optional<PageGold> gold;
  std::optional<double> aer;
  /// The same sentence's record at each of PageOptions::steps (same tokens; the page's slider
  /// picks one). Empty: the page has no slider for this sentence.
  std::vector<const AttentionRecord*> snapshots;
};

struct PageOptions {
  std::string title = "tinynmt attention";
  std::optional<double> set_aer;  ///< AER of the whole set (0-1), shown when given
  std::vector<int64_t> steps;     ///< training steps of the snapshots (a run's report page)
  std::string curves_svg;         ///< markup shown above the controls (align/curves_svg.h)
};

/// The page's data (the JSON described above). Throws std::runtime_error when a record's
/// sizes disagree (align::validate) or a record's alignment is not valid Pharaoh.
nlohmann::json page_data(const std::vector<PageSentence>& sentences, const PageOptions& options);

/// The whole HTML page for `data` (from page_data), with `curves_svg` (trusted markup, e.g.
/// from align/curves_svg.h) above the controls.
std::string page_html(const nlohmann::json& data, const std::string& curves_svg = "");

/// Writes page_html(page_data(...)) to `path` (through a temporary file renamed into place, so
/// a reader never sees half a page). Throws std::runtime_error naming the file when it cannot
/// be written.
void write_attention_page(const std::string& path, const std::vector<PageSentence>& sentences,
                          const PageOptions& options);

/// The data embedded in a page written by page_html. Throws std::runtime_error when the page
/// holds none or it is not valid JSON.
nlohmann::json read_page_data(const std::string& html);

/// The weights of one base64 field of the page data as floats (q / 255), C order.
/// Throws std::invalid_argument on malformed base64.
std::vector<float> decode_page_weights(const std::string& base64);

}  // namespace tinynmt::align
