// Word links as training supervision (guided alignment: Garg et al. 2019, "Jointly Learning to
// Align and Translate with Transformer Models", §3; Marian's --guided-alignment): a Pharaoh file
// (align/pharaoh.h: 0-based `i-j`, source word first, as fast_align writes it) line-aligned with
// the training corpus, checked against the corpus' words (whitespace-separated tokens), and
// expanded from words to the SentencePiece pieces the model sees.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "align/pharaoh.h"
#include "data/batching.h"
#include "data/corpus.h"
#include "data/tokenizer.h"

namespace tinynmt::align {

/// Lines of a text file, as for_each_line (align/pharaoh.h) reads them. Throws std::runtime_error
/// naming the file when it cannot be opened.
int64_t count_lines(const std::string& path);

/// The word links of a training corpus. `path` holds one Pharaoh line per line of the corpus
/// file `corpus_path` (the src file or the TSV), whose kept pairs are `text` (read_parallel;
/// pair k is line text.line_numbers[k]). Returns links[k] for each pair k of text.
/// Throws DataError (one line, naming the file and line):
///   "PATH: N lines, but CORPUS has M lines";
///   "PATH:LINE: bad alignment link 'x' (expected i-j with integer indices)" (also negatives);
///   "PATH:LINE: link 'i-j' out of range: the source has N words (CORPUS:LINE)" (or target).
std::vector<Alignment> read_training_links(const std::string& path, const ParallelText& text,
                                           const std::string& corpus_path);

/// Links between pieces: {source piece, target piece}, 0-based among a side's pieces (the
/// source EOS, the target BOS/EOS and padding are not pieces).
using PieceLinks = std::vector<std::pair<int32_t, int32_t>>;

/// Word links -> piece links: (q, p) for every link (i, j), every source piece q of word i and
/// every target piece p of word j (a target piece is aligned to all source pieces of the words
/// its word is linked to). src/tgt_word_of_piece as word_index_of_pieces (align/word_align.h;
/// -1 pieces are never linked). Sorted by (target piece, source piece), no duplicates.
/// Example: words {"▁Hund", "e"} | {"▁dog"}, link 0-0 -> {(0, 0), (1, 0)}.
/// Throws std::invalid_argument when a link names a word that has no piece.
PieceLinks expand_to_pieces(const Alignment& links, const std::vector<int>& src_word_of_piece,
                            const std::vector<int>& tgt_word_of_piece);

/// Piece links of every pair of an encoded corpus.
struct CorpusLinks {
  std::vector<PieceLinks> pairs;  ///< per EncodedCorpus pair
  int64_t links = 0;              ///< piece links in all
  /// Pairs whose pieces spell a different number of words than the text has (SentencePiece
  /// normalisation): left without links (no guidance), counted here.
  int64_t mismatched = 0;
};

/// Expands `links` (per pair of `text`, read_training_links) to the pieces of `corpus`
/// (encode_corpus of `text`: corpus.origin maps its pairs to text's) with the pieces of `tok`.
CorpusLinks expand_corpus_links(const std::vector<Alignment>& links, const ParallelText& text,
                                const EncodedCorpus& corpus, const Tokenizer& tok);

}  // namespace tinynmt::align
