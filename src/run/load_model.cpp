#include "run/load_model.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <stdexcept>

#include "models/special_ids.h"
#include "run/run_dir.h"
#include "util/runtime.h"

namespace tinynmt {
namespace fs = std::filesystem;

namespace {

std::string model_name(const std::string& run_dir) {
  fs::path p = fs::path(run_dir).lexically_normal();
  std::string name = p.filename().string();
  if (name.empty() || name == ".") name = p.parent_path().filename().string();
  if (name.empty() || name == "." || name == "..") {
    name = fs::absolute(run_dir).lexically_normal().filename().string();
  }
  return name;
}

}  // namespace

LoadedModel load_model(const std::string& run_dir, const std::string& which,
                       const std::string& device_spec) {
  if (!fs::is_directory(run_dir)) {
    throw std::runtime_error(fmt::format("{}: no such run directory", run_dir));
  }
  const RunDir dir{run_dir};
  std::string path;
  if (which == "best" && !fs::exists(dir.best_checkpoint()) && fs::exists(dir.last_checkpoint())) {
    spdlog::warn("{}: no best.ckpt (no validation yet); using last.ckpt", run_dir);
    path = checkpoint_path(run_dir, "last");
  } else {
    path = checkpoint_path(run_dir, which);
  }
  LoadedModel m;
  m.checkpoint = path;
  m.name = model_name(run_dir);
  CheckpointInfo info = read_checkpoint_info(path);
  m.state = info.state;
  m.config = parse_config(info.config_yaml, path + " (stored config)");
  validate(m.config, /*check_files=*/false);
  m.tokenizer = Tokenizer::load(run_dir, m.config.data.tokenizer.joint);
  if (m.state.src_vocab <= 0 || m.state.tgt_vocab <= 0) {
    throw std::runtime_error(fmt::format("{}: the checkpoint records no vocabulary sizes", path));
  }
  if (m.tokenizer.src_vocab_size() != m.state.src_vocab ||
      m.tokenizer.tgt_vocab_size() != m.state.tgt_vocab) {
    throw std::runtime_error(fmt::format(
        "{}: vocabulary sizes {}/{} (src/tgt) do not match the SentencePiece model(s) in {} "
        "({}/{})",
        path, m.state.src_vocab, m.state.tgt_vocab, run_dir, m.tokenizer.src_vocab_size(),
        m.tokenizer.tgt_vocab_size()));
  }
  m.device = resolve_device(device_spec);
  m.model = make_seq2seq(m.config.model, m.state.src_vocab, m.state.tgt_vocab);
  m.model->to(m.device);
  load_checkpoint(path, *m.model, nullptr, m.device, /*restore_rng=*/false);
  m.model->to(m.device);
  m.model->eval();
  spdlog::debug("loaded {} (step {}) on {}", path, m.state.step, m.device.str());
  return m;
}

AlignmentLayer make_alignment_layer(Seq2SeqImpl& model) {
  auto out = model.output_layer();
  if (!out.weight.defined())
    throw std::invalid_argument("alignment layer: the model has no separable output layer");
  // One tiny forward pass tells the encoder state and source embedding sizes.
  auto src = torch::full({1, 1}, kEosId, torch::kLong).to(out.weight.device());
  auto tgt = torch::full({1, 1}, kBosId, torch::kLong).to(out.weight.device());
  Seq2SeqOutput fw;
  {
    torch::NoGradGuard no_grad;
    fw = model.forward_features(src, tgt);
  }
  auto words = model.source_word_embeddings(src);
  if (!fw.features.defined() || !fw.memory.defined() || !words.defined())
    throw std::invalid_argument(
        "alignment layer: the model gives no decoder features, encoder states or source "
        "embeddings");
  AlignmentLayerOptions o;
  o.query_dim = fw.features.size(-1);
  o.key_dim = fw.memory.size(-1);
  o.value_dim = words.size(-1);
  o.output_dim = out.weight.size(1);
  o.hidden_dim = o.query_dim;
  o.value_ff = 4 * o.output_dim;
  AlignmentLayer layer(o);
  layer->to(out.weight.device());
  return layer;
}

AlignmentLayer load_alignment_layer(const LoadedModel& loaded, const std::string& path,
                                    TrainState* state) {
  if (!fs::exists(path))
    throw std::runtime_error(fmt::format(
        "{}: no alignment layer; train one with `tinynmt train-alignment-layer --model RUN_DIR`",
        path));
  AlignmentLayer layer = make_alignment_layer(*loaded.model);
  try {
    auto info = load_checkpoint(path, *layer, nullptr, loaded.device, false);
    if (state) *state = info.state;
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: cannot load the alignment layer for this model: {}", path, e.what()));
  }
  layer->eval();
  return layer;
}

}  // namespace tinynmt
