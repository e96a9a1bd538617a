// Pharaoh word-alignment format (Koehn's Pharaoh decoder; what fast_align, GIZA++ symmetrisers and
// Marian write): one line per sentence pair, space-separated links "i-j" where i is a 0-based
// source word index and j a 0-based target word index. An empty line is a sentence with no links.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tinynmt::align {

/// One link: {source word index, target word index}, 0-based.
using Link = std::pair<int, int>;
/// The links of one sentence pair.
using Alignment = std::vector<Link>;

/// "0-0 1-2 ..." in the order given (no trailing space). Throws std::invalid_argument on a
/// negative index.
std::string format_pharaoh(const Alignment& links);

/// Swaps every link (i, j) -> (j, i): e.g. the alignment of a target->source model, as that model
/// writes it (its source is our target), in source-target orientation.
Alignment invert(const Alignment& links);

/// One link token as written: 0-based link and the separator character found between i and j.
struct LinkToken {
  Link link;
  char separator = '-';
};

/// Parses one line of whitespace-separated `i<sep>j` tokens, <sep> one of `separators` (the
/// first such character in a token). one_based: the text's indices start at 1 (converted to
/// 0-based). Error messages start with `where` and call a token a `kind` (e.g. "gold link"),
/// `expected` says what a token should look like, `hint` (may be empty) is appended to the
/// below-the-base-index message. Throws std::runtime_error naming `where` and the bad token.
std::vector<LinkToken> parse_link_tokens(const std::string& line, bool one_based,
                                         const std::string& where, const std::string& separators,
                                         const std::string& kind, const std::string& expected,
                                         const std::string& hint = "");

/// Reads a text file line by line (a trailing '\r' removed) and calls on_line(line, "path:N")
/// for each line. `what` names the file in the cannot-open error. Throws std::runtime_error, and
/// whatever on_line throws.
void for_each_line(
    const std::string& path, const std::string& what,
    const std::function<void(const std::string& line, const std::string& where)>& on_line);

/// Parses one line of `i-j` links. one_based: the indices in the text start at 1 (they are
/// converted to 0-based). `where` prefixes error messages (e.g. "file.align:12").
/// Throws std::runtime_error naming `where` and the bad token for anything that is not
/// `INT-INT` with indices >= 0 (>= 1 when one_based).
Alignment parse_pharaoh(const std::string& line, bool one_based = false,
                        const std::string& where = "pharaoh");

/// Reads a whole file, one Alignment per line (a final newline does not add a sentence).
/// Throws std::runtime_error naming the file (and line) when it cannot be opened or parsed.
std::vector<Alignment> read_pharaoh_file(const std::string& path, bool one_based = false);

/// Writes one line per sentence. Throws std::runtime_error when the file cannot be written.
void write_pharaoh_file(const std::string& path, const std::vector<Alignment>& sentences);

}  // namespace tinynmt::align
