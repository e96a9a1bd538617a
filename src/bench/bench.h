// `tinynmt bench`: training and decoding throughput of configs on this machine, against the
// machine's own sgemm peak.
//
// Measured in one run:
//  - the sgemm peak: GFLOP/s of an n×n float32 product (n = 1024, 2·n³ FLOPs) at the configured
//    threads, the median of `repeats` timed products after warm-up;
//  - per config, training: median real target tokens/s and model GFLOP/s over `steps` optimiser
//    steps after `warmup` untimed ones (FLOPs from bench/flops.h: 3 × forward, real tokens
//    only), the percentage of the sgemm peak, the padding ratio of the batches, peak RSS;
//  - per config, decoding of the dev set's first `decode_sentences` sentences in batches of
//    decoding.batch_size: sentences/s and output tokens/s, greedy and beam 5.
//
// Data: real batches when the config's training files exist (tokenised with the run
// directory's SentencePiece model, or one trained on the fly into a temporary directory);
// otherwise synthetic pairs with a Multi30k-like length distribution (synthetic_corpus()).
// Weights for decoding: RUN_DIR/best.ckpt when it exists and matches the vocabulary
// ("trained"), else random ones ("untrained": outputs rarely stop before the maximum length,
// so those decoding figures are a lower bound on the speed of a trained model).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "data/batching.h"
#include "util/build_info.h"

namespace tinynmt::bench {

struct BenchOptions {
  std::vector<std::string> configs;    ///< YAML files
  std::vector<std::string> overrides;  ///< `key=value`, applied to every config
  int64_t steps = 20;                  ///< timed training steps per config (>= 1)
  int64_t warmup = 3;                  ///< untimed training steps before them (>= 0)
  int64_t threads = -1;                ///< -1: the first config's run.threads; 0: all cores
  int64_t decode_sentences = 1000;     ///< dev sentences decoded per search; 0 = no decoding
  std::string device;                  ///< "" = each config's run.device
  /// When set, 3 more training steps per config run under the autograd profiler and are written
  /// as a chrome://tracing file PROFILE_DIR/<config name>.trace.json (not part of the figures).
  std::string profile_dir;
  int64_t sgemm_size = 1024;
  int64_t sgemm_repeats = 20;
  /// Products per paired sgemm probe, run right before and right after every timed CPU training
  /// step (0 = no probes). See TrainingFigures::pct_of_paired_sgemm.
  int64_t sgemm_probe_repeats = 3;
};

struct SgemmFigures {
  int64_t n = 0;
  int64_t repeats = 0;
  double median_seconds = 0;
  double gflops = 0;  ///< 2·n³ / median_seconds / 1e9
};

struct TrainingFigures {
  std::string data;              ///< "real" (the config's files) or "synthetic"
  int64_t steps = 0, warmup = 0;
  double tokens_per_s = 0;       ///< median over steps of real target tokens / step seconds
  double model_gflops = 0;       ///< median over steps of training FLOPs / step seconds / 1e9
  double pct_of_sgemm_peak = 0;  ///< 100 · model_gflops / sgemm gflops
  /// Paired measurement, for a host whose speed drifts (shared cores): every timed step i is
  /// bracketed by two short sgemm probes (BenchOptions::sgemm_probe_repeats products each);
  /// step_sgemm_gflops[i] is their mean and pct_of_paired_sgemm the median over steps of
  /// 100 · step_model_gflops[i] / step_sgemm_gflops[i], so a slow spell of the host slows the
  /// step and its reference alike. 0 / empty when no probes ran (CUDA, or repeats 0).
  double pct_of_paired_sgemm = 0;
  double paired_sgemm_gflops = 0;              ///< median of step_sgemm_gflops
  std::vector<double> step_model_gflops;       ///< per timed step: training FLOPs / s / 1e9
  std::vector<double> step_sgemm_gflops;       ///< per timed step: its probes' mean GFLOP/s
  double padding_ratio = 0;      ///< 1 - real / padded token slots, source and target together
  double src_padding_ratio = 0, tgt_padding_ratio = 0;
  double step_seconds = 0;       ///< median
  /// Medians over timed steps of each part of a step, in seconds: batch tensors, forward (with
  /// the loss), backward, gradient clipping, optimiser step. On CUDA the parts are not
  /// synchronised separately (only the step is), so there they describe launch time.
  double batch_seconds = 0, forward_seconds = 0, backward_seconds = 0, clip_seconds = 0,
         optimizer_seconds = 0;
  double tokens_per_step = 0;    ///< mean real target tokens per timed step
  double gflop_per_step = 0;     ///< mean training GFLOP per timed step
  double peak_rss_mb = 0;        ///< peak resident memory while this config trained
  std::string peak_rss_scope;    ///< "config" (VmHWM reset before training) or "process"
  double last_loss = 0;          ///< label-smoothed loss per target token of the last step
  std::string profile;           ///< the profiler trace written, or ""
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
  int64_t threads = 0;  ///< LibTorch intra-op threads (the sgemm runs on the CPU)
  bool threads_bound = false;  ///< one CPU per thread (bind_threads_to_cpus), as in training
  BuildInfo build;  ///< versions, CUDA compiled in, CUDA devices visible during the run
  std::string date;  ///< UTC, ISO 8601
  SgemmFigures sgemm;
  std::vector<ConfigReport> configs;
};

/// GFLOP/s of an n×n float32 product on the CPU: `warmup` untimed products, then the median
/// of `repeats` timed ones. Throws std::invalid_argument if n < 1 or repeats < 1.
SgemmFigures measure_sgemm(int64_t n, int64_t repeats, int64_t warmup = 3);

/// Median of `v` (mean of the two middle values for an even count); 0 for an empty vector.
double median(std::vector<double> v);

/// Mean and standard deviation (in words) of the synthetic sentence lengths, after Multi30k's
/// training set (29,000 pairs; German about 12 and English about 13 words a sentence).
constexpr double kSyntheticMeanWords = 13.0;
constexpr double kSyntheticSdWords = 4.0;
/// Subword pieces per word assumed for the synthetic pairs (an 8k SentencePiece vocabulary
/// splits a few words of a Multi30k sentence).
constexpr double kSyntheticPiecesPerWord = 1.2;

/// `pairs` synthetic sentence pairs: source length w_s ~ N(13, 4) words, target length
/// w_t = w_s + N(0, 2) words, each clamped to [1, 60] and converted to pieces by
/// kSyntheticPiecesPerWord (rounded, >= 1), pairs longer than max_length pieces (> 0) dropped.
/// Ids are uniform in [4, vocab) (no special ids); src rows end in EOS, tgt rows are y, as
/// encode_corpus() makes them. Deterministic in `seed`. Throws std::invalid_argument if
/// vocab <= 4.
EncodedCorpus synthetic_corpus(int64_t pairs, int64_t vocab, uint64_t seed, int64_t max_length);

/// Runs the whole benchmark (see the header comment), logging progress with spdlog. A config
/// that cannot be loaded or measured gets ConfigReport::error (also printed to stderr as one
/// `error: CONFIG: ...` line) and the others still run.
/// Throws std::invalid_argument for bad options.
BenchReport run_bench(const BenchOptions& options);

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
