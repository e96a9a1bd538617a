#include "bench/bench.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/profiler.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <stdexcept>

#include "bench/bench_data.h"
#include "bench/flops.h"
#include "bench/kernel_profile.h"
#include "config/config.h"
#include "decode/translator.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"
#include "run/run_dir.h"
#include "train/train_step.h"
#include "util/process.h"
#include "util/runtime.h"

namespace tinynmt::bench {
namespace {

namespace fs = std::filesystem;

/// Training steps recorded with --profile (after the timed ones).
constexpr int64_t kProfileSteps = 3;

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

std::string describe(const ModelConfig& m) {
  auto part = [](const std::string& type, const std::string& rnn, int64_t layers, int64_t size) {
    return type == "transformer" ? fmt::format("transformer {}x{}", layers, size)
                                 : fmt::format("{} {}x{}", rnn, layers, size);
  };
  const auto& e = m.encoder;
  const auto& d = m.decoder;
  return fmt::format(
      "{} / {} / {}",
      part(e.type, e.rnn_type, e.layers, e.type == "transformer" ? e.d_model : e.hidden_size),
      part(d.type, d.rnn_type, d.layers, d.type == "transformer" ? d.d_model : d.hidden_size),
      d.attention);
}

// What the timed steps of bench_training measured, before their medians are taken.
struct StepSamples {
  std::vector<double> tok_s, gflops, secs;
  std::vector<double> part_s[5];  // batch, forward, backward, clip, optimiser (seconds)
  double tokens_sum = 0, gflop_sum = 0;
  int64_t src_tok = 0, src_slots = 0, tgt_tok = 0, tgt_slots = 0;

