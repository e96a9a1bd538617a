// libFuzzer target: the checkpoint loader, as `translate` and `average` use it: the stored
// config and state (read_checkpoint_info), then the weights into a network built from them.
// Seeds: a checkpoint of a short toy run (scripts/fuzz.sh); run with -max_len of its size.
// Networks the stored config asks for beyond a small size are not built (the fuzzer's memory
// limit would stop the run on a legitimate allocation, not on a defect).
#include <string_view>

#include "config/config.h"
#include "fuzz/fuzz_common.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"

namespace {

bool small_enough(const tinynmt::Config& cfg, const tinynmt::TrainState& state) {
  const auto& m = cfg.model;
  const int64_t limit = 1024;
  for (int64_t v : {state.src_vocab, state.tgt_vocab, m.encoder.d_model, m.decoder.d_model,
                    m.encoder.ff, m.decoder.ff, m.encoder.hidden_size, m.decoder.hidden_size,
                    m.encoder.embedding_dim, m.decoder.embedding_dim}) {
    if (v > limit) return false;
  }
  return m.encoder.layers <= 4 && m.decoder.layers <= 4 && state.src_vocab > 0 &&
         state.tgt_vocab > 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = tinynmt::fuzz::write_file("model.ckpt", input);
  try {
    const tinynmt::CheckpointInfo info = tinynmt::read_checkpoint_info(path);
    tinynmt::Config cfg = tinynmt::parse_config(info.config_yaml, path + " (stored config)");
    tinynmt::validate(cfg, /*check_files=*/false);
    if (!small_enough(cfg, info.state)) return 0;
    auto model = tinynmt::make_seq2seq(cfg.model, info.state.src_vocab, info.state.tgt_vocab);
    std::vector<torch::Tensor> raw;
    tinynmt::load_checkpoint(path, *model, nullptr, torch::kCPU, /*restore_rng=*/false, &raw);
  } catch (const std::exception& e) {
    tinynmt::fuzz::check_error(e, "model.ckpt");
  }
  return 0;
}
