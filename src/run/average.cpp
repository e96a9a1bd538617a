#include "run/average.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <utility>

#include "config/config.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"
#include "run/run_dir.h"

namespace tinynmt {
namespace {

namespace fs = std::filesystem;

// The model a checkpoint holds, built from its stored config and loaded on the CPU.
std::shared_ptr<Seq2SeqImpl> load_weights(const std::string& path, TrainState* state,
                                          std::string* config_yaml) {
  const CheckpointInfo info = read_checkpoint_info(path);
  const Config cfg = parse_config(info.config_yaml, path + " (stored config)");
  auto model = make_seq2seq(cfg.model, info.state.src_vocab, info.state.tgt_vocab);
  load_checkpoint(path, *model, nullptr, torch::kCPU, /*restore_rng=*/false);
  *state = info.state;
  *config_yaml = info.config_yaml;
  return model;
}

// name -> tensor of every parameter and buffer.
std::map<std::string, torch::Tensor> named_tensors(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> t;
  for (const auto& p : m.named_parameters()) t[p.key()] = p.value();
  for (const auto& b : m.named_buffers()) t[b.key()] = b.value();
  return t;
}

std::string shape(const torch::Tensor& t) {
  std::string s;
  for (auto d : t.sizes()) s += (s.empty() ? "" : "x") + std::to_string(d);
  return "[" + s + "]";
}

// Throws when `b` (from path_b) cannot be averaged with `a` (from path_a).
void check_compatible(const std::map<std::string, torch::Tensor>& a,
                      const std::map<std::string, torch::Tensor>& b, const std::string& path_a,
                      const std::string& path_b) {
  if (a.size() != b.size())
    throw std::runtime_error(fmt::format("cannot average {} and {}: {} vs {} tensors", path_a,
                                         path_b, a.size(), b.size()));
  for (const auto& [name, t] : a) {
    const auto it = b.find(name);
    if (it == b.end())
      throw std::runtime_error(
          fmt::format("cannot average {} and {}: {} is not in the second", path_a, path_b, name));
    if (it->second.sizes() != t.sizes())
      throw std::runtime_error(fmt::format("cannot average {} and {}: {} is {} vs {}", path_a,
                                           path_b, name, shape(t), shape(it->second)));
  }
}

}  // namespace

std::vector<std::string> last_step_checkpoints(const std::string& run_dir, int64_t n) {
  if (n < 1) throw std::runtime_error(fmt::format("--last {}: must be >= 1", n));
  std::vector<std::pair<int64_t, std::string>> found;
  if (fs::is_directory(run_dir))
    for (const auto& e : fs::directory_iterator(run_dir))
      if (auto step = RunDir::step_of_checkpoint(e.path().filename().string()))
        found.emplace_back(*step, e.path().string());
  if (static_cast<int64_t>(found.size()) < n)
    throw std::runtime_error(
        fmt::format("{} holds {} numbered checkpoints (step_N.ckpt) and {} were asked for; "
                    "training.keep_checkpoints decides how many a run keeps",
                    run_dir, found.size(), n));
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto it = found.end() - n; it != found.end(); ++it) out.push_back(it->second);
  return out;
}

void average_checkpoints(const std::vector<std::string>& paths, const std::string& out) {
  if (paths.empty()) throw std::invalid_argument("average_checkpoints: no checkpoints");
  torch::NoGradGuard no_grad;
  TrainState state, first_state;
  std::string config_yaml;
  auto avg = load_weights(paths[0], &first_state, &config_yaml);
  auto sum = named_tensors(*avg);  // the first model's tensors: the result is written there
  std::map<std::string, torch::Tensor> acc;
  for (const auto& [name, t] : sum) acc[name] = t.to(torch::kDouble);
  state = first_state;
  for (size_t i = 1; i < paths.size(); ++i) {
    TrainState s;
    auto m = load_weights(paths[i], &s, &config_yaml);
    if (s.src_vocab != first_state.src_vocab || s.tgt_vocab != first_state.tgt_vocab)
      throw std::runtime_error(fmt::format("cannot average {} and {}: vocabularies {}/{} vs {}/{}",
                                           paths[0], paths[i], first_state.src_vocab,
                                           first_state.tgt_vocab, s.src_vocab, s.tgt_vocab));
    const auto t = named_tensors(*m);
    check_compatible(sum, t, paths[0], paths[i]);
    for (auto& [name, a] : acc) a.add_(t.at(name).to(torch::kDouble));
    state = s;
  }
  const double n = static_cast<double>(paths.size());
  for (auto& [name, t] : sum) t.copy_((acc.at(name) / n).to(t.dtype()));
  save_checkpoint(out, *avg, nullptr, state, config_yaml);
}

}  // namespace tinynmt
