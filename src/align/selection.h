// Choosing matrices from an attention record's [layer][head] matrices: one layer and head, or
// the mean over all layers and/or heads. Used by `tinynmt align` (the hard alignment reads the
// selection; decode/translator.cpp) and `tinynmt heatmap`.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "align/attention_io.h"
#include "align/word_align.h"

namespace tinynmt::align {

/// A layer or head choice that does not parse or is out of range.
class SelectionError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A selection index meaning "all of them, averaged".
inline constexpr int kMeanOf = -1;

/// Parses a layer or head choice among n: "mean" -> kMeanOf, or an integer in [-n, n) (negative
/// counts from the end) -> 0..n-1. `what` ("layer", "head") and `holder` ("model", "file") name
/// things in the message. Throws SelectionError: "layer 'x': expected an index or 'mean'", or
/// "layer 5 out of range (the model has 2 layers)".
int parse_selection(const std::string& s, int n, const std::string& what,
                    const std::string& holder = "model");

/// The matrices a selection picks from m ([layers][heads] of [tgt][src]), layer-major: layer
/// and head are indices or kMeanOf. Throws std::invalid_argument for an empty m, an index out
/// of range, or a layer whose head count differs from layer 0's.
std::vector<const Matrix*> select_matrices(const LayerHeadMatrices& m, int layer, int head);

/// How a mean divides by the count n. Both commands keep the rounding they have always had:
/// `heatmap` divides by n (kDivide); the hard alignment of `align` multiplies by the float 1/n
/// (kMultiplyByInverse), which can differ in the last bit when n is not a power of two.
enum class MeanRounding { kDivide, kMultiplyByInverse };

/// Element-wise mean of same-shaped matrices (summed in order). Throws std::invalid_argument
/// on an empty list or different shapes.
Matrix mean_of(const std::vector<const Matrix*>& ms, MeanRounding rounding);

/// The matrix a layer/head selection picks from m: one matrix, or the mean (multiplied by 1/n)
/// over all layers and/or heads. layer/head: as parse_selection. Throws std::invalid_argument
/// naming the bad value and the range.
Matrix select_layer_head(const LayerHeadMatrices& m, const std::string& layer,
                         const std::string& head);

}  // namespace tinynmt::align
