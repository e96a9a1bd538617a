// The training loop behind `tinynmt train`: data, tokenizer, model, optimiser, schedule, loss,
// validation (loss, perplexity, greedy BLEU and chrF), checkpoints, resume, signals, progress,
// metrics.jsonl and curves.png.
#pragma once

#include <atomic>
#include <string>

#include "config/config.h"

namespace tinynmt {

/// How a training run ended.
enum class TrainOutcome { kFinished, kEarlyStopped, kInterrupted, kDiverged };

struct TrainResult {
  TrainOutcome outcome = TrainOutcome::kFinished;
  int64_t steps = 0;
  double best_score = 0;
  std::string message;  ///< one line for the user
};

/// Set by SIGINT/SIGTERM handlers (install_stop_handlers); the loop finishes the current step,
/// saves `last` and returns kInterrupted.
std::atomic<int>& stop_signal();
void install_stop_handlers();

/// Trains according to `cfg` (validated by the caller). When RUN_DIR/last.ckpt exists the run
/// resumes from it (model, optimiser, schedule, data position, RNG). Throws on bad data or
/// I/O errors; a NaN/inf loss returns kDiverged without overwriting the last good checkpoint.
TrainResult train(const Config& cfg);

}  // namespace tinynmt
