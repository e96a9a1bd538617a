// `tinynmt bench`: training and decoding throughput of configs on this machine, against the
// machine's own sgemm peak.
//
// Measured in one run:
//  - the sgemm peak: GFLOP/s of an n×n float32 product (n = 1024, 2·n³ FLOPs) at the configured
//    threads, the median of `repeats` timed products after warm-up; on a GPU also the device's
//    own n×n product (n = 8192) in each training precision used (float32, bfloat16);
//  - per config, training: median real target tokens/s and model GFLOP/s over `steps` optimiser
//    steps after `warmup` untimed ones (FLOPs from bench/flops.h: 3 × forward, real tokens
//    only), the percentage of the peak (the sgemm, or the GPU's in the training precision), the
//    padding ratio of the batches, peak RSS;
//  - per config, decoding of the dev set's first `decode_sentences` sentences in batches of
//    decoding.batch_size: sentences/s and output tokens/s, greedy and beam 5.
//
// Data: real batches when the config's training files exist (tokenised with the run
// directory's SentencePiece model, or one trained on the fly into a temporary directory);
// otherwise synthetic pairs with a Multi30k-like length distribution (bench/bench_data.h).
// The report's figures, JSON and table: bench/report.h.
// Weights for decoding: RUN_DIR/best.ckpt when it exists and matches the vocabulary
// ("trained"), else random ones ("untrained": outputs rarely stop before the maximum length,
// so those decoding figures are a lower bound on the speed of a trained model).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/matmul_peak.h"
#include "bench/report.h"

namespace tinynmt::bench {

struct BenchOptions {
  std::vector<std::string> configs;    ///< YAML files
  std::vector<std::string> overrides;  ///< `key=value`, applied to every config
  int64_t steps = 20;                  ///< timed training steps per config (>= 1)
  int64_t warmup = 3;                  ///< untimed training steps before them (>= 0)
  int64_t threads = -1;                ///< -1: the first config's run.threads; 0: all cores
  int64_t decode_sentences = 1000;     ///< dev sentences decoded per search; 0 = no decoding
  std::string device;                  ///< "" = each config's run.device
  /// When set, 3 more training steps per config run under the profiler and are written as a
  /// chrome://tracing file PROFILE_DIR/<config name>.trace.json (not part of the timed figures).
  /// On CUDA the Kineto profiler records the kernels too, summarised in TrainingFigures::kernels.
  std::string profile_dir;
  int64_t sgemm_size = 1024;
  /// n of the GPU's own n×n matrix-product peak, measured per precision on CUDA devices.
  int64_t device_matmul_size = 8192;
  int64_t sgemm_repeats = 20;
  /// Products per paired sgemm probe, run right before and right after every timed CPU training
  /// step (0 = no probes). See TrainingFigures::pct_of_paired_sgemm.
  int64_t sgemm_probe_repeats = 3;
};

/// Runs the whole benchmark (see the header comment), logging progress with spdlog. A config
/// that cannot be loaded or measured gets ConfigReport::error (also printed to stderr as one
/// `error: CONFIG: ...` line) and the others still run.
/// Throws std::invalid_argument for bad options.
BenchReport run_bench(const BenchOptions& options);

}  // namespace tinynmt::bench
