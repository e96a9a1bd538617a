// chrF, compatible with sacreBLEU 2.x defaults (Post 2018, "A Call for Clarity in Reporting BLEU
// Scores"): figures match sacreBLEU 2.4.3 to within 0.01 on the reference set in
// ../shared/reference/metrics (see tests/test_chrf.cpp).
//
// chrF: Popović 2015, "chrF: character n-gram F-score": character n-grams of order 1..6 with
// whitespace removed, precision and recall averaged over the orders that occur ("effective
// order"), F-beta with beta = 2.
// All scores are on the 0-100 scale. A single reference per segment.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tinynmt::eval {

inline constexpr int kChrfCharOrder = 6;
inline constexpr int kChrfBeta = 2;

/// chrF sufficient statistics: for each char order n = 1..6, {hyp n-grams, ref n-grams, matches}.
struct ChrfStats {
  std::array<int64_t, 3 * kChrfCharOrder> counts{};
  ChrfStats& operator+=(const ChrfStats& o);
};

/// Statistics of one segment pair (code points, whitespace removed as Python's str.split()).
ChrfStats chrf_stats(const std::string& hyp, const std::string& ref);

struct ChrfScore {
  double score = 0;       // 0-100
  std::string signature;  // nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.x
  /// "chrF2 = 57.13"
  std::string format() const;
};

/// chrF from statistics (sacreBLEU CHRF._compute_f_score, eps_smoothing off).
ChrfScore compute_chrf(const ChrfStats& stats);

/// Corpus chrF2 (statistics summed over segments). Throws std::invalid_argument on a length
/// mismatch.
ChrfScore corpus_chrf(const std::vector<std::string>& hyps, const std::vector<std::string>& refs);

/// Sentence-level chrF2.
ChrfScore sentence_chrf(const std::string& hyp, const std::string& ref);

/// chrF signature in sacreBLEU 2.x form.
std::string chrf_signature();

}  // namespace tinynmt::eval
