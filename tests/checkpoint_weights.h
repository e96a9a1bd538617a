// The weights of a checkpoint file, by parameter name, for tests that compare runs.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

#include "config/config.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"

namespace tinynmt::test_runs {

/// The parameters of checkpoint `path` loaded into a model of `cfg.model` (on the CPU), by name.
/// Throws what load_checkpoint throws.
inline std::map<std::string, torch::Tensor> checkpoint_weights(const std::string& path,
                                                               const Config& cfg) {
  auto info = read_checkpoint_info(path);
  auto model = make_seq2seq(cfg.model, info.state.src_vocab, info.state.tgt_vocab);
  load_checkpoint(path, *model, nullptr, torch::kCPU, false);
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : model->named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

}  // namespace tinynmt::test_runs
