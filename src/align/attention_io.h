// Soft-alignment export: the attention JSON Lines format written by `tinynmt translate
// --attention` and `tinynmt align` and read by `tinynmt heatmap`; and a NumPy .npy writer.
//
// One JSON object per line, one line per sentence:
//   {"index": 0, "model": "multi30k_transformer",
//    "src_tokens": ["▁Ein", "▁Hund", "</s>"], "tgt_tokens": ["▁A", "▁dog", "</s>"],
//    "src_words": ["Ein", "Hund"], "tgt_words": ["A", "dog"],
//    "src_word_of_token": [0, 1, -1], "tgt_word_of_token": [0, 1, -1],
//    "layers": 1, "heads": 1,
//    "subword": [[[[0.9, 0.08, 0.02], ...]]],     // [layer][head][tgt_token][src_token]
//    "word":    [[[[0.9, 0.08], ...]]],           // [layer][head][tgt_word][src_word]
//    "special_tokens": "...",                     // how EOS/BOS were handled
//    "alignment": "0-0 1-1"}                      // optional: hard word alignment (Pharaoh)
// Exported with --self-attention from a Transformer, two more optional fields (absent for an
// RNN encoder or decoder, and without the flag):
//    "encoder_self_attention": {"layers": 3, "heads": 4,
//        "subword": [layer][head][src_token][src_token],
//        "word": [layer][head][src_word][src_word]},
//    "decoder_self_attention": {... [tgt_token][tgt_token] ..., [tgt_word][tgt_word]}
// Row = the position attending (query), column = the position attended to (key); the word level
// is made as for the cross-attention (rows averaged over a word's pieces, columns summed, EOS
// dropped). Decoder position t is the step that predicts tgt_tokens[t] (its input is the token
// before, <s> at t = 0), as in the cross-attention's rows; it attends to steps <= t only.
// Numbers are written with at most `decimals` (default 4) digits after the point.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "align/word_align.h"

namespace tinynmt::align {

/// [layer][head] of [tgt][src] matrices.
using LayerHeadMatrices = std::vector<std::vector<Matrix>>;

/// Default text for AttentionRecord::special_tokens.
inline constexpr const char* kSpecialTokensNote =
    "subword level includes the EOS token </s> as the last row (target) and column (source); "
    "word level excludes EOS/BOS rows and columns and is not renormalised";

/// Self-attention of one side (Vaswani et al. 2017 §3.2.1-3.2.3): every layer and head of a
/// Transformer encoder (source x source) or decoder (target x target, causal).
struct SelfAttention {
  int layers = 0;  // 0: not in the record (not exported, or an RNN, which has none)
  int heads = 0;
  LayerHeadMatrices subword;  // [layers][heads][tokens][tokens]
  LayerHeadMatrices word;     // [layers][heads][words][words]; may be left empty and filled by
                              // fill_word_level
  bool present() const { return layers > 0; }
};

struct AttentionRecord {
  int64_t index = 0;                                // 0-based sentence number in the input
  std::string model;                                // model (run) name
  std::vector<std::string> src_tokens, tgt_tokens;  // subword pieces, specials included
  std::vector<std::string> src_words, tgt_words;
  std::vector<int> src_word_of_token, tgt_word_of_token;  // -1 = special token
  int layers = 0;
  int heads = 0;
  LayerHeadMatrices subword;  // [layers][heads][tgt_tokens][src_tokens]
  LayerHeadMatrices word;     // [layers][heads][tgt_words][src_words]; may be left empty and
                              // filled by fill_word_level
  std::string special_tokens = kSpecialTokensNote;
  std::string alignment;  // optional Pharaoh line (word level); "" = not given
  bool shift = false;     // word-level matrices built from shifted rows (shift-att): target
                          // token t uses subword row t + 1, the step whose decoder input is y_t
  SelfAttention encoder_self;  // source x source; optional (--self-attention)
  SelfAttention decoder_self;  // target x target, causal; optional (--self-attention)
};

/// Computes `word` from `subword` with aggregate_to_words (sizes from src_words/tgt_words), and
/// the word level of encoder_self / decoder_self where present, the same way (rows and columns
/// both by the source / target word maps). Throws std::invalid_argument on inconsistent sizes.
void fill_word_level(AttentionRecord& rec);

/// The same with `word` from other subword matrices of the record's shape (e.g. shift-att rows):
/// `subword` [layers][heads][tgt_tokens][src_tokens].
void fill_word_level(AttentionRecord& rec, const LayerHeadMatrices& subword);

/// Checks every size against the others (tokens vs maps vs matrices, layers x heads).
/// Throws std::runtime_error naming `where` and the field that disagrees.
void validate(const AttentionRecord& rec, const std::string& where = "attention record");

/// JSON object of a record; numbers rounded to `decimals` digits after the point.
nlohmann::json to_json(const AttentionRecord& rec, int decimals = 4);

/// Record from a JSON object. Throws std::runtime_error naming `where` and the missing or
/// malformed field; the record is validated.
AttentionRecord record_from_json(const nlohmann::json& j, const std::string& where = "record");

/// Writes `rec` as one line (JSON + '\n') to `out`.
void write_attention_jsonl(std::ostream& out, const AttentionRecord& rec, int decimals = 4);

/// Writes all records to `path`. Throws std::runtime_error when the file cannot be written.
void write_attention_jsonl(const std::string& path, const std::vector<AttentionRecord>& recs,
                           int decimals = 4);

/// Reads a JSON Lines file (blank lines are skipped). Throws std::runtime_error "PATH:LINE: ..."
/// on unreadable files, invalid JSON or invalid records.
std::vector<AttentionRecord> read_attention_jsonl(const std::string& path);

/// Writes a little-endian float32 C-order array in NumPy .npy format version 1.0
/// (numpy.org/neps/nep-0001-npy-format). data.size() must equal the product of shape.
/// Throws std::invalid_argument on a size mismatch, std::runtime_error on I/O failure.
void write_npy(const std::string& path, const std::vector<float>& data,
               const std::vector<int64_t>& shape);

/// Reads a float32 ('<f4', C order) .npy file written by write_npy or numpy.save.
/// Throws std::runtime_error naming the file on any other dtype/order or a malformed header.
std::vector<float> read_npy(const std::string& path, std::vector<int64_t>* shape);

}  // namespace tinynmt::align
