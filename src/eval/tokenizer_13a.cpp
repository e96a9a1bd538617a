#include "eval/tokenizer_13a.h"

#include <vector>

#include "util/utf8.h"

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

}  // namespace tinynmt::eval
