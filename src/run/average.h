// Checkpoint averaging (fairseq's scripts/average_checkpoints.py; Vaswani et al. 2017 §6.1 average
// the last 5 or 20 checkpoints): every parameter and buffer of the model is the arithmetic mean
// of its values in the given checkpoints. The result translates like any checkpoint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinynmt {

/// The last `n` numbered checkpoints of RUN_DIR (step_N.ckpt, run/run_dir.h), oldest first.
/// Throws std::runtime_error when the directory holds fewer than n (naming how many it has and
/// training.keep_checkpoints, which decides how many are kept) or n < 1.
std::vector<std::string> last_step_checkpoints(const std::string& run_dir, int64_t n);

/// Writes to `out` (atomically; run/checkpoint.h) the mean of the model weights in `paths`,
/// with the training state and config of the last of them and no optimiser state.
/// Throws std::runtime_error naming both files when two checkpoints differ in vocabulary sizes,
/// parameter names or parameter shapes, std::invalid_argument when `paths` is empty.
void average_checkpoints(const std::vector<std::string>& paths, const std::string& out);

}  // namespace tinynmt
