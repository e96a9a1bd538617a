// Training of an alignment layer (models/alignment_layer.h; Zenkel, Wuebker & DeNero 2019 §3) for
// a trained run: the translation model stays frozen, only the layer learns. Loading it for
// alignment is run/load_model.h's load_alignment_layer.
#pragma once

#include <cstdint>
#include <string>

#include "models/alignment_layer.h"
#include "run/load_model.h"

namespace tinynmt {

struct AlignmentTrainOptions {
  double max_minutes = 15;   ///< wall-clock budget (0 = none); the run stops at the first limit
  int64_t max_steps = 0;     ///< optimiser steps (0 = none)
  int64_t batch_tokens = 0;  ///< target tokens per batch (0 = the run's training.batch_size)
  double lr = 1e-3;          ///< Adam learning rate (constant)
  int64_t log_every = 50;    ///< progress line every N steps
  std::string out;           ///< checkpoint to write ("" = RunDir::alignment_layer_checkpoint())
  bool resume = false;       ///< start from the weights in `out` (Adam's moments start afresh)
  /// Train on these line-aligned files instead of the run's data.train (e.g. the very pairs to be
  /// aligned, as statistical aligners are trained on the corpus they align); `tokenized` as in
  /// `tinynmt align --tokenized`, so the pieces match those the alignment will see.
  std::string src_file, tgt_file;
  bool tokenized = false;
};

struct AlignmentTrainResult {
  int64_t steps = 0;
  int64_t target_tokens = 0;
  double seconds = 0;
  double first_loss = 0;  ///< mean cross-entropy per target token of the first logged window
  double last_loss = 0;   ///< ... and of the last one
  std::string path;       ///< checkpoint written
};

/// Trains an alignment layer on `run_dir`'s training data (config data.train of the loaded
/// checkpoint, encoded with the run's tokenizer; or options.src_file/tgt_file) with the translation
/// model frozen in eval mode: per batch, forward_features() without gradients, then the layer's
/// context through the frozen output layer and cross-entropy against the targets
/// (fused_output_label_smoothed_loss, ε = 0); only W_q, W_k, W_v get gradients (Adam). Logs steps,
/// loss, tokens/s and ETA. Writes the layer atomically (run/checkpoint.h) at the end and on every
/// log line, so a stopped run keeps its progress. Throws std::runtime_error (naming the file) when
/// the data cannot be read or the checkpoint cannot be written, std::invalid_argument for bad
/// options (both limits 0, lr <= 0).
AlignmentTrainResult train_alignment_layer(const LoadedModel& model, const std::string& run_dir,
                                           const AlignmentTrainOptions& options);

}  // namespace tinynmt
