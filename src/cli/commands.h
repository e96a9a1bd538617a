// One thin file per subcommand under src/cli/. Each add_*_command declares its CLI11 subcommand
// on `app` and returns it with the function that runs it (returns the exit code).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace tinynmt::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_train_command(CLI::App& app);
Command add_translate_command(CLI::App& app);
Command add_align_command(CLI::App& app);
Command add_heatmap_command(CLI::App& app);
Command add_evaluate_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_symmetrize_command(CLI::App& app);
Command add_train_alignment_layer_command(CLI::App& app);
Command add_average_command(CLI::App& app);
Command add_config_command(CLI::App& app);
Command add_export_command(CLI::App& app);

/// Resolves a --device flag before any other work, so that a device that cannot be had is
/// reported first (util/runtime.h DeviceError: one line, exit code 2). Empty = not given.
void check_device_flag(const std::string& device);

/// A usage error: reported as one line, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tinynmt::cli
