// `tinynmt train CONFIG.yaml [--set key=value ...]` and `tinynmt train --resume RUN_DIR`.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "config/config.h"
#include "run/run_dir.h"
#include "train/trainer.h"

namespace tinynmt::cli {

namespace {
struct TrainArgs {
  std::string config;
  std::string resume;
  std::vector<std::string> overrides;
  std::string device;
  int64_t threads = -1;
};
}  // namespace

Command add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  Command c;
  c.app = app.add_subcommand("train",
                             "train a model from a YAML config (resumes from RUN_DIR/last.ckpt)");
  c.app->add_option("config", args->config, "YAML config file");
  c.app->add_option(
      "--resume", args->resume,
      "continue the run in RUN_DIR from its last checkpoint (uses RUN_DIR/config.yaml)");
  c.app->add_option("--set", args->overrides, "override a config key: --set training.lr=0.001")
      ->take_all();
  c.app->add_option("--device", args->device, "auto|cpu|cuda|cuda:N (overrides run.device)");
  c.app->add_option("--threads", args->threads, "CPU threads (overrides run.threads; 0 = all)");
  c.run = [args] {
    check_device_flag(args->device);
    if (args->config.empty() == args->resume.empty())
      throw UsageError("train: give a CONFIG file or --resume RUN_DIR (one of them)");
    std::string path = args->config;
    if (!args->resume.empty()) {
      path = RunDir{args->resume}.config_file();
      if (!std::filesystem::exists(path))
        throw UsageError("--resume " + args->resume +
                         ": no config.yaml there (not a run directory?)");
    }
    Config cfg = load_config(path);
    for (const auto& o : args->overrides) apply_override(cfg, o);
    if (!args->device.empty()) apply_override(cfg, "run.device=" + args->device);
    if (args->threads >= 0) apply_override(cfg, "run.threads=" + std::to_string(args->threads));
    if (!args->resume.empty()) cfg.run.dir = args->resume;
    validate(cfg, /*check_files=*/true);
    TrainResult r = train(cfg);
    switch (r.outcome) {
      case TrainOutcome::kInterrupted:
        std::cerr << r.message << "\n";
        return 130;
      case TrainOutcome::kDiverged:
        std::cerr << "error: " << r.message << "\n";
        return 1;
      default:
        spdlog::info("{}", r.message);
        return 0;
    }
  };
  return c;
}

}  // namespace tinynmt::cli
