// `tinynmt average`: averages the weights of checkpoints (run/average.h), as fairseq's
// average_checkpoints: the last N numbered checkpoints of a run, or the files given.
//   tinynmt average --model RUN_DIR --last 5            -> RUN_DIR/averaged.ckpt
//   tinynmt average --checkpoints A.ckpt B.ckpt --out C.ckpt
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "run/average.h"
#include "run/run_dir.h"

namespace tinynmt::cli {
namespace {

struct AverageArgs {
  std::string model, out;
  int64_t last = 0;
  std::vector<std::string> checkpoints;
};

int run(const AverageArgs& a) {
  if (a.checkpoints.empty() == (a.last == 0))
    throw UsageError("average: give either --model DIR --last N or --checkpoints FILE...");
  if (a.last != 0 && a.model.empty()) throw UsageError("average: --last needs --model DIR");
  if (a.last < 0) throw UsageError(fmt::format("average: --last {}: must be >= 1", a.last));
  const auto paths = a.last ? last_step_checkpoints(a.model, a.last) : a.checkpoints;
  for (const auto& p : paths)
    if (!std::filesystem::is_regular_file(p))
      throw std::runtime_error(fmt::format("{}: no such checkpoint", p));
  std::string out = a.out;
  if (out.empty()) {
    if (a.model.empty()) throw UsageError("average: --out FILE is required with --checkpoints");
    out = RunDir{a.model}.averaged_checkpoint();
  }
  average_checkpoints(paths, out);
  std::cout << fmt::format("averaged {} checkpoints into {}:", paths.size(), out);
  for (const auto& p : paths) std::cout << ' ' << std::filesystem::path(p).filename().string();
  std::cout << fmt::format("\ntranslate with: tinynmt translate --model {} --checkpoint {}\n",
                           a.model.empty() ? "RUN_DIR" : a.model, out);
  return 0;
}

}  // namespace

Command add_average_command(CLI::App& app) {
  auto args = std::make_shared<AverageArgs>();
  Command c;
  c.app = app.add_subcommand("average", "average the weights of a run's last N checkpoints");
  c.app->add_option("--model", args->model, "run directory (its step_N.ckpt files)");
  c.app->add_option("--last", args->last, "average the last N numbered checkpoints");
  c.app->add_option("--checkpoints", args->checkpoints, "or these checkpoint files")->take_all();
  c.app->add_option("--out", args->out, "output checkpoint (default RUN_DIR/averaged.ckpt)");
  c.run = [args] { return run(*args); };
  return c;
}

}  // namespace tinynmt::cli
