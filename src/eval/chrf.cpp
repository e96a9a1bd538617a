#include "eval/chrf.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "eval/sacrebleu.h"
#include "util/utf8.h"

namespace tinynmt::eval {

ChrfStats& ChrfStats::operator+=(const ChrfStats& o) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
  return *this;
}

namespace {

std::u32string strip_spaces(const std::string& s) {
  std::u32string out;
  for (char32_t c : utf8_decode(s)) {
    if (!is_python_space(c)) out.push_back(c);
  }
  return out;
}

std::unordered_map<std::u32string, int64_t> char_ngrams(const std::u32string& s, int n) {
  std::unordered_map<std::u32string, int64_t> counts;
  if (static_cast<int>(s.size()) < n) return counts;
  for (size_t i = 0; i + n <= s.size(); ++i) ++counts[s.substr(i, n)];
  return counts;
}

}  // namespace

ChrfStats chrf_stats(const std::string& hyp, const std::string& ref) {
  const std::u32string h = strip_spaces(hyp);
  const std::u32string r = strip_spaces(ref);
  ChrfStats s;
  for (int n = 1; n <= kChrfCharOrder; ++n) {
    auto hc = char_ngrams(h, n);
    auto rc = char_ngrams(r, n);
    int64_t nh = 0, nr = 0, match = 0;
    for (const auto& [g, c] : hc) {
      nh += c;
      auto it = rc.find(g);
      if (it != rc.end()) match += std::min(c, it->second);
    }
    for (const auto& kv : rc) nr += kv.second;
    s.counts[3 * (n - 1) + 0] = nh;
    s.counts[3 * (n - 1) + 1] = nr;
    s.counts[3 * (n - 1) + 2] = match;
  }
  return s;
}

std::string chrf_signature() {
  return fmt::format("nrefs:1|case:mixed|eff:yes|nc:{}|nw:0|space:no|version:{}", kChrfCharOrder,
                     kSacreBleuVersion);
}

ChrfScore compute_chrf(const ChrfStats& stats) {
  constexpr double kEps = 1e-16;
  const double factor = static_cast<double>(kChrfBeta) * kChrfBeta;
  double avg_prec = 0.0, avg_rec = 0.0;
  int effective_order = 0;
  for (int i = 0; i < kChrfCharOrder; ++i) {
    const int64_t n_hyp = stats.counts[3 * i];
    const int64_t n_ref = stats.counts[3 * i + 1];
    const int64_t n_match = stats.counts[3 * i + 2];
    const double prec = n_hyp > 0 ? static_cast<double>(n_match) / n_hyp : kEps;
    const double rec = n_ref > 0 ? static_cast<double>(n_match) / n_ref : kEps;
    if (n_hyp > 0 && n_ref > 0) ++effective_order;
    avg_prec += prec;
    avg_rec += rec;
  }
  ChrfScore out;
  out.signature = chrf_signature();
  if (effective_order == 0) {
    avg_prec = avg_rec = 0.0;
  } else {
    avg_prec /= effective_order;
    avg_rec /= effective_order;
  }
  if (avg_prec + avg_rec > 0.0) {
    out.score = 100.0 * (1 + factor) * avg_prec * avg_rec / (factor * avg_prec + avg_rec);
  } else {
    out.score = 0.0;
  }
  return out;
}

std::string ChrfScore::format() const { return fmt::format("chrF{} = {:.2f}", kChrfBeta, score); }

ChrfScore corpus_chrf(const std::vector<std::string>& hyps, const std::vector<std::string>& refs) {
  if (hyps.size() != refs.size()) {
    throw std::invalid_argument(
        fmt::format("chrF: {} hypothesis lines but {} reference lines", hyps.size(), refs.size()));
  }
  ChrfStats total;
  for (size_t i = 0; i < hyps.size(); ++i) total += chrf_stats(hyps[i], refs[i]);
  return compute_chrf(total);
}

ChrfScore sentence_chrf(const std::string& hyp, const std::string& ref) {
  return compute_chrf(chrf_stats(hyp, ref));
}

}  // namespace tinynmt::eval
