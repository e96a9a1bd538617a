// libFuzzer target: the Pharaoh reader (`i-j` links: predicted alignments, `symmetrize` input)
// and the gold reader (`i-j` sure and `ipj` possible links), 0- and 1-based; then AER of the
// parsed links against themselves, which must be 0 when there are sure links. Seeds: the
// Hansards gold and a toy run's .align output (scripts/fuzz.sh).
#include <string_view>

#include "align/pharaoh.h"
#include "eval/aer.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = tinynmt::fuzz::write_file("links.align", input);
  const bool one_based = size > 0 && (data[0] & 1);
  try {
    const auto links = tinynmt::align::read_pharaoh_file(path, one_based);
    for (const auto& sentence : links) {
      for (const auto& link : sentence) {
        if (link.first < 0 || link.second < 0) std::abort();
      }
    }
  } catch (const std::exception& e) {
    tinynmt::fuzz::check_error(e, "links.align");
  }
  try {
    const auto gold = tinynmt::eval::read_gold_file(path, one_based);
    std::vector<tinynmt::align::Alignment> predicted;
    for (const auto& g : gold) predicted.emplace_back(g.sure.begin(), g.sure.end());
    const auto aer = tinynmt::eval::compute_aer(gold, predicted);
    if (aer.sure > 0 && aer.aer > 1e-9) std::abort();
  } catch (const std::exception& e) {
    tinynmt::fuzz::check_error(e, "links.align");
  }
  return 0;
}
