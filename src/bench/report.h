// What `tinynmt bench` measured (BenchReport: the machine, then one ConfigReport per config),
// and its two outputs: JSON (--json) and a plain-text table.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/kernel_profile.h"
#include "util/build_info.h"

namespace tinynmt::bench {

struct SgemmFigures {
  std::string device = "cpu";     ///< where the products ran, e.g. "cpu", "cuda:0"
  std::string dtype = "float32";  ///< "float32" or "bfloat16"
  int64_t n = 0;
  int64_t repeats = 0;
  double median_seconds = 0;
  double gflops = 0;  ///< 2·n³ / median_seconds / 1e9
};

struct TrainingFigures {
  std::string data;  ///< "real" (the config's files) or "synthetic"
  int64_t steps = 0, warmup = 0;
  double tokens_per_s = 0;       ///< median over steps of real target tokens / step seconds
  double model_gflops = 0;       ///< median over steps of training FLOPs / step seconds / 1e9
  double pct_of_sgemm_peak = 0;  ///< 100 · model_gflops / the peak named by `peak`
  /// The peak the percentage is taken of: the CPU sgemm, or on a GPU the device's own matrix
  /// product in the training precision (BenchReport::device_peaks), e.g. "cuda:0 bfloat16".
  std::string peak = "cpu float32";
  std::string precision = "fp32";  ///< training.precision: fp32, or bf16 (CUDA autocast)
  /// Paired measurement, for a host whose speed drifts (shared cores): every timed step i is
  /// bracketed by two short sgemm probes (BenchOptions::sgemm_probe_repeats products each);
  /// step_sgemm_gflops[i] is their mean and pct_of_paired_sgemm the median over steps of
  /// 100 · step_model_gflops[i] / step_sgemm_gflops[i], so a slow spell of the host slows the
  /// step and its reference alike. 0 / empty when no probes ran (CUDA, or repeats 0).
  double pct_of_paired_sgemm = 0;
  double paired_sgemm_gflops = 0;         ///< median of step_sgemm_gflops
  std::vector<double> step_model_gflops;  ///< per timed step: training FLOPs / s / 1e9
  std::vector<double> step_sgemm_gflops;  ///< per timed step: its probes' mean GFLOP/s
  double padding_ratio = 0;  ///< 1 - real / padded token slots, source and target together
  double src_padding_ratio = 0, tgt_padding_ratio = 0;
  double step_seconds = 0;  ///< median
  /// Medians over timed steps of each part of a step, in seconds: batch tensors, forward (with
  /// the loss), backward, gradient clipping, optimiser step. On CUDA the parts are not
  /// synchronised separately (only the step is), so there they describe launch time.
  double batch_seconds = 0, forward_seconds = 0, backward_seconds = 0, clip_seconds = 0,
         optimizer_seconds = 0;
  double tokens_per_step = 0;  ///< mean real target tokens per timed step
  double gflop_per_step = 0;   ///< mean training GFLOP per timed step
  double peak_rss_mb = 0;      ///< peak resident memory while this config trained
  std::string peak_rss_scope;  ///< "config" (VmHWM reset before training) or "process"
  double last_loss = 0;        ///< label-smoothed loss per target token of the last step
  std::string profile;         ///< the profiler trace written, or ""
  KernelProfile kernels;       ///< on CUDA with --profile: where the GPU's time went
};

struct SearchFigures {
  int64_t sentences = 0;
  int64_t tokens = 0;  ///< output ids, EOS included
  double seconds = 0;
  double sentences_per_s = 0;
  double tokens_per_s = 0;
};

struct DecodingFigures {
  bool measured = false;
  std::string data;     ///< "real" (the config's dev files) or "synthetic"
  std::string weights;  ///< "trained" (RUN_DIR/best.ckpt) or "untrained"
  int64_t batch_size = 0;
  SearchFigures greedy, beam5;
};

struct ConfigReport {
  std::string config;  ///< the path given
  std::string error;   ///< non-empty when this config could not be measured
  std::string model;   ///< one-line description
  std::string device;  ///< where it trained and decoded, e.g. "cpu"
  int64_t parameters = 0;
  int64_t src_vocab = 0, tgt_vocab = 0;
  TrainingFigures training;
  DecodingFigures decoding;
};

struct BenchReport {
  int64_t threads = 0;         ///< LibTorch intra-op threads (the sgemm runs on the CPU)
  bool threads_bound = false;  ///< one CPU per thread (bind_threads_to_cpus), as in training
  BuildInfo build;             ///< versions, CUDA compiled in, CUDA devices visible during the run
  std::string date;            ///< UTC, ISO 8601
  SgemmFigures sgemm;
  /// On a GPU: the device's own matrix-product peak per precision used, measured in this run.
  std::vector<SgemmFigures> device_peaks;
  std::vector<ConfigReport> configs;
};

/// The report as JSON: {"machine": {"threads", "sgemm_gflops", ...}, "configs": [{"config",
/// "training": {"tokens_per_s", "model_gflops", "pct_of_sgemm_peak", "pct_of_paired_sgemm",
/// "paired_sgemm_gflops", "step_model_gflops", "step_sgemm_gflops", "padding_ratio",
/// "peak_rss_mb", "steps", ...}, "decoding": {"greedy": {...}, "beam5": {...}, "weights"}}]}.
/// A config with an error has "error" instead of "training" and "decoding"; "decoding" is
/// absent when decoding was not measured.
nlohmann::json to_json(const BenchReport& report);

/// The report as a plain-text table (one row per config, the sgemm peak above it).
std::string format_table(const BenchReport& report);

}  // namespace tinynmt::bench
