// `tinynmt train-alignment-layer`: trains an alignment layer (models/alignment_layer.h; Zenkel,
// Wuebker & DeNero 2019) on top of a trained run, the run's model frozen, and writes
// RUN_DIR/alignment_layer.ckpt for `tinynmt align --alignment-layer`.
#include <memory>
#include <string>

#include "cli/commands.h"
#include "run/load_model.h"
#include "train/alignment_training.h"
#include "util/runtime.h"

namespace tinynmt::cli {
namespace {

struct Args {
  std::string model, checkpoint = "best", device = "auto";
  AlignmentTrainOptions train;
  int64_t threads = 0;
  CLI::Option* threads_opt = nullptr;
};

int run(const Args& a) {
  if (a.train.max_minutes < 0) throw UsageError("train-alignment-layer: --minutes must be >= 0");
  if (a.train.max_steps < 0) throw UsageError("train-alignment-layer: --steps must be >= 0");
  if (a.train.max_minutes == 0 && a.train.max_steps == 0)
    throw UsageError("train-alignment-layer: --minutes and --steps are both 0: give a limit");
  if (!(a.train.lr > 0)) throw UsageError("train-alignment-layer: --lr must be > 0");
  if (a.train.log_every < 1) throw UsageError("train-alignment-layer: --log-every must be >= 1");
  auto loaded = load_model(a.model, a.checkpoint, a.device);
  configure_threads(a.threads_opt->count() ? a.threads : loaded.config.run.threads);
  train_alignment_layer(loaded, a.model, a.train);
  return 0;
}

}  // namespace

Command add_train_alignment_layer_command(CLI::App& app) {
  auto args = std::make_shared<Args>();
  Command c;
  c.app = app.add_subcommand(
      "train-alignment-layer",
      "train an alignment layer (Zenkel et al. 2019) on a trained run, the model frozen; writes "
      "MODEL/alignment_layer.ckpt for `align --alignment-layer`");
  auto* sub = c.app;
  sub->add_option("--model", args->model, "run directory (checkpoints, SentencePiece model)")
      ->required();
  sub->add_option("--checkpoint", args->checkpoint, "best, last or a checkpoint file")
      ->capture_default_str();
  sub->add_option("--minutes", args->train.max_minutes, "wall-clock budget (0 = none)")
      ->capture_default_str();
  sub->add_option("--steps", args->train.max_steps, "optimiser steps (0 = none)")
      ->capture_default_str();
  sub->add_option("--batch-tokens", args->train.batch_tokens,
                  "target tokens per batch (0 = the run's training.batch_size)")
      ->capture_default_str();
  sub->add_option("--lr", args->train.lr, "Adam learning rate")->capture_default_str();
  sub->add_option("--log-every", args->train.log_every, "progress line every N steps")
      ->capture_default_str();
  sub->add_option("--src", args->train.src_file,
                  "train on these source lines instead of the run's data.train (with --tgt)");
  sub->add_option("--tgt", args->train.tgt_file, "target lines, line-aligned with --src");
  sub->add_flag("--tokenized", args->train.tokenized,
                "--src/--tgt are space-separated words, encoded as `align --tokenized` does");
  sub->add_flag("--resume", args->train.resume,
                "continue from the weights in the output checkpoint (its steps count on)");
  sub->add_option("--out", args->train.out,
                  "checkpoint to write (default MODEL/alignment_layer.ckpt)");
  sub->add_option("--device", args->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  args->threads_opt =
      sub->add_option("--threads", args->threads, "CPU threads; 0 = all (default: run.threads)");
  c.run = [args] {
    check_device_flag(args->device);
    return run(*args);
  };
  return c;
}

}  // namespace tinynmt::cli
