// libFuzzer target: the parallel corpus reader (UTF-8 checks included) and the monolingual one.
// Input with a NUL byte: source file before it, target file after it (two-file mode); without
// one: a TSV file. Seeds: the toy corpus and Multi30k's test set (scripts/fuzz.sh).
#include <string>
#include <string_view>

#include "data/corpus.h"
#include "fuzz/fuzz_common.h"

namespace {

void check_pairs(const tinynmt::ParallelText& text) {
  if (text.src.size() != text.tgt.size() || text.src.size() != text.line_numbers.size()) {
    std::abort();
  }
  for (size_t i = 0; i < text.size(); ++i) {
    // Kept pairs are trimmed, non-empty and valid UTF-8.
    if (text.src[i].empty() || text.tgt[i].empty()) std::abort();
    if (!tinynmt::is_valid_utf8(text.src[i]) || !tinynmt::is_valid_utf8(text.tgt[i])) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  bool two_files = false;
  const auto [first, second] = tinynmt::fuzz::split_at_nul(input, &two_files);
  tinynmt::CorpusFiles files;
  if (two_files) {
    files.src = tinynmt::fuzz::write_file("corpus.src", first);
    files.tgt = tinynmt::fuzz::write_file("corpus.tgt", second);
  } else {
    files.tsv = tinynmt::fuzz::write_file("corpus.tsv", first);
  }
  try {
    check_pairs(tinynmt::read_parallel(files));
  } catch (const std::exception& e) {
    tinynmt::fuzz::check_error(e, "corpus.");
  }
  try {
    const auto lines = tinynmt::read_lines(tinynmt::fuzz::write_file("mono.txt", first));
    for (const auto& line : lines) {
      if (!tinynmt::is_valid_utf8(line)) std::abort();
    }
  } catch (const std::exception& e) {
    tinynmt::fuzz::check_error(e, "mono.txt");
  }
  return 0;
}