  // One timed step: batch b took dt seconds for `flops` floating-point operations.
  void add(const Batch& b, double dt, double flops) {
    const int64_t rows = b.size();
    src_tok += b.num_src_tokens;
    tgt_tok += b.num_tgt_tokens;
    src_slots += rows * b.src.size(1);
    tgt_slots += rows * b.tgt_out.size(1);
    tok_s.push_back(static_cast<double>(b.num_tgt_tokens) / dt);
    gflops.push_back(flops / dt / 1e9);
    secs.push_back(dt);
    tokens_sum += static_cast<double>(b.num_tgt_tokens);
    gflop_sum += flops / 1e9;
  }
};

// The figures of `steps` timed steps: medians, % of the sgemm peak, padding ratios.
void summarize_steps(const StepSamples& s, int64_t steps, double sgemm_gflops, TrainingFigures& f) {
  f.tokens_per_s = median(s.tok_s);
  f.model_gflops = median(s.gflops);
  f.pct_of_sgemm_peak = sgemm_gflops > 0 ? 100.0 * f.model_gflops / sgemm_gflops : 0.0;
  if (!f.step_sgemm_gflops.empty()) {
    std::vector<double> pct;
    for (size_t i = 0; i < f.step_sgemm_gflops.size(); ++i)
      pct.push_back(100.0 * f.step_model_gflops[i] / f.step_sgemm_gflops[i]);
    f.pct_of_paired_sgemm = median(pct);
    f.paired_sgemm_gflops = median(f.step_sgemm_gflops);
  }
  f.step_seconds = median(s.secs);
  f.batch_seconds = median(s.part_s[0]);
  f.forward_seconds = median(s.part_s[1]);
  f.backward_seconds = median(s.part_s[2]);
  f.clip_seconds = median(s.part_s[3]);
  f.optimizer_seconds = median(s.part_s[4]);
  f.tokens_per_step = s.tokens_sum / static_cast<double>(steps);
  f.gflop_per_step = s.gflop_sum / static_cast<double>(steps);
  auto ratio = [](int64_t tok, int64_t slots) { return slots ? 1.0 - double(tok) / slots : 0.0; };
  f.src_padding_ratio = ratio(s.src_tok, s.src_slots);
  f.tgt_padding_ratio = ratio(s.tgt_tok, s.tgt_slots);
  f.padding_ratio = ratio(s.src_tok + s.tgt_tok, s.src_slots + s.tgt_slots);
}

// Runs `steps` extra training steps under the autograd profiler, writing a Chrome trace to `path`
// (its overhead stays out of the timed figures).
void profile_steps(const std::string& path, int64_t steps,
                   const std::function<void(int64_t)>& run_step) {
  fs::create_directories(fs::path(path).parent_path());
  {
    torch::autograd::profiler::RecordProfile guard(path);
    for (int64_t i = 0; i < steps; ++i) run_step(i);
  }
  spdlog::info("  profile of {} steps: {} (chrome://tracing)", steps, path);
}

TrainingFigures bench_training(const Config& cfg, const BenchData& data,
                               const torch::Device& device, const BenchOptions& o,
                               const SgemmFigures& peak, const std::string& profile_path,
                               int64_t* parameters) {
  const auto& t = cfg.training;
  TrainingFigures f;
  f.data = data.train_kind;
  f.steps = o.steps;
  f.warmup = o.warmup;
  f.precision = t.precision;
  f.peak = peak.device + " " + peak.dtype;
  const bool bf16 = t.precision == "bf16";
  const bool hwm = reset_peak_rss();
  f.peak_rss_scope = hwm ? "config" : "process";

  seed_everything(static_cast<uint64_t>(cfg.run.seed));
  auto model = make_seq2seq(cfg.model, data.src_vocab, data.tgt_vocab);
  model->to(device);
  model->train();
  *parameters = count_parameters(*model);
  auto optimizer = make_optimizer(t, model->parameters());
  set_learning_rate(*optimizer, t.lr);

  TokenBatcher batcher(data.train, t.batch_size, static_cast<uint64_t>(cfg.run.seed));
  BatchPlan plan = batcher.plan(0);
  StepSamples ss;
  torch::Tensor last_loss;
  int64_t last_tokens = 1;
  // One optimiser step, as the trainer runs it (one batch per step: training.accumulate only
  // changes how often the optimiser runs). Returns the batch; timed by the caller.
  // The parts of the step are timed too (forward_backward's two halves, called as it does).
  auto run_step = [&](const std::vector<int64_t>& idx, bool timed) {
    double mark = now_seconds();
    auto lap = [&](int part) {
      const double now = now_seconds();
      if (timed) ss.part_s[part].push_back(now - mark);
      mark = now;
    };
    Batch b = make_batch(data.train, idx).to(device);
    clear_gradients(*optimizer);
    lap(0);
    auto sums = teacher_forced_loss(*model, b, t.label_smoothing, bf16);
    lap(1);
    (sums.loss / static_cast<double>(b.num_tgt_tokens)).backward();
    last_loss = sums.loss.detach();
    lap(2);
    if (t.clip_norm > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), t.clip_norm);
    lap(3);
    optimizer->step();
    synchronize(device);
    lap(4);
    last_tokens = b.num_tgt_tokens;
    return b;
  };
  for (int64_t i = 0; i < o.warmup + o.steps; ++i) {
    const auto& idx = plan[static_cast<size_t>(i) % plan.size()];
    // Real lengths and FLOPs are computed before the clock starts.
    std::vector<int64_t> src_len, tgt_len;
    for (auto k : idx) {
      src_len.push_back(static_cast<int64_t>(data.train.src[k].size()));
      tgt_len.push_back(static_cast<int64_t>(data.train.tgt[k].size()) + 1);
    }
    const double flops =
        kTrainingFlopFactor * forward_flops(cfg.model, data.tgt_vocab, src_len, tgt_len).total();

    const bool timed = i >= o.warmup;
    const bool probe = timed && device.is_cpu() && o.sgemm_probe_repeats > 0;
    const double probe_before =
        probe ? measure_sgemm(o.sgemm_size, o.sgemm_probe_repeats, 0).gflops : 0.0;
    const double t0 = now_seconds();
    Batch b = run_step(idx, timed);
    const double dt = std::max(1e-9, now_seconds() - t0);
    if (probe) {
      const double probe_after = measure_sgemm(o.sgemm_size, o.sgemm_probe_repeats, 0).gflops;
      f.step_model_gflops.push_back(flops / dt / 1e9);
      f.step_sgemm_gflops.push_back(0.5 * (probe_before + probe_after));
    }

    if (!timed) continue;
    ss.add(b, dt, flops);
  }
  if (!profile_path.empty()) {
    auto step = [&](int64_t i) {
      run_step(plan[static_cast<size_t>(o.warmup + o.steps + i) % plan.size()], false);
    };
    if (device.is_cuda())
      f.kernels = profile_kernels(profile_path, kProfileSteps, step, device);
    else
      profile_steps(profile_path, kProfileSteps, step);
    f.profile = profile_path;
  }
  summarize_steps(ss, o.steps, peak.gflops, f);
  f.last_loss = last_loss.item<double>() / static_cast<double>(std::max<int64_t>(1, last_tokens));
  f.peak_rss_mb = hwm ? vm_hwm_mb() : max_rss_mb();
  return f;
}

SearchFigures time_search(Seq2SeqImpl& model, const EncodedCorpus& dev, const BatchPlan& plan,
                          decode::TranslateOptions o, int64_t beam, const torch::Device& device) {
  SearchFigures s;
  o.beam = std::max<int64_t>(beam, 1);  // 1: greedy
  if (beam <= 1) o.alpha = 0.0;
  const decode::SearchOptions so = decode::search_options_from(o);
  auto run = [&](const std::vector<int64_t>& idx) -> int64_t {
    Batch b = make_batch(dev.src, nullptr, idx).to(device);
    int64_t tokens = 0;
    for (const auto& hs : decode::search(model, b.src, b.src_mask, so))
      if (!hs.empty()) tokens += static_cast<int64_t>(hs.front().tokens.size());
    return tokens;
  };
  run(plan.front());  // warm-up, untimed
  synchronize(device);
  const double t0 = now_seconds();
  for (const auto& idx : plan) {
    s.tokens += run(idx);
    s.sentences += static_cast<int64_t>(idx.size());
  }
  synchronize(device);
  s.seconds = std::max(1e-9, now_seconds() - t0);
  s.sentences_per_s = static_cast<double>(s.sentences) / s.seconds;
  s.tokens_per_s = static_cast<double>(s.tokens) / s.seconds;
  return s;
}

DecodingFigures bench_decoding(const Config& cfg, const BenchData& data,
                               const torch::Device& device) {
  DecodingFigures f;
  f.measured = true;
  f.data = data.dev_kind;
  f.batch_size = cfg.decoding.batch_size;
  seed_everything(static_cast<uint64_t>(cfg.run.seed));
  auto model = make_seq2seq(cfg.model, data.src_vocab, data.tgt_vocab);
  f.weights = "untrained";
  const fs::path best = RunDir{cfg.run.dir}.best_checkpoint();
  if (fs::exists(best)) {
    if (!data.run_dir_tokenizer) {
      spdlog::warn("  {}: not used (no SentencePiece model in {}); decoding with random weights",
                   best.string(), cfg.run.dir);
    } else {
      try {
        auto info = read_checkpoint_info(best.string());
        if (info.state.src_vocab != data.src_vocab || info.state.tgt_vocab != data.tgt_vocab)
          throw std::runtime_error(fmt::format("vocabulary {}/{} != {}/{}", info.state.src_vocab,
                                               info.state.tgt_vocab, data.src_vocab,
                                               data.tgt_vocab));
        load_checkpoint(best.string(), *model, nullptr, torch::kCPU, false);
        f.weights = "trained";
      } catch (const std::exception& e) {
        std::string msg = e.what();
        spdlog::warn("  {}: not used ({}); decoding with random weights", best.string(),
                     msg.substr(0, msg.find('\n')));
        seed_everything(static_cast<uint64_t>(cfg.run.seed));
        model = make_seq2seq(cfg.model, data.src_vocab, data.tgt_vocab);
      }
    }
  }
  model->to(device);
  model->eval();
  torch::NoGradGuard no_grad;
  BatchPlan plan = plan_decode_batches(data.dev.src_lengths(), cfg.decoding.batch_size);
  const decode::TranslateOptions options = decode::translate_options_from(cfg);
  f.greedy = time_search(*model, data.dev, plan, options, 1, device);
  f.beam5 = time_search(*model, data.dev, plan, options, 5, device);
  return f;
}

void log_kernel_profile(const KernelProfile& k) {
  if (!k.measured) {
    if (!k.reason.empty()) spdlog::info("  kernel profile: not measured ({})", k.reason);
    return;
  }
  spdlog::info(
      "  kernel profile ({} steps): wall {:.2f} ms/step, GPU busy {:.2f} ms ({:.0f}%), {:.0f} "
      "kernels/step of {:.1f} us on average, GEMM kernels {:.2f} ms ({:.0f}% of busy)",
      k.steps, k.wall_ms, k.busy_ms, k.busy_pct, k.kernels, k.mean_kernel_us, k.gemm_ms,
      k.gemm_pct_of_busy);
  for (const auto& [name, ms] : k.top)
    spdlog::info("    {:8.3f} ms/step  {}", ms, name.substr(0, 100));
}

// The peak a config's training speed is set against: the CPU sgemm, or on a GPU the device's
// own product in the training precision (measured once per device and precision, kept in
// report.device_peaks).
SgemmFigures peak_for(const torch::Device& device, const std::string& precision,
                      const BenchOptions& o, BenchReport& report) {
  if (!device.is_cuda()) return report.sgemm;
  const std::string dtype = precision == "bf16" ? "bfloat16" : "float32";
  for (const auto& p : report.device_peaks)
    if (p.device == device.str() && p.dtype == dtype) return p;
  SgemmFigures p = measure_matmul(device, precision == "bf16" ? torch::kBFloat16 : torch::kFloat,
                                  o.device_matmul_size, /*repeats=*/10);
  spdlog::info("matmul {}x{} {} on {}: {:.1f} GFLOP/s", p.n, p.n, p.dtype, p.device, p.gflops);
  report.device_peaks.push_back(p);
  return p;
}

ConfigReport bench_config(const std::string& path, const BenchOptions& o, BenchReport& report) {
  ConfigReport r;
  r.config = path;
  if (!fs::exists(path)) throw std::runtime_error(fmt::format("{}: no such config file", path));
  Config cfg = load_config(path);
  for (const auto& s : o.overrides) apply_override(cfg, s);
  if (!o.device.empty()) apply_override(cfg, "run.device=" + o.device);
  validate(cfg, /*check_files=*/false);
  const torch::Device device = resolve_device(cfg.run.device);
  r.model = describe(cfg.model);
  r.device = device.str();
  spdlog::info("{}: {} on {}", path, r.model, device.str());

  BenchData data = load_data(cfg, o.decode_sentences);
  r.src_vocab = data.src_vocab;
  r.tgt_vocab = data.tgt_vocab;
  spdlog::info("  training data: {} ({} pairs), batches of {} target tokens", data.train_kind,
               data.train.size(), cfg.training.batch_size);
  const std::string profile_path =
      o.profile_dir.empty()
          ? std::string()
          : (fs::path(o.profile_dir) / (fs::path(path).stem().string() + ".trace.json")).string();
  const SgemmFigures peak = peak_for(device, cfg.training.precision, o, report);
  r.training = bench_training(cfg, data, device, o, peak, profile_path, &r.parameters);
  spdlog::info(
      "  training ({}): {:.0f} tok/s, {:.1f} GFLOP/s ({:.1f}% of the {} peak, {:.1f}% of the "
      "paired probes' {:.1f}), padding {:.1f}%, peak RSS {:.0f} MB",
      r.training.precision, r.training.tokens_per_s, r.training.model_gflops,
      r.training.pct_of_sgemm_peak, r.training.peak, r.training.pct_of_paired_sgemm,
      r.training.paired_sgemm_gflops, 100 * r.training.padding_ratio, r.training.peak_rss_mb);
  spdlog::info(
      "  step parts (median ms): batch {:.1f}, forward {:.1f}, backward {:.1f}, clip "
      "{:.1f}, optimiser {:.1f}",
      1e3 * r.training.batch_seconds, 1e3 * r.training.forward_seconds,
      1e3 * r.training.backward_seconds, 1e3 * r.training.clip_seconds,
      1e3 * r.training.optimizer_seconds);
  log_kernel_profile(r.training.kernels);
  if (o.decode_sentences > 0 && data.dev.size() > 0) {
    r.decoding = bench_decoding(cfg, data, device);
    spdlog::info("  decoding ({} weights, {} dev): greedy {:.1f} sent/s, beam 5 {:.1f} sent/s",
                 r.decoding.weights, r.decoding.data, r.decoding.greedy.sentences_per_s,
                 r.decoding.beam5.sentences_per_s);
  }
  return r;
}

}  // namespace

