// Symmetrisation of two directional word alignments of the same sentence pair: the alignment a
// source->target model produces (one source word per target word with argmax attention) and
// the one a target->source model produces (one target word per source word). Each direction
// alone links every word of its output side to exactly one word; combining both keeps the
// links the two models agree on and grows from there.
//
// Source: Och & Ney 2003 (Computational Linguistics 29(1), section 4.1: intersection, union,
// refined); Koehn, Och & Marcu 2003 (Statistical Phrase-Based Translation, section 4.4) and the
// Moses implementation (train-model.perl / symal) for grow, grow-diag, grow-diag-final and
// grow-diag-final-and, which this file follows:
//
//   GROW-DIAG-FINAL-AND(e2f, f2e):
//     A = e2f ∩ f2e
//     GROW-DIAG: repeat until no link is added:
//       for source word i, target word j ascending, (i, j) ∈ A:
//         for each neighbour (i', j') of (i, j) (4 neighbours for grow, 8 with diagonals):
//           if (i' unaligned in A or j' unaligned in A) and (i', j') ∈ e2f ∪ f2e: add to A
//     FINAL(e2f); FINAL(f2e):  for (i, j) of the direction, ascending:
//           final:     if i unaligned in A or  j unaligned in A: add (i, j)
//           final-and: if i unaligned in A and j unaligned in A: add (i, j)
#pragma once

#include <string>
#include <vector>

#include "align/pharaoh.h"
#include "align/word_align.h"

namespace tinynmt::align {

enum class SymmetrizeMethod {
  kIntersection,      ///< links in both directions: high precision, low recall
  kUnion,             ///< links in either direction: high recall, low precision
  kGrow,              ///< intersection grown through 4-neighbours that are in the union
  kGrowDiag,          ///< as grow, with the 4 diagonal neighbours too
  kGrowDiagFinal,     ///< grow-diag, then union links with one side still unaligned
  kGrowDiagFinalAnd,  ///< grow-diag, then union links with both sides unaligned (Moses default)
};

/// Parses "intersection", "union", "grow", "grow-diag", "grow-diag-final",
/// "grow-diag-final-and". Throws std::invalid_argument listing the choices otherwise.
SymmetrizeMethod parse_symmetrize_method(const std::string& name);

/// The names parse_symmetrize_method accepts, comma-separated (for help and error messages).
std::string symmetrize_method_names();

/// Combines two alignments of one sentence pair, both in source-target orientation (0-based
/// source word i, target word j): `forward` from the source->target model, `reverse` from the
/// target->source model (already inverted). Duplicate links are allowed on input. Returns the
/// links sorted by (i, j), without duplicates. Sentence lengths are not needed: every link of
/// the result is a link of forward ∪ reverse. Throws std::invalid_argument on a negative index.
Alignment symmetrize(const Alignment& forward, const Alignment& reverse, SymmetrizeMethod method);

/// Soft symmetrisation: the two directions' word-level attention averaged before a threshold,
/// instead of two hard alignments combined. `forward` is the source->target model's read-out
/// matrix [tgt_words][src_words] (rows: target words), `reverse` the target->source model's
/// [src_words][tgt_words] (rows: source words, the words that model predicts). Links every
/// (source word i, target word j) with (forward[j][i] + reverse[i][j]) / 2 >= threshold, sorted
/// by (i, j); a word both models leave to the NULL word (EOS) stays unlinked. Mask-Align (Chen,
/// Sun & Liu 2021, "Mask-Align: Self-Supervised Neural Word Alignment", ACL; the authors' code,
/// bidir_weights_to_align) combines the two directions' weights before its threshold the same
/// way, with the harmonic mean; the arithmetic mean here scored better on the Hansards gold
/// (docs/alignment.md). Throws std::invalid_argument when the shapes do not transpose into each
/// other (the two models split a sentence into different words) or a matrix is ragged.
Alignment symmetrize_soft(const Matrix& forward, const Matrix& reverse, float threshold);

}  // namespace tinynmt::align
