// Loading a trained run for inference: the checkpoint with its resolved config, the run's
// tokenizer and the network (load_model), and the optional alignment layer trained for it
// (load_alignment_layer; trained by train/alignment_training.h).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "data/tokenizer.h"
#include "models/alignment_layer.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"

namespace tinynmt {

/// A trained model ready for inference (eval mode, on `device`).
struct LoadedModel {
  Config config;                       ///< the resolved config stored in the checkpoint
  TrainState state;                    ///< training progress stored in the checkpoint
  Tokenizer tokenizer;                 ///< the run's SentencePiece model(s)
  std::shared_ptr<Seq2SeqImpl> model;  ///< weights loaded, eval mode
  torch::Device device = torch::kCPU;
  std::string checkpoint;  ///< path of the checkpoint file read
  std::string name;        ///< model name for exports: the run directory's name
  /// Optional alignment layer (load_alignment_layer below): when set,
  /// force_align appends its weights as the last attention layer.
  AlignmentLayer alignment_layer{nullptr};
  /// Attention layers in force_align's records: the model's, then the alignment layer if set.
  int64_t attention_layers() const { return model->attention_layers() + (alignment_layer ? 1 : 0); }
};

/// Loads RUN_DIR's checkpoint `which` ("best", "last" or a file path; "best" falls back to
/// "last" with a warning when the run has no best.ckpt; names: run/run_dir.h): the resolved
/// config stored in the checkpoint, the tokenizer of RUN_DIR (Tokenizer::load(run_dir,
/// data.tokenizer.joint)), and a network built with make_seq2seq(config.model, state.src_vocab,
/// state.tgt_vocab) whose weights are mapped onto `device_spec` (auto|cpu|cuda|cuda:N, see
/// resolve_device). The model is put in eval mode. Throws std::runtime_error naming the path when
/// the checkpoint is missing or unreadable, ConfigError when its config is invalid, DataError when
/// the tokenizer is missing, and std::runtime_error when the tokenizer's vocabulary size differs
/// from the checkpoint's.
LoadedModel load_model(const std::string& run_dir, const std::string& which = "best",
                       const std::string& device_spec = "auto");

/// The layer that fits `model` (sizes from its features, encoder states and source embeddings;
/// hidden size = the features' size, value network 4 × the output layer's input size), randomly
/// initialised. Throws std::invalid_argument when the model has no separable output layer or no
/// source embedding table.
AlignmentLayer make_alignment_layer(Seq2SeqImpl& model);

/// Loads PATH (a checkpoint written by train_alignment_layer; by default
/// RunDir::alignment_layer_checkpoint()) into a layer built for `model`,
/// on the model's device, in eval mode; `state`, when given, receives its training progress.
/// Throws std::runtime_error naming the path when it is missing, unreadable or does not fit the
/// model.
AlignmentLayer load_alignment_layer(const LoadedModel& model, const std::string& path,
                                    TrainState* state = nullptr);

}  // namespace tinynmt
