#include "data/corpus.h"

#include <fmt/format.h>

#include <fstream>

namespace tinynmt {
namespace {

std::ifstream open_or_throw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(fmt::format("{}: cannot open file", path));
  return in;
}

// Reads one line; removes '\r' before '\n' and, on line 1, a UTF-8 BOM. Validates UTF-8.
bool next_line(std::istream& in, const std::string& path, int64_t line_no, std::string& line) {
  if (!std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line_no == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  size_t bad = 0;
  if (!is_valid_utf8(line, &bad))
    throw DataError(fmt::format("{}:{}: invalid UTF-8 at byte {} of the line", path, line_no, bad));
  return true;
}

int64_t count_remaining(std::istream& in) {
  int64_t n = 0;
  std::string s;
  while (std::getline(in, s)) ++n;
  return n;
}

void add_pair(ParallelText& out, std::string_view src, std::string_view tgt, int64_t line_no) {
  std::string s = trim(src), t = trim(tgt);
  if (s.empty() || t.empty()) {
    ++out.skipped_empty;
    return;
  }
  out.src.push_back(std::move(s));
  out.tgt.push_back(std::move(t));
  out.line_numbers.push_back(line_no);
}

ParallelText read_tsv(const std::string& path) {
  std::ifstream in = open_or_throw(path);
  ParallelText out;
  std::string line;
  for (int64_t line_no = 1; next_line(in, path, line_no, line); ++line_no) {
    if (trim(line).empty()) {  // a blank line is an empty pair, not a malformed one
      ++out.skipped_empty;
      continue;
    }
    size_t tab = line.find('\t');
    size_t fields = 1;
    for (char c : line) fields += (c == '\t');
    if (fields != 2)
      throw DataError(
          fmt::format("{}:{}: expected 2 tab-separated fields (source, target), found {}", path,
                      line_no, fields));
    add_pair(out, std::string_view(line).substr(0, tab), std::string_view(line).substr(tab + 1),
             line_no);
  }
  return out;
}

ParallelText read_aligned(const std::string& src_path, const std::string& tgt_path) {
  std::ifstream src_in = open_or_throw(src_path);
  std::ifstream tgt_in = open_or_throw(tgt_path);
  ParallelText out;
  std::string s, t;
  for (int64_t line_no = 1;; ++line_no) {
    bool has_s = next_line(src_in, src_path, line_no, s);
    bool has_t = next_line(tgt_in, tgt_path, line_no, t);
    if (!has_s && !has_t) break;
    if (has_s != has_t) {
      const std::string& longer = has_s ? src_path : tgt_path;
      const std::string& shorter = has_s ? tgt_path : src_path;
      int64_t longer_total = line_no + count_remaining(has_s ? src_in : tgt_in);
      throw DataError(fmt::format(
          "{}:{}: no matching line in {} (line-aligned files differ in length: {} has {} lines, "
          "{} has {})",
          longer, line_no, shorter, longer, longer_total, shorter, line_no - 1));
    }
    add_pair(out, s, t, line_no);
  }
  return out;
}

}  // namespace

ParallelText read_parallel(const CorpusFiles& files) {
  if (!files.tsv.empty()) {
    if (!files.src.empty() || !files.tgt.empty())
      throw DataError(
          fmt::format("{}: give either a TSV or src and tgt files, not both", files.tsv));
    return read_tsv(files.tsv);
  }
  if (files.src.empty() || files.tgt.empty())
    throw DataError(fmt::format("corpus needs both src and tgt files (src: '{}', tgt: '{}')",
                                files.src, files.tgt));
  return read_aligned(files.src, files.tgt);
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in = open_or_throw(path);
  std::vector<std::string> lines;
  std::string line;
  for (int64_t line_no = 1; next_line(in, path, line_no, line); ++line_no) lines.push_back(line);
  return lines;
}

bool is_valid_utf8(std::string_view text, size_t* error_offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  auto fail = [&](size_t at) {
    if (error_offset) *error_offset = at;
    return false;
  };
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlongs
      if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // no overlongs
      if (c == 0xF4) hi = 0x8F;  // max U+10FFFF
    } else {
      return fail(i);
    }
    if (i + len > n) return fail(i);
    if (p[i + 1] < lo || p[i + 1] > hi) return fail(i);
    for (size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return fail(i);
    i += len;
  }
  return true;
}

std::string trim(std::string_view text) {
  const char* ws = " \t\r\n\f\v";
  size_t b = text.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = text.find_last_not_of(ws);
  return std::string(text.substr(b, e - b + 1));
}

}  // namespace tinynmt
