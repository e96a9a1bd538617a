// `tinynmt train CONFIG.yaml [--set key=value ...]` and `tinynmt train --resume RUN_DIR`.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "config/config.h"
#include "run/run_dir.h"
#include "train/c10d_communicator.h"
#include "train/dist_env.h"
#include "train/launcher.h"
#include "train/trainer.h"
#include "util/runtime.h"

namespace tinynmt::cli {

namespace {
struct TrainArgs {
  std::string config;
  std::string resume;
  std::vector<std::string> overrides;
  std::string device;
  int64_t threads = -1;
  int nproc = 0;
};

// The worker's own arguments: what this command was given, --nproc left out.
std::vector<std::string> worker_args(const TrainArgs& a) {
  std::vector<std::string> v = {"train"};
  if (!a.config.empty()) v.push_back(a.config);
  if (!a.resume.empty()) v.insert(v.end(), {"--resume", a.resume});
  for (const auto& o : a.overrides) v.insert(v.end(), {"--set", o});
  if (!a.device.empty()) v.insert(v.end(), {"--device", a.device});
  if (a.threads >= 0) v.insert(v.end(), {"--threads", std::to_string(a.threads)});
  return v;
}

// This process's communicator: c10d when WORLD_SIZE > 1 (torchrun's variables), else none.
std::unique_ptr<Communicator> make_communicator(const Config& cfg) {
  DistEnv env = read_dist_env();
  if (!env.distributed()) return nullptr;
  C10dOptions o;
  const bool cuda = resolve_device(cfg.run.device).is_cuda();
  o.backend = resolve_backend(cfg.run.backend, cuda);
  o.timeout = std::chrono::seconds(cfg.run.c10d_timeout);
  o.device = cuda ? "cuda:" + std::to_string(env.local_rank) : "cpu";
  return std::make_unique<C10dCommunicator>(env, o);
}
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
  c.app->add_option("--threads", args->threads,
                    "CPU threads per rank (overrides run.threads; 0 = all cores / local ranks)");
  c.app
      ->add_option("--nproc", args->nproc,
                   "start N data-parallel ranks on this machine (like torchrun --standalone); "
                   "without it, WORLD_SIZE/RANK/LOCAL_RANK/MASTER_ADDR/MASTER_PORT are read")
      ->check(CLI::Range(1, 1024));
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
    if (args->nproc > 1) {
      if (read_dist_env().distributed())
        throw UsageError(
            "train: --nproc starts its own ranks; do not combine it with WORLD_SIZE > 1");
      return launch_local_workers(worker_args(*args), args->nproc,
                                  std::chrono::seconds(cfg.run.c10d_timeout + 10));
    }
    auto comm = make_communicator(cfg);
    const bool main_rank = !comm || comm->rank() == 0;
    TrainResult r = Trainer(cfg, std::move(comm)).run();
    switch (r.outcome) {
      case TrainOutcome::kInterrupted:
        std::cerr << r.message << "\n";
        return 130;
      case TrainOutcome::kDiverged:
        std::cerr << "error: " << r.message << "\n";
        return 1;
      default:
        if (main_rank) spdlog::info("{}", r.message);
        return 0;
    }
  };
  return c;
}

}  // namespace tinynmt::cli
