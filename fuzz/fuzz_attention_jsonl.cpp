// libFuzzer target: the attention JSON Lines reader (records written by `translate --attention`
// and `align`, read by `heatmap` and `evaluate`). Every record it returns passes validate() and
// the word level can be recomputed from it. Seeds: records of a toy run (scripts/fuzz.sh).
#include <string_view>

#include "align/attention_io.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = tinynmt::fuzz::write_file("records.jsonl", input);
  try {
    auto records = tinynmt::align::read_attention_jsonl(path);
    for (auto& rec : records) {
      tinynmt::align::validate(rec, "records.jsonl");
      tinynmt::align::fill_word_level(rec);
    }
  } catch (const std::exception& e) {
    tinynmt::fuzz::check_error(e, "records.jsonl");
  }
  return 0;
}
