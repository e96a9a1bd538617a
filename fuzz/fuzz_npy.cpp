// libFuzzer target: the .npy reader (float32 arrays written by `align --npy` or numpy.save).
// What it returns holds exactly the product of its shape. Seeds: arrays written by write_npy.
#include <string_view>

#include "align/attention_io.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = tinynmt::fuzz::write_file("array.npy", input);
  try {
    std::vector<int64_t> shape;
    const auto values = tinynmt::align::read_npy(path, &shape);
    size_t count = 1;
    for (int64_t d : shape) {
      if (d < 0) std::abort();
      count *= static_cast<size_t>(d);
    }
    if (values.size() != count) std::abort();
  } catch (const std::exception& e) {
    tinynmt::fuzz::check_error(e, "array.npy");
  }
  return 0;
}
