// Checkpoints: model, optimiser, schedule, step/epoch/data position, RNG state and the resolved
// config in one LibTorch archive, written atomically (temporary file, fsync, rename, fsync of the
// directory): a kill at any moment leaves the previous checkpoint intact. A run with an exponential
// moving average of its weights (training.ema_decay) stores the averaged weights as the model (what
// translate, average and every other reader load) and its raw weights beside them for resuming.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "models/seq2seq.h"

namespace tinynmt {

/// Training progress stored in a checkpoint.
struct TrainState {
  int64_t step = 0;            ///< optimiser steps done
  int64_t epoch = 0;           ///< current epoch (0-based)
  int64_t batch_in_epoch = 0;  ///< batches of `epoch` already consumed
  int64_t src_vocab = 0;
  int64_t tgt_vocab = 0;
  double best_score = 0;  ///< best validation value of the early-stopping metric
  bool has_best = false;
  int64_t bad_validations = 0;  ///< validations since the best one
  double elapsed_seconds = 0;   ///< training wall time so far
  int64_t target_tokens = 0;    ///< target tokens trained on so far
  std::string schedule_state;   ///< LrSchedule::state_json()
  std::string metric;           ///< early-stopping metric name
};

/// Hooks for tests: called between writing the temporary file and renaming it.
struct CheckpointHooks {
  std::function<void(const std::string& tmp_path)> before_rename;
};

/// The floating-point parameters, then the floating-point buffers, of `model`, each tensor once
/// (a tied weight registered twice appears once), in registration order: the order of the raw
/// weights in a checkpoint and of an EMA's tensors (train/ema.h).
std::vector<torch::Tensor> weight_tensors(torch::nn::Module& model);

/// Writes `path` atomically. `optimizer` may be null (e.g. a best-model copy for inference).
/// `raw_weights`, when given, are stored under "raw_weights" beside the model's weights: the
/// training weights of a run whose model weights are an average (weight_tensors(model) order and
/// shapes). Throws std::runtime_error naming the path on I/O failure; the old file stays as it was.
void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const TrainState& state,
                     const std::string& config_yaml, const CheckpointHooks& hooks = {},
                     const std::vector<torch::Tensor>* raw_weights = nullptr);

/// What load_checkpoint read.
struct CheckpointInfo {
  TrainState state;
  std::string config_yaml;
  bool has_raw_weights = false;  ///< the checkpoint holds raw weights (an EMA run's)
};

/// Reads the config and state only (cheap). Throws std::runtime_error naming the path.
CheckpointInfo read_checkpoint_info(const std::string& path);

/// Loads weights into `model` (mapped to `device`), the optimiser state when given, and the torch
/// CPU RNG state when restore_rng. When `raw_weights` is given and the checkpoint holds raw weights
/// (save_checkpoint), they are read into it (weight_tensors(model) order, on `device`) and
/// has_raw_weights is set; otherwise it is left empty. Throws std::runtime_error naming the path,
/// also when the raw weights do not fit the model.
CheckpointInfo load_checkpoint(const std::string& path, torch::nn::Module& model,
                               torch::optim::Optimizer* optimizer, const torch::Device& device,
                               bool restore_rng, std::vector<torch::Tensor>* raw_weights = nullptr);

/// RunDir{run_dir}.last_checkpoint() or .best_checkpoint() (run/run_dir.h), or a path as given.
/// `which` is best|last|PATH.
/// Throws std::runtime_error when the file does not exist.
std::string checkpoint_path(const std::string& run_dir, const std::string& which);

}  // namespace tinynmt
