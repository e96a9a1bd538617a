#include "align/training_links.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "align/word_align.h"

namespace tinynmt::align {
namespace {

int count_words(const std::string& text) {
  std::istringstream in(text);
  std::string w;
  int n = 0;
  while (in >> w) ++n;
  return n;
}

// "link '3-7' out of range: the source has 3 words (CORPUS:LINE)", or "" when in range.
std::string range_error(const Link& link, int src_words, int tgt_words, const std::string& at) {
  const auto [i, j] = link;
  if (i < src_words && j < tgt_words) return "";
  const bool src = i >= src_words;
  return fmt::format("link '{}-{}' out of range: the {} has {} words ({})", i, j,
                     src ? "source" : "target", src ? src_words : tgt_words, at);
}

std::vector<int> piece_words(const SpmModel& spm, const std::vector<int64_t>& ids) {
  std::vector<std::string> pieces;
  pieces.reserve(ids.size());
  for (int64_t id : ids) pieces.push_back(spm.id_to_piece(id));
  return word_index_of_pieces(pieces);
}

int words_in(const std::vector<int>& word_of_piece) {
  int n = 0;
  for (int w : word_of_piece) n = std::max(n, w + 1);
  return n;
}

}  // namespace

int64_t count_lines(const std::string& path) {
  int64_t n = 0;
  for_each_line(path, "file", [&](const std::string&, const std::string&) { ++n; });
  return n;
}

std::vector<Alignment> read_training_links(const std::string& path, const ParallelText& text,
                                           const std::string& corpus_path) {
  const int64_t corpus_lines = count_lines(corpus_path);
  std::vector<Alignment> by_line;
  try {
    for_each_line(path, "alignment file", [&](const std::string& line, const std::string& where) {
      by_line.push_back(parse_pharaoh(line, false, where));
    });
  } catch (const DataError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw DataError(e.what());
  }
  if (static_cast<int64_t>(by_line.size()) != corpus_lines)
    throw DataError(fmt::format("{}: {} lines, but {} has {} lines", path, by_line.size(),
                                corpus_path, corpus_lines));
  std::vector<Alignment> out;
  out.reserve(text.size());
  for (size_t k = 0; k < text.size(); ++k) {
    const int64_t line = text.line_numbers[k];
    Alignment& links = by_line[static_cast<size_t>(line - 1)];
    const int src_words = count_words(text.src[k]), tgt_words = count_words(text.tgt[k]);
    for (const Link& l : links) {
      const std::string bad =
          range_error(l, src_words, tgt_words, fmt::format("{}:{}", corpus_path, line));
      if (!bad.empty()) throw DataError(fmt::format("{}:{}: {}", path, line, bad));
    }
    out.push_back(std::move(links));
  }
  return out;
}

PieceLinks expand_to_pieces(const Alignment& links, const std::vector<int>& src_word_of_piece,
                            const std::vector<int>& tgt_word_of_piece) {
  auto pieces_of = [](const std::vector<int>& word_of_piece, int word, const char* side) {
    std::vector<int32_t> out;
    for (size_t p = 0; p < word_of_piece.size(); ++p)
      if (word_of_piece[p] == word) out.push_back(static_cast<int32_t>(p));
    if (out.empty())
      throw std::invalid_argument(
          fmt::format("expand_to_pieces: {} word {} has no piece", side, word));
    return out;
  };
  PieceLinks out;
  for (const auto& [i, j] : links)
    for (int32_t q : pieces_of(src_word_of_piece, i, "source"))
      for (int32_t p : pieces_of(tgt_word_of_piece, j, "target")) out.emplace_back(q, p);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second, a.first) < std::tie(b.second, b.first);
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

CorpusLinks expand_corpus_links(const std::vector<Alignment>& links, const ParallelText& text,
                                const EncodedCorpus& corpus, const Tokenizer& tok) {
  CorpusLinks out;
  out.pairs.resize(corpus.size());
  for (size_t k = 0; k < corpus.size(); ++k) {
    const auto t = static_cast<size_t>(corpus.origin[k]);
    std::vector<int64_t> src_ids = corpus.src[k];
    if (!src_ids.empty()) src_ids.pop_back();  // EOS
    const auto src_words = piece_words(tok.src(), src_ids);
    const auto tgt_words = piece_words(tok.tgt(), corpus.tgt[k]);
    if (words_in(src_words) != count_words(text.src[t]) ||
        words_in(tgt_words) != count_words(text.tgt[t])) {
      ++out.mismatched;
      continue;
    }
    out.pairs[k] = expand_to_pieces(links[t], src_words, tgt_words);
    out.links += static_cast<int64_t>(out.pairs[k].size());
  }
  return out;
}

}  // namespace tinynmt::align
