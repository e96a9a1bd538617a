// Reading parallel and monolingual text corpora (UTF-8, one sentence a line).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tinynmt {

/// A bad data file. The message is one line of the form `FILE:LINE: what is wrong`.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parallel corpus read into memory. src[i] and tgt[i] are one pair, trimmed of surrounding
/// whitespace; pairs with an empty side were skipped and only counted.
struct ParallelText {
  std::vector<std::string> src;
  std::vector<std::string> tgt;
  std::vector<int64_t> line_numbers;  ///< 1-based input line of each kept pair
  int64_t skipped_empty = 0;          ///< pairs dropped because a side was empty after trimming
  size_t size() const { return src.size(); }
};

/// Reads `files`: either one TSV (`files.tsv`, `src<TAB>tgt` per line) or two line-aligned
/// files (`files.src`, `files.tgt`). A trailing '\r' (CRLF files) and a UTF-8 byte order mark on
/// the first line are removed. Blank lines and pairs with an empty side are skipped and counted
/// in ParallelText::skipped_empty (the caller logs a warning with that count).
/// Throws DataError naming file and line when: a file cannot be opened; the two files have
/// different line counts; a line is not valid UTF-8; a non-blank TSV line does not have exactly
/// 2 tab-separated fields; `files` names neither a TSV nor both src and tgt.
ParallelText read_parallel(const CorpusFiles& files);

/// Reads a monolingual file: every line, empty ones included (so outputs can be written one per
/// input line), with a trailing '\r' and a leading UTF-8 BOM removed; no other trimming.
/// Throws DataError (`FILE:LINE: invalid UTF-8 ...`) or when the file cannot be opened.
std::vector<std::string> read_lines(const std::string& path);

/// Strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, max U+10FFFF). On failure
/// and when `error_offset` is given, stores the byte offset of the first bad sequence.
bool is_valid_utf8(std::string_view text, size_t* error_offset = nullptr);

/// `text` without leading/trailing ASCII whitespace (space, tab, \r, \n, \f, \v).
std::string trim(std::string_view text);

}  // namespace tinynmt
