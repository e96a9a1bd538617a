// `tinynmt bench [CONFIG...] [--steps N] [--warmup W] [--threads T] [--json FILE]
//                [--decode-sentences N] [--set key=value ...] [--device D] [--sgemm-size N]
//                [--profile DIR]`:
// training and decoding throughput on this machine (see bench/bench.h).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "bench/bench.h"
#include "bench/report.h"
#include "cli/commands.h"

namespace tinynmt::cli {

namespace {

/// The three Multi30k configs benchmarked when no CONFIG is given.
const std::vector<std::string>& default_configs() {
  static const std::vector<std::string> c = {"configs/multi30k_de_en_transformer.yaml",
                                             "configs/multi30k_de_en_bahdanau.yaml",
                                             "configs/multi30k_de_en_luong.yaml"};
  return c;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto opts = std::make_shared<bench::BenchOptions>();
  auto json_path = std::make_shared<std::string>();
  Command c;
  c.app = app.add_subcommand(
      "bench",
      "measure training (tokens/s, GFLOP/s, % of the sgemm peak, padding, peak RSS) and decoding "
      "(greedy and beam 5) throughput of configs on this machine");
  c.app->add_option("config", opts->configs,
                    "YAML configs (default: the three configs/multi30k_de_en_*.yaml)");
  c.app->add_option("--steps", opts->steps, "timed training steps per config")
      ->capture_default_str();
  c.app->add_option("--warmup", opts->warmup, "untimed training steps before them")
      ->capture_default_str();
  c.app->add_option("--threads", opts->threads,
                    "CPU threads (default: the first config's run.threads; 0 = all cores)");
  c.app->add_option("--json", *json_path, "also write the figures as JSON to FILE");
  c.app
      ->add_option("--decode-sentences", opts->decode_sentences,
                   "dev sentences decoded per search (0 = no decoding)")
      ->capture_default_str();
  c.app->add_option("--set", opts->overrides, "override a key in every config: --set k=v")
      ->take_all();
  c.app->add_option("--device", opts->device, "auto|cpu|cuda|cuda:N (overrides run.device)");
  c.app->add_option("--profile", opts->profile_dir,
                    "also profile 3 extra training steps per config and write "
                    "DIR/<config>.trace.json for chrome://tracing (on CUDA: Kineto, with a "
                    "summary of the GPU kernels)");
  c.app->add_option("--sgemm-size", opts->sgemm_size, "n of the n x n sgemm peak measurement")
      ->capture_default_str();
  c.app
      ->add_option("--gpu-matmul-size", opts->device_matmul_size,
                   "n of the GPU's own n x n matrix-product peak (per training precision)")
      ->capture_default_str();
  c.app
      ->add_option("--sgemm-probes", opts->sgemm_probe_repeats,
                   "sgemm products run right before and after every timed CPU training step, for "
                   "the paired % of peak (%pair); 0 = none")
      ->capture_default_str();
  c.run = [opts, json_path] {
    check_device_flag(opts->device);
    if (opts->configs.empty()) opts->configs = default_configs();
    if (opts->steps < 1)
      throw UsageError("--steps " + std::to_string(opts->steps) + ": must be >= 1");
    if (opts->warmup < 0)
      throw UsageError("--warmup " + std::to_string(opts->warmup) + ": must be >= 0");
    if (opts->decode_sentences < 0)
      throw UsageError("--decode-sentences " + std::to_string(opts->decode_sentences) +
                       ": must be >= 0");
    if (opts->threads < -1) throw UsageError("--threads: must be >= 0");
    if (opts->sgemm_size < 1) throw UsageError("--sgemm-size: must be >= 1");
    if (opts->device_matmul_size < 1) throw UsageError("--gpu-matmul-size: must be >= 1");
    if (opts->sgemm_probe_repeats < 0) throw UsageError("--sgemm-probes: must be >= 0");
    if (!json_path->empty()) {  // fail before the measurements, not after
      std::ofstream probe(*json_path, std::ios::app);
      if (!probe) throw UsageError("--json " + *json_path + ": cannot open for writing");
    }
    bench::BenchReport report = bench::run_bench(*opts);
    std::cout << bench::format_table(report) << std::flush;
    if (!json_path->empty()) {
      std::ofstream out(*json_path, std::ios::trunc);
      out << bench::to_json(report).dump(2) << "\n";
      out.flush();
      if (!out) throw std::runtime_error(*json_path + ": write failed");
      spdlog::info("wrote {}", *json_path);
    }
    int failed = 0;
    for (const auto& r : report.configs) failed += r.error.empty() ? 0 : 1;
    if (failed) {
      std::cerr << "error: " << failed << " of " << report.configs.size()
                << " configs could not be measured (see above)\n";
      return 1;
    }
    return 0;
  };
  return c;
}

}  // namespace tinynmt::cli
