#include "eval/bleu.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "eval/sacrebleu.h"
#include "eval/tokenizer_13a.h"
#include "util/utf8.h"

namespace tinynmt::eval {
namespace {

// Python's str.rstrip(): strips trailing whitespace (Unicode-aware).
std::string rstrip(const std::string& s) {
  size_t end = s.size();
  while (end > 0) {
    unsigned char c = static_cast<unsigned char>(s[end - 1]);
    if (c < 0x80) {
      if (!is_python_space(c)) break;
      --end;
      continue;
    }
    // Find the start of the last multi-byte character.
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    std::u32string cp = utf8_decode(s.substr(start, end - start));
    if (cp.size() == 1 && is_python_space(cp[0])) {
      end = start;
    } else {
      break;
    }
  }
  return s.substr(0, end);
}

using NgramCounts = std::unordered_map<std::string, int64_t>;

// Counts n-grams of order n, keyed by the tokens joined with single spaces (tokens hold none).
NgramCounts count_ngrams(const std::vector<std::string>& tokens, int n) {
  NgramCounts counts;
  if (static_cast<int>(tokens.size()) < n) return counts;
  for (size_t i = 0; i + n <= tokens.size(); ++i) {
    std::string key = tokens[i];
    for (int k = 1; k < n; ++k) {
      key.push_back(' ');
      key += tokens[i + k];
    }
    ++counts[key];
  }
  return counts;
}

double my_log(double x) { return x == 0.0 ? -9999999999.0 : std::log(x); }

std::string format_fixed(double v, int digits) { return fmt::format("{:.{}f}", v, digits); }

}  // namespace

BleuStats& BleuStats::operator+=(const BleuStats& o) {
  sys_len += o.sys_len;
  ref_len += o.ref_len;
  for (int n = 0; n < kBleuMaxOrder; ++n) {
    correct[n] += o.correct[n];
    total[n] += o.total[n];
  }
  return *this;
}

BleuStats bleu_stats(const std::string& hyp, const std::string& ref) {
  // Tokens never contain whitespace after tokenize_13a, so splitting on ' ' is exact.
  std::vector<std::string> h = python_split(tokenize_13a(rstrip(hyp)));
  std::vector<std::string> r = python_split(tokenize_13a(rstrip(ref)));
  BleuStats s;
  s.sys_len = static_cast<int64_t>(h.size());
  s.ref_len = static_cast<int64_t>(r.size());
  for (int n = 1; n <= kBleuMaxOrder; ++n) {
    NgramCounts hc = count_ngrams(h, n);
    NgramCounts rc = count_ngrams(r, n);
    int64_t correct = 0, total = 0;
    for (const auto& [gram, count] : hc) {
      total += count;
      auto it = rc.find(gram);
      if (it != rc.end()) correct += std::min(count, it->second);
    }
    s.correct[n - 1] = correct;
    s.total[n - 1] = total;
  }
  return s;
}

std::string bleu_signature(bool effective_order) {
  return fmt::format("nrefs:1|case:mixed|eff:{}|tok:13a|smooth:exp|version:{}",
                     effective_order ? "yes" : "no", kSacreBleuVersion);
}

BleuScore compute_bleu(const BleuStats& stats, bool effective_order) {
  BleuScore out;
  out.sys_len = stats.sys_len;
  out.ref_len = stats.ref_len;
  out.effective_order = effective_order;
  out.signature = bleu_signature(effective_order);
  out.ratio = stats.ref_len > 0 ? static_cast<double>(stats.sys_len) / stats.ref_len : 0.0;
  if (stats.sys_len < stats.ref_len) {
    out.bp = stats.sys_len > 0 ? std::exp(1.0 - static_cast<double>(stats.ref_len) / stats.sys_len)
                               : 0.0;
  } else {
    out.bp = 1.0;
  }
  bool any_correct = false;
  for (auto c : stats.correct) any_correct = any_correct || c != 0;
  if (!any_correct) {
    out.score = 0.0;
    return out;
  }
  double smooth_mteval = 1.0;
  int eff_order = kBleuMaxOrder;
  for (int n = 1; n <= kBleuMaxOrder; ++n) {
    if (stats.total[n - 1] == 0) break;
    if (effective_order) eff_order = n;
    if (stats.correct[n - 1] == 0) {
      smooth_mteval *= 2;
      out.precisions[n - 1] = 100.0 / (smooth_mteval * stats.total[n - 1]);
    } else {
      out.precisions[n - 1] = 100.0 * stats.correct[n - 1] / stats.total[n - 1];
    }
  }
  double log_sum = 0.0;
  for (int n = 0; n < eff_order; ++n) log_sum += my_log(out.precisions[n]);
  out.score = out.bp * std::exp(log_sum / eff_order);
  return out;
}

std::string BleuScore::format() const {
  std::string p;
  for (int n = 0; n < kBleuMaxOrder; ++n) {
    if (n) p += "/";
    p += format_fixed(precisions[n], 1);
  }
  return fmt::format("BLEU = {:.2f} {} (BP = {:.3f} ratio = {:.3f} hyp_len = {} ref_len = {})",
                     score, p, bp, ratio, sys_len, ref_len);
}

BleuScore corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::string>& refs) {
  if (hyps.size() != refs.size()) {
    throw std::invalid_argument(
        fmt::format("BLEU: {} hypothesis lines but {} reference lines", hyps.size(), refs.size()));
  }
  BleuStats total;
  for (size_t i = 0; i < hyps.size(); ++i) total += bleu_stats(hyps[i], refs[i]);
  return compute_bleu(total, /*effective_order=*/false);
}

BleuScore sentence_bleu(const std::string& hyp, const std::string& ref) {
  return compute_bleu(bleu_stats(hyp, ref), /*effective_order=*/true);
}

}  // namespace tinynmt::eval
