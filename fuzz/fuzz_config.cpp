// libFuzzer target: the YAML config with a `--set` override. Input: the first line is the
// override (`key.path=value`), the rest the YAML text. Seeds: configs/*.yaml (scripts/fuzz.sh).
#include <string>
#include <string_view>

#include "config/config.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t eol = input.find('\n');
  const std::string assignment(input.substr(0, eol));
  const std::string yaml(eol == std::string_view::npos ? "" : input.substr(eol + 1));
  tinynmt::Config cfg;
  try {
    cfg = tinynmt::parse_config(yaml, "fuzz.yaml");
  } catch (const std::exception& e) {
    tinynmt::fuzz::check_error(e, "fuzz.yaml");
    return 0;
  }
  try {
    tinynmt::apply_override(cfg, assignment);
  } catch (const std::exception& e) {
    tinynmt::fuzz::check_error(e, "--set");
    return 0;
  }
  try {
    tinynmt::validate(cfg, /*check_files=*/false);
    // A valid config survives the round trip through its resolved YAML.
    const tinynmt::Config again = tinynmt::parse_config(tinynmt::to_yaml_string(cfg), "resolved");
    tinynmt::validate(again, false);
  } catch (const std::exception& e) {
    tinynmt::fuzz::check_error(e, "");
  }
  return 0;
}
