// Subword -> word attention aggregation and hard word alignments.
//
// A model attends over subword pieces; alignments and AER are defined over words. Following the
// usual practice for attention-based alignment (e.g. Zenkel et al. 2019; Garg et al. 2019, §4;
// Dou & Neubig 2021 awesome-align), the word-level matrix A[t][s] is
//   A[t][s] = mean over target pieces p of word t of ( sum over source pieces q of word s of
//   a[p][q] )
// so each row of A stays a distribution over source words when the subword rows are
// distributions (up to the mass on special tokens, which is dropped, not renormalised).
// Hard alignment: each target word is linked to its highest-weighted source word (argmax), or
// every pair with weight >= a threshold is linked.
#pragma once

#include <string>
#include <vector>

#include "align/pharaoh.h"

namespace tinynmt::align {

/// Row-major dense matrix: m[row][col].
using Matrix = std::vector<std::vector<float>>;

/// The SentencePiece word-boundary marker U+2581 (LOWER ONE EIGHTH BLOCK), UTF-8 encoded.
inline constexpr const char* kWordBoundary = "\xE2\x96\x81";

/// Maps SentencePiece pieces to word indices: a piece that starts with U+2581 starts a new word,
/// any other piece continues the current word (the first piece starts word 0 either way).
/// Pieces in `specials` (default "<s>", "</s>", "<pad>") map to -1.
/// Example: {"▁Ein", "▁Hund", "e", "s", "</s>"} -> {0, 1, 1, 1, -1}.
std::vector<int> word_index_of_pieces(const std::vector<std::string>& pieces,
                                      const std::vector<std::string>& specials = {"<s>", "</s>",
                                                                                  "<pad>"});

/// The words spelled by the pieces: pieces of the same word concatenated, U+2581 removed.
/// word_of_piece as returned by word_index_of_pieces. Throws std::invalid_argument on a size
/// mismatch.
std::vector<std::string> words_of_pieces(const std::vector<std::string>& pieces,
                                         const std::vector<int>& word_of_piece);

/// Aggregates a subword attention matrix to words.
/// subword: [tgt_tokens][src_tokens]; tgt_word_of_token: size tgt_tokens; src_word_of_token: size
/// src_tokens; -1 = special token (its row/column is dropped). num_tgt_words / num_src_words:
/// -1 = 1 + the largest index. Returns [num_tgt_words][num_src_words]: rows averaged over each
/// target word's pieces, columns summed over each source word's pieces. A word with no pieces
/// gets a zero row. Throws std::invalid_argument on inconsistent sizes or an index out of range.
Matrix aggregate_to_words(const Matrix& subword, const std::vector<int>& tgt_word_of_token,
                          const std::vector<int>& src_word_of_token, int num_tgt_words = -1,
                          int num_src_words = -1);

/// One link (source = argmax column, target = row) per target word row; rows that are all zero
/// get no link. word: [tgt_words][src_words]. Links are sorted by (source, target).
/// With `null_column`, the mass a row puts on no word (1 - its sum: the special tokens', i.e. the
/// source EOS, which training.guided_alignment.null_to_eos trains to stand for the NULL word of
/// the IBM models, Brown et al. 1993 §4.1) competes as one more column: a row whose NULL mass is
/// at least its largest weight gets no link.
Alignment argmax_alignment(const Matrix& word, bool null_column = false);

/// Every (row, column) with weight >= threshold, sorted by (source, target).
Alignment threshold_alignment(const Matrix& word, float threshold);

/// The hard alignments by name (`tinynmt align --method`): argmax_alignment without and with its
/// NULL column ("argmax", "argmax-null"), threshold_alignment ("threshold").
enum class HardAlignment { kArgmax, kArgmaxNull, kThreshold };

/// The method named `name`. Throws std::invalid_argument "method 'NAME' (choices: argmax,
/// argmax-null, threshold)".
HardAlignment parse_hard_alignment(const std::string& name);

/// The links of `word` ([tgt_words][src_words]) by `method`; `threshold` is read by kThreshold
/// only. Sorted by (source, target).
Alignment hard_alignment(const Matrix& word, HardAlignment method, float threshold);

}  // namespace tinynmt::align
