// tinynmt: the command-line entry point. Errors reach the user as one line on stderr with exit
// code 2 (usage) or 1 (runtime), never as an uncaught exception.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "config/config.h"
#include "util/blas_core.h"
#include "util/build_info.h"
#include "util/runtime.h"

namespace {

// "error: MESSAGE" as one write: ranks of a data-parallel run share stderr, and a line written in
// pieces interleaves with another rank's.
void print_error(const std::string& message) { std::cerr << ("error: " + message + "\n"); }

}  // namespace

int main(int argc, char** argv) {
  tinynmt::use_faster_openblas_core(argv);  // may start this program again (util/blas_core.h)
  using namespace tinynmt::cli;
  CLI::App app{"tinynmt: neural machine translation with attention you can see and score"};
  app.set_version_flag(
      "--version", [] { return tinynmt::describe(tinynmt::build_info()); },
      "Print tinynmt's and LibTorch's versions, whether CUDA is compiled in, and "
      "the CUDA devices seen, then exit");
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.require_subcommand(1);

  std::vector<Command> commands = {
      add_train_command(app),      add_translate_command(app),
      add_align_command(app),      add_train_alignment_layer_command(app),
      add_symmetrize_command(app), add_heatmap_command(app),
      add_evaluate_command(app),   add_bench_command(app),
      add_average_command(app),    add_config_command(app),
      add_export_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  try {
    for (auto& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const tinynmt::ConfigError& e) {
    print_error(e.what());
    return 2;
  } catch (const UsageError& e) {
    print_error(e.what());
    return 2;
  } catch (const tinynmt::DeviceError& e) {
    print_error(e.what());
    return 2;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    // LibTorch messages carry a C++ backtrace after the first line: keep the first line only.
    auto nl = msg.find('\n');
    if (nl != std::string::npos) msg = msg.substr(0, nl);
    print_error(msg);
    return 1;
  } catch (...) {
    print_error("unknown failure");
    return 1;
  }
  return 2;
}