BenchReport run_bench(const BenchOptions& o) {
  if (o.configs.empty()) throw std::invalid_argument("bench: no config given");
  if (o.steps < 1) throw std::invalid_argument(fmt::format("--steps {}: must be >= 1", o.steps));
  if (o.warmup < 0) throw std::invalid_argument(fmt::format("--warmup {}: must be >= 0", o.warmup));
  if (o.decode_sentences < 0)
    throw std::invalid_argument(
        fmt::format("--decode-sentences {}: must be >= 0", o.decode_sentences));
  tune_allocator();
  BenchReport report;
  int64_t threads = o.threads;
  if (threads < 0) {
    threads = 0;
    try {  // the first config's run.threads (a bad or missing config is reported below)
      Config first = load_config(o.configs.front());
      for (const auto& s : o.overrides) apply_override(first, s);
      threads = first.run.threads;
    } catch (const std::exception&) {
    }
  }
  report.threads = configure_threads(threads);
  report.threads_bound = bind_threads_to_cpus();  // as the trainer runs its loop
  report.build = build_info();
  report.date = utc_now();
  report.sgemm = measure_sgemm(o.sgemm_size, o.sgemm_repeats);
  spdlog::info("sgemm {}x{} float32 on {} threads: {:.1f} GFLOP/s", o.sgemm_size, o.sgemm_size,
               report.threads, report.sgemm.gflops);
  for (const auto& path : o.configs) {
    try {
      report.configs.push_back(bench_config(path, o, report));
    } catch (const std::exception& e) {
      ConfigReport r;
      r.config = path;
      std::string msg = e.what();
      msg = msg.substr(0, msg.find('\n'));
      r.error = msg.rfind(path, 0) == 0 ? msg : path + ": " + msg;  // name the config once
      std::cerr << "error: " << r.error << std::endl;
      report.configs.push_back(std::move(r));
    }
  }
  return report;
}

}  // namespace tinynmt::bench
