// BLEU, compatible with sacreBLEU 2.x defaults (Post 2018, "A Call for Clarity in Reporting BLEU
// Scores"): figures match sacreBLEU 2.4.3 to within 0.01 on the reference set in
// ../shared/reference/metrics (see tests/test_bleu.cpp). chrF is eval/chrf.h.
//
// BLEU: Papineni et al. 2002, eq. (1)-(2): geometric mean of modified n-gram precisions
// (n = 1..4) times the brevity penalty BP = exp(1 - r/c) for c < r. Text is tokenised with
// sacreBLEU's "13a" tokeniser (mteval-v13a.pl; eval/tokenizer_13a.h), cased, and zero n-gram
// matches are smoothed with sacreBLEU's "exp" method (Chen & Cherry 2014, method 3, as in mteval:
// the k-th order with no match gets precision 1 / (2^k * total)).
// All scores are on the 0-100 scale. A single reference per segment.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tinynmt::eval {

inline constexpr int kBleuMaxOrder = 4;

/// Sufficient statistics of BLEU for one segment or a corpus (sums over segments).
struct BleuStats {
  int64_t sys_len = 0;                           // hypothesis tokens
  int64_t ref_len = 0;                           // reference tokens
  std::array<int64_t, kBleuMaxOrder> correct{};  // clipped n-gram matches, n = 1..4
  std::array<int64_t, kBleuMaxOrder> total{};    // hypothesis n-grams, n = 1..4
  BleuStats& operator+=(const BleuStats& o);
};

/// Statistics of one segment pair; both strings are raw (untokenised) text: trailing whitespace
/// is stripped, then tokenize_13a is applied.
BleuStats bleu_stats(const std::string& hyp, const std::string& ref);

struct BleuScore {
  double score = 0;                                // 0-100
  std::array<double, kBleuMaxOrder> precisions{};  // 0-100, smoothed as sacreBLEU reports them
  double bp = 0;                                   // brevity penalty, 0-1
  double ratio = 0;                                // sys_len / ref_len
  int64_t sys_len = 0;
  int64_t ref_len = 0;
  bool effective_order = false;
  std::string signature;  // e.g. nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x
  /// sacreBLEU's one-line form: "BLEU = 34.12 65.2/40.1/27.3/19.0 (BP = 0.981 ratio = 0.981
  /// hyp_len = 12013 ref_len = 12245)".
  std::string format() const;
};

/// BLEU from statistics (sacreBLEU BLEU.compute_bleu with smooth_method="exp").
/// effective_order: average only over the orders for which the hypothesis has n-grams (what
/// sacreBLEU does for sentence BLEU).
BleuScore compute_bleu(const BleuStats& stats, bool effective_order);

/// Corpus BLEU of hyps against refs (one reference per line).
/// Throws std::invalid_argument when the two lists differ in length.
BleuScore corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::string>& refs);

/// Sentence BLEU with effective order and exp smoothing (sacrebleu.sentence_bleu defaults).
BleuScore sentence_bleu(const std::string& hyp, const std::string& ref);

/// BLEU signature in sacreBLEU 2.x form.
std::string bleu_signature(bool effective_order);

}  // namespace tinynmt::eval
