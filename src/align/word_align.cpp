#include "align/word_align.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <stdexcept>

#include "util/named_values.h"

namespace tinynmt::align {

std::vector<int> word_index_of_pieces(const std::vector<std::string>& pieces,
                                      const std::vector<std::string>& specials) {
  const std::string marker = kWordBoundary;
  std::vector<int> out;
  out.reserve(pieces.size());
  int word = -1;
  for (const auto& p : pieces) {
    if (std::find(specials.begin(), specials.end(), p) != specials.end()) {
      out.push_back(-1);
      continue;
    }
    if (word < 0 || p.compare(0, marker.size(), marker) == 0) ++word;
    out.push_back(word);
  }
  return out;
}

std::vector<std::string> words_of_pieces(const std::vector<std::string>& pieces,
                                         const std::vector<int>& word_of_piece) {
  if (pieces.size() != word_of_piece.size()) {
    throw std::invalid_argument(fmt::format("words_of_pieces: {} pieces but {} word indices",
                                            pieces.size(), word_of_piece.size()));
  }
  const std::string marker = kWordBoundary;
  int n = 0;
  for (int w : word_of_piece) n = std::max(n, w + 1);
  std::vector<std::string> words(n);
  for (size_t k = 0; k < pieces.size(); ++k) {
    if (word_of_piece[k] < 0) continue;
    std::string p = pieces[k];
    size_t pos = 0;
    while ((pos = p.find(marker, pos)) != std::string::npos) p.erase(pos, marker.size());
    words[word_of_piece[k]] += p;
  }
  return words;
}

Matrix aggregate_to_words(const Matrix& subword, const std::vector<int>& tgt_word_of_token,
                          const std::vector<int>& src_word_of_token, int num_tgt_words,
                          int num_src_words) {
  if (subword.size() != tgt_word_of_token.size()) {
    throw std::invalid_argument(
        fmt::format("aggregate_to_words: matrix has {} rows but {} target word indices",
                    subword.size(), tgt_word_of_token.size()));
  }
  for (size_t r = 0; r < subword.size(); ++r) {
    if (subword[r].size() != src_word_of_token.size()) {
      throw std::invalid_argument(fmt::format(
          "aggregate_to_words: row {} has {} columns but there are {} source word indices", r,
          subword[r].size(), src_word_of_token.size()));
    }
  }
  auto count = [](const std::vector<int>& map) {
    int n = 0;
    for (int w : map) n = std::max(n, w + 1);
    return n;
  };
  if (num_tgt_words < 0) num_tgt_words = count(tgt_word_of_token);
  if (num_src_words < 0) num_src_words = count(src_word_of_token);
  auto check = [](const std::vector<int>& map, int n, const char* side) {
    for (int w : map) {
      if (w < -1 || w >= n) {
        throw std::invalid_argument(
            fmt::format("aggregate_to_words: {} word index {} out of range [-1, {})", side, w, n));
      }
    }
  };
  check(tgt_word_of_token, num_tgt_words, "target");
  check(src_word_of_token, num_src_words, "source");

  Matrix out(num_tgt_words, std::vector<float>(num_src_words, 0.0f));
  std::vector<int> pieces_per_tgt_word(num_tgt_words, 0);
  for (size_t r = 0; r < subword.size(); ++r) {
    const int t = tgt_word_of_token[r];
    if (t < 0) continue;
    ++pieces_per_tgt_word[t];
    for (size_t c = 0; c < subword[r].size(); ++c) {
      const int s = src_word_of_token[c];
      if (s < 0) continue;
      out[t][s] += subword[r][c];  // sum over the source word's pieces
    }
  }
  for (int t = 0; t < num_tgt_words; ++t) {
    if (pieces_per_tgt_word[t] > 1) {
      for (auto& v : out[t]) v /= static_cast<float>(pieces_per_tgt_word[t]);  // mean over rows
    }
  }
  return out;
}

namespace {
void sort_links(Alignment& a) { std::sort(a.begin(), a.end()); }
}  // namespace

Alignment argmax_alignment(const Matrix& word, bool null_column) {
  Alignment out;
  for (size_t t = 0; t < word.size(); ++t) {
    const auto& row = word[t];
    if (row.empty()) continue;
    auto it = std::max_element(row.begin(), row.end());
    if (*it <= 0.0f) continue;
    if (null_column && *it <= 1.0f - std::accumulate(row.begin(), row.end(), 0.0f)) continue;
    out.emplace_back(static_cast<int>(it - row.begin()), static_cast<int>(t));
  }
  sort_links(out);
  return out;
}

Alignment threshold_alignment(const Matrix& word, float threshold) {
  Alignment out;
  for (size_t t = 0; t < word.size(); ++t) {
    for (size_t s = 0; s < word[t].size(); ++s) {
      if (word[t][s] >= threshold) out.emplace_back(static_cast<int>(s), static_cast<int>(t));
    }
  }
  sort_links(out);
  return out;
}

namespace {
constexpr std::array<Named<HardAlignment>, 3> kHardAlignments = {{
    {"argmax", HardAlignment::kArgmax},
    {"argmax-null", HardAlignment::kArgmaxNull},
    {"threshold", HardAlignment::kThreshold},
}};
}  // namespace

HardAlignment parse_hard_alignment(const std::string& name) {
  if (const auto* m = find_named(kHardAlignments, name)) return *m;
  throw std::invalid_argument(
      fmt::format("method '{}' (choices: {})", name, joined_names(kHardAlignments)));
}

Alignment hard_alignment(const Matrix& word, HardAlignment method, float threshold) {
  if (method == HardAlignment::kThreshold) return threshold_alignment(word, threshold);
  return argmax_alignment(word, method == HardAlignment::kArgmaxNull);
}

}  // namespace tinynmt::align
