#include "eval/bleu.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "eval/utf8.h"

namespace tinynmt::eval {
namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Rule 1 of 13a: r'([\{-\~\[-\` -\&\(-\+\:-\@\/])' -> r' \1 '.
bool is_13a_symbol(char c) {
  return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
         (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

// Python's re.sub scans left to right and does not let matches overlap; these loops do the same
// on bytes. A multi-byte UTF-8 character never contains an ASCII byte, so byte-wise matching of
// [^0-9] gives the same output as Python's code-point matching.
std::string sub_symbols(const std::string& s) {
  std::string out;
  out.reserve(s.size() * 2);
  for (char c : s) {
    if (is_13a_symbol(c)) {
      out.push_back(' ');
      out.push_back(c);
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// r'([^0-9])([\.,])' -> r'\1 \2 '
std::string sub_nondigit_period(const std::string& s) {
  std::string out;
  out.reserve(s.size() * 2);
  size_t i = 0;
  while (i < s.size()) {
    if (i + 1 < s.size() && !is_digit(s[i]) && (s[i + 1] == '.' || s[i + 1] == ',')) {
      out.push_back(s[i]);
      out.push_back(' ');
      out.push_back(s[i + 1]);
      out.push_back(' ');
      i += 2;
    } else {
      out.push_back(s[i]);
      ++i;
    }
  }
  return out;
}

// r'([\.,])([^0-9])' -> r' \1 \2'
std::string sub_period_nondigit(const std::string& s) {
  std::string out;
  out.reserve(s.size() * 2);
  size_t i = 0;
  while (i < s.size()) {
    if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') && !is_digit(s[i + 1])) {
      out.push_back(' ');
      out.push_back(s[i]);
      out.push_back(' ');
      out.push_back(s[i + 1]);
      i += 2;
    } else {
      out.push_back(s[i]);
      ++i;
    }
  }
  return out;
}

// r'([0-9])(-)' -> r'\1 \2 '
std::string sub_digit_dash(const std::string& s) {
  std::string out;
  out.reserve(s.size() * 2);
  size_t i = 0;
  while (i < s.size()) {
    if (i + 1 < s.size() && is_digit(s[i]) && s[i + 1] == '-') {
      out.push_back(s[i]);
      out.push_back(' ');
      out.push_back('-');
      out.push_back(' ');
      i += 2;
    } else {
      out.push_back(s[i]);
      ++i;
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

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

std::string tokenize_13a(const std::string& input) {
  std::string line = input;
  replace_all(line, "<skipped>", "");
  replace_all(line, "-\n", "");
  replace_all(line, "\n", " ");
  if (line.find('&') != std::string::npos) {
    replace_all(line, "&quot;", "\"");
    replace_all(line, "&amp;", "&");
    replace_all(line, "&lt;", "<");
    replace_all(line, "&gt;", ">");
  }
  line = " " + line + " ";
  line = sub_symbols(line);
  line = sub_nondigit_period(line);
  line = sub_period_nondigit(line);
  line = sub_digit_dash(line);
  return join(python_split(line), " ");
}

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
    out.bp = stats.sys_len > 0
                 ? std::exp(1.0 - static_cast<double>(stats.ref_len) / stats.sys_len)
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
    throw std::invalid_argument(fmt::format(
        "BLEU: {} hypothesis lines but {} reference lines", hyps.size(), refs.size()));
  }
  BleuStats total;
  for (size_t i = 0; i < hyps.size(); ++i) total += bleu_stats(hyps[i], refs[i]);
  return compute_bleu(total, /*effective_order=*/false);
}

BleuScore sentence_bleu(const std::string& hyp, const std::string& ref) {
  return compute_bleu(bleu_stats(hyp, ref), /*effective_order=*/true);
}

// ---------------------------------------------------------------------------------------------
// chrF

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
    throw std::invalid_argument(fmt::format(
        "chrF: {} hypothesis lines but {} reference lines", hyps.size(), refs.size()));
  }
  ChrfStats total;
  for (size_t i = 0; i < hyps.size(); ++i) total += chrf_stats(hyps[i], refs[i]);
  return compute_chrf(total);
}

ChrfScore sentence_chrf(const std::string& hyp, const std::string& ref) {
  return compute_chrf(chrf_stats(hyp, ref));
}

}  // namespace tinynmt::eval
