// The Trainer's checkpoints (train/trainer.h): `last` (with the optimiser, and the raw weights of
// an EMA run), `best`, the numbered step checkpoints, and the weights a resumed run starts from.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "run/run_dir.h"
#include "train/trainer.h"

namespace tinynmt {
namespace {
namespace fs = std::filesystem;
}  // namespace

// With an EMA the average is the saved model and the raw weights (held() while swapped in) go
// beside it, so translate, average and the rest load the average without knowing about it.
void Trainer::save_last() {
  state_.schedule_state = schedule_->state_json();
  if (!is_main()) return;
  EmaSwapGuard averaged(ema());
  save_checkpoint(last_path_.string(), *model_, optimizer_.get(), state_, config_yaml_, {},
                  ema_ ? &ema_->held() : nullptr);
}

void Trainer::save_best() {
  if (!is_main()) return;
  EmaSwapGuard averaged(ema());
  save_checkpoint(best_path_.string(), *model_, nullptr, state_, config_yaml_);
}

// Numbered model checkpoints (weights, state, config; no optimiser) at each validation (each
// training.validate_every steps without a dev set), the newest training.keep_checkpoints kept:
// what `tinynmt average --last N` averages.
void Trainer::save_numbered() {
  if (t_.keep_checkpoints <= 0 || !is_main()) return;
  EmaSwapGuard averaged(ema());
  save_checkpoint(RunDir{run_dir_}.step_checkpoint(state_.step), *model_, nullptr, state_,
                  config_yaml_);
  std::vector<std::pair<int64_t, fs::path>> numbered;
  for (const auto& e : fs::directory_iterator(run_dir_)) {
    if (auto step = RunDir::step_of_checkpoint(e.path().filename().string()))
      numbered.emplace_back(*step, e.path());
  }
  std::sort(numbered.rbegin(), numbered.rend());
  for (size_t i = static_cast<size_t>(t_.keep_checkpoints); i < numbered.size(); ++i)
    fs::remove(numbered[i].second);
}

// After build_model and (when `resumed`) load_checkpoint: the model holds the checkpoint's model
// weights, the EMA's average when `raw` (its raw weights) is not empty. Rank 0 starts its EMA
// from them; every rank then trains on the raw weights.
void Trainer::restore_weights(bool resumed, const std::vector<torch::Tensor>& raw) {
  if (is_main() && t_.ema_decay > 0) {
    ema_.emplace(*model_, t_.ema_decay, t_.ema_warmup);
    if (resumed && raw.empty())
      spdlog::info(
          "{} holds no EMA of the weights: training.ema_decay = {} starts it from the "
          "checkpoint's weights at step {}",
          last_path_.string(), t_.ema_decay, state_.step);
  }
  if (raw.empty()) return;
  if (!ema_ && is_main())
    spdlog::info(
        "{} holds an EMA of the weights, but training.ema_decay = 0: training goes on "
        "from its raw weights and the average is dropped",
        last_path_.string());
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> mine = weight_tensors(*model_);
  for (size_t i = 0; i < mine.size(); ++i) mine[i].copy_(raw[i]);
}

}  // namespace tinynmt
