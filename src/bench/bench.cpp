#include "bench/bench.h"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <torch/csrc/autograd/profiler.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>

#include "bench/flops.h"
#include "config/config.h"
#include "data/corpus.h"
#include "data/tokenizer.h"
#include "decode/search.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "train/checkpoint.h"
#include "train/train_step.h"
#include "util/runtime.h"

namespace tinynmt::bench {
namespace {

namespace fs = std::filesystem;

/// Training steps recorded with --profile (after the timed ones).
constexpr int64_t kProfileSteps = 3;

/// Multi30k's training set size: the synthetic corpus has as many pairs.
constexpr int64_t kSyntheticTrainPairs = 29000;

bool files_exist(const CorpusFiles& f) {
  if (!f.tsv.empty()) return fs::exists(f.tsv);
  return !f.src.empty() && !f.tgt.empty() && fs::exists(f.src) && fs::exists(f.tgt);
}

/// A temporary directory removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tinynmt_bench_XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error(fmt::format("{}: cannot create a temporary directory", tmpl));
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// VmHWM of /proc/self/status in MB, or a negative value when unavailable.
double vm_hwm_mb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream ss(line.substr(6));
      double kb = 0;
      if (ss >> kb) return kb / 1024.0;
    }
  }
  return -1;
}

/// Process peak RSS from getrusage (ru_maxrss is in kB on Linux), in MB.
double max_rss_mb() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

/// Returns freed heap memory to the system and resets the peak-RSS mark (VmHWM) to the current
/// RSS (Linux >= 4.0, /proc/PID/clear_refs value 5). Returns false when the reset failed.
bool reset_peak_rss() {
  ::malloc_trim(0);
  std::ofstream out("/proc/self/clear_refs");
  if (!out) return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out) && vm_hwm_mb() > 0;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

void keep_first(EncodedCorpus& c, int64_t n) {
  if (static_cast<int64_t>(c.size()) <= n) return;
  c.src.resize(n);
  c.tgt.resize(n);
  if (static_cast<int64_t>(c.origin.size()) > n) c.origin.resize(n);
}

/// Training and dev data of one config, as ids.
struct BenchData {
  EncodedCorpus train, dev;
  int64_t src_vocab = 0, tgt_vocab = 0;
  std::string train_kind, dev_kind;  // real | synthetic
  bool run_dir_tokenizer = false;    // the run directory's SentencePiece model was used
};

BenchData load_data(const Config& cfg, int64_t dev_sentences) {
  BenchData d;
  std::optional<Tokenizer> tok;
  const bool joint = cfg.data.tokenizer.joint;
  if (Tokenizer::exists(cfg.run.dir, joint)) {
    tok = Tokenizer::load(cfg.run.dir, joint);
    d.run_dir_tokenizer = true;
    spdlog::info("  tokenizer: {} (run directory)", cfg.run.dir);
  }
  if (files_exist(cfg.data.train)) {
    ParallelText text = read_parallel(cfg.data.train);
    if (!tok) {
      TempDir tmp;
      spdlog::info("  tokenizer: training SentencePiece ({} pieces) on the fly in {}",
                   cfg.data.tokenizer.vocab_size, tmp.path());
      tok = Tokenizer::train_or_load(cfg.data.tokenizer, tmp.path(), text.src, text.tgt);
    }
    d.train = encode_corpus(*tok, text, cfg.data.max_length);
    d.train_kind = "real";
  }
  if (tok) {
    d.src_vocab = tok->src_vocab_size();
    d.tgt_vocab = tok->tgt_vocab_size();
  } else {
    d.src_vocab = d.tgt_vocab = cfg.data.tokenizer.vocab_size;
  }
  const int64_t synth_vocab = std::min(d.src_vocab, d.tgt_vocab);
  const auto seed = static_cast<uint64_t>(cfg.run.seed);
  if (d.train_kind.empty()) {
    d.train = synthetic_corpus(kSyntheticTrainPairs, synth_vocab, seed, cfg.data.max_length);
    d.train_kind = "synthetic";
  }
  if (d.train.size() == 0) throw std::runtime_error("no training pairs left after filtering");
  if (dev_sentences > 0) {
    // Decoding is measured on the test set (Multi30k test2016) when present, else the dev set.
    const bool use_test = files_exist(cfg.data.test);
    const CorpusFiles& decode_files = use_test ? cfg.data.test : cfg.data.dev;
    if (tok && files_exist(decode_files)) {
      d.dev = encode_corpus(*tok, read_parallel(decode_files), 0);
      d.dev_kind = use_test ? "real (test)" : "real (dev)";
      keep_first(d.dev, dev_sentences);
    } else {
      d.dev = synthetic_corpus(dev_sentences, synth_vocab, seed + 1, 0);
      d.dev_kind = "synthetic";
    }
  }
  return d;
}

std::string describe(const ModelConfig& m) {
  auto part = [](const std::string& type, const std::string& rnn, int64_t layers, int64_t size) {
    return type == "transformer" ? fmt::format("transformer {}x{}", layers, size)
                                 : fmt::format("{} {}x{}", rnn, layers, size);
  };
  const auto& e = m.encoder;
  const auto& d = m.decoder;
  return fmt::format("{} / {} / {}",
                     part(e.type, e.rnn_type, e.layers, e.type == "transformer" ? e.d_model : e.hidden_size),
                     part(d.type, d.rnn_type, d.layers, d.type == "transformer" ? d.d_model : d.hidden_size),
                     d.attention);
}

TrainingFigures bench_training(const Config& cfg, const BenchData& data, const torch::Device& device,
                               const BenchOptions& o, double sgemm_gflops,
                               const std::string& profile_path, int64_t* parameters) {
  const auto& t = cfg.training;
  TrainingFigures f;
  f.data = data.train_kind;
  f.steps = o.steps;
  f.warmup = o.warmup;
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
  std::vector<double> tok_s, gflops, secs;
  int64_t src_tok = 0, src_slots = 0, tgt_tok = 0, tgt_slots = 0;
  double tokens_sum = 0, gflop_sum = 0;
  torch::Tensor last_loss;
  int64_t last_tokens = 1;
  // One optimiser step, as the trainer runs it (one batch per step: training.accumulate only
  // changes how often the optimiser runs). Returns the batch; timed by the caller.
  // The parts of the step are timed too (forward_backward's two halves, called as it does).
  std::vector<double> part_s[5];  // batch, forward, backward, clip, optimiser
  auto run_step = [&](const std::vector<int64_t>& idx, bool timed) {
    double mark = now_seconds();
    auto lap = [&](int part) {
      const double now = now_seconds();
      if (timed) part_s[part].push_back(now - mark);
      mark = now;
    };
    Batch b = make_batch(data.train, idx).to(device);
    clear_gradients(*optimizer);
    lap(0);
    auto sums = teacher_forced_loss(*model, b, t.label_smoothing);
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
    const double flops = kTrainingFlopFactor *
                         forward_flops(cfg.model, data.tgt_vocab, src_len, tgt_len).total();

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
  if (!profile_path.empty()) {
    // Extra steps under the autograd profiler (its overhead stays out of the figures above).
    fs::create_directories(fs::path(profile_path).parent_path());
    {
      torch::autograd::profiler::RecordProfile guard(profile_path);
      for (int64_t i = 0; i < kProfileSteps; ++i)
        run_step(plan[static_cast<size_t>(o.warmup + o.steps + i) % plan.size()], false);
    }
    f.profile = profile_path;
    spdlog::info("  profile of {} steps: {} (chrome://tracing)", kProfileSteps, profile_path);
  }
  f.tokens_per_s = median(tok_s);
  f.model_gflops = median(gflops);
  f.pct_of_sgemm_peak = sgemm_gflops > 0 ? 100.0 * f.model_gflops / sgemm_gflops : 0.0;
  if (!f.step_sgemm_gflops.empty()) {
    std::vector<double> pct;
    for (size_t i = 0; i < f.step_sgemm_gflops.size(); ++i)
      pct.push_back(100.0 * f.step_model_gflops[i] / f.step_sgemm_gflops[i]);
    f.pct_of_paired_sgemm = median(pct);
    f.paired_sgemm_gflops = median(f.step_sgemm_gflops);
  }
  f.step_seconds = median(secs);
  f.batch_seconds = median(part_s[0]);
  f.forward_seconds = median(part_s[1]);
  f.backward_seconds = median(part_s[2]);
  f.clip_seconds = median(part_s[3]);
  f.optimizer_seconds = median(part_s[4]);
  f.tokens_per_step = tokens_sum / static_cast<double>(o.steps);
  f.gflop_per_step = gflop_sum / static_cast<double>(o.steps);
  auto ratio = [](int64_t tok, int64_t slots) { return slots ? 1.0 - double(tok) / slots : 0.0; };
  f.src_padding_ratio = ratio(src_tok, src_slots);
  f.tgt_padding_ratio = ratio(tgt_tok, tgt_slots);
  f.padding_ratio = ratio(src_tok + tgt_tok, src_slots + tgt_slots);
  f.last_loss = last_loss.item<double>() / static_cast<double>(std::max<int64_t>(1, last_tokens));
  f.peak_rss_mb = hwm ? vm_hwm_mb() : max_rss_mb();
  return f;
}

SearchFigures time_search(Seq2SeqImpl& model, const EncodedCorpus& dev, const BatchPlan& plan,
                          const DecodingConfig& dc, int64_t beam, const torch::Device& device) {
  SearchFigures s;
  decode::SearchOptions so;  // beam <= 1: greedy
  so.beam = std::max<int64_t>(beam, 1);
  so.alpha = beam <= 1 ? 0.0 : dc.alpha;
  so.max_len_ratio = dc.max_len_ratio;
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
  const fs::path best = fs::path(cfg.run.dir) / "best.ckpt";
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
  f.greedy = time_search(*model, data.dev, plan, cfg.decoding, 1, device);
  f.beam5 = time_search(*model, data.dev, plan, cfg.decoding, 5, device);
  return f;
}

ConfigReport bench_config(const std::string& path, const BenchOptions& o, double sgemm_gflops) {
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
  r.training = bench_training(cfg, data, device, o, sgemm_gflops, profile_path, &r.parameters);
  spdlog::info("  training: {:.0f} tok/s, {:.1f} GFLOP/s ({:.1f}% of sgemm, {:.1f}% of the paired "
               "probes' {:.1f}), padding {:.1f}%, peak RSS {:.0f} MB",
               r.training.tokens_per_s, r.training.model_gflops, r.training.pct_of_sgemm_peak,
               r.training.pct_of_paired_sgemm, r.training.paired_sgemm_gflops,
               100 * r.training.padding_ratio, r.training.peak_rss_mb);
  spdlog::info("  step parts (median ms): batch {:.1f}, forward {:.1f}, backward {:.1f}, clip "
               "{:.1f}, optimiser {:.1f}",
               1e3 * r.training.batch_seconds, 1e3 * r.training.forward_seconds,
               1e3 * r.training.backward_seconds, 1e3 * r.training.clip_seconds,
               1e3 * r.training.optimizer_seconds);
  if (o.decode_sentences > 0 && data.dev.size() > 0) {
    r.decoding = bench_decoding(cfg, data, device);
    spdlog::info("  decoding ({} weights, {} dev): greedy {:.1f} sent/s, beam 5 {:.1f} sent/s",
                 r.decoding.weights, r.decoding.data, r.decoding.greedy.sentences_per_s,
                 r.decoding.beam5.sentences_per_s);
  }
  return r;
}

nlohmann::json search_json(const SearchFigures& s) {
  return {{"sentences", s.sentences},   {"tokens", s.tokens},
          {"seconds", s.seconds},       {"sentences_per_s", s.sentences_per_s},
          {"tokens_per_s", s.tokens_per_s}};
}

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

SgemmFigures measure_sgemm(int64_t n, int64_t repeats, int64_t warmup) {
  if (n < 1 || repeats < 1)
    throw std::invalid_argument(fmt::format("measure_sgemm: n = {} and repeats = {} must be >= 1",
                                            n, repeats));
  torch::NoGradGuard no_grad;
  auto a = torch::randn({n, n});  // [n, n] float32
  auto b = torch::randn({n, n});
  auto c = torch::empty({n, n});
  for (int64_t i = 0; i < warmup; ++i) torch::mm_out(c, a, b);  // [n, n]
  std::vector<double> secs;
  for (int64_t i = 0; i < repeats; ++i) {
    const double t0 = now_seconds();
    torch::mm_out(c, a, b);
    secs.push_back(std::max(1e-12, now_seconds() - t0));
  }
  SgemmFigures f;
  f.n = n;
  f.repeats = repeats;
  f.median_seconds = median(secs);
  f.gflops = matmul_flops(n, n, n) / f.median_seconds / 1e9;
  return f;
}

EncodedCorpus synthetic_corpus(int64_t pairs, int64_t vocab, uint64_t seed, int64_t max_length) {
  if (vocab <= kEosId + 1)
    throw std::invalid_argument(fmt::format("synthetic_corpus: vocabulary {} has no room for "
                                            "ordinary ids (> {})", vocab, kEosId));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> words(kSyntheticMeanWords, kSyntheticSdWords);
  std::normal_distribution<double> shift(0.0, 2.0);
  std::uniform_int_distribution<int64_t> id(kEosId + 1, vocab - 1);
  auto pieces = [](double w) {
    w = std::clamp(std::round(w), 1.0, 60.0);
    return std::max<int64_t>(1, std::llround(w * kSyntheticPiecesPerWord));
  };
  EncodedCorpus c;
  for (int64_t i = 0; i < pairs; ++i) {
    const double ws = words(rng);
    const int64_t ls = pieces(ws), lt = pieces(ws + shift(rng));
    if (max_length > 0 && (ls > max_length || lt > max_length)) {
      ++c.dropped_long;
      continue;
    }
    std::vector<int64_t> s(ls), t(lt);
    for (auto& x : s) x = id(rng);
    for (auto& x : t) x = id(rng);
    s.push_back(kEosId);
    c.src.push_back(std::move(s));
    c.tgt.push_back(std::move(t));
    c.origin.push_back(i);
  }
  return c;
}

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
      report.configs.push_back(bench_config(path, o, report.sgemm.gflops));
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

nlohmann::json to_json(const BenchReport& r) {
  nlohmann::json j;
  j["machine"] = {{"threads", r.threads},
                  {"threads_bound", r.threads_bound},
                  {"sgemm_gflops", r.sgemm.gflops},
                  {"sgemm_n", r.sgemm.n},
                  {"sgemm_repeats", r.sgemm.repeats},
                  {"sgemm_median_s", r.sgemm.median_seconds},
                  {"torch_version", r.build.torch_version},
                  {"cuda_compiled", r.build.cuda_compiled},
                  {"cuda_version", r.build.cuda_version},
                  {"cuda_devices", r.build.cuda_devices},
                  {"tinynmt_version", r.build.tinynmt_version},
                  {"date", r.date}};
  j["configs"] = nlohmann::json::array();
  for (const auto& c : r.configs) {
    nlohmann::json cj = {{"config", c.config}};
    if (!c.error.empty()) {
      cj["error"] = c.error;
      j["configs"].push_back(cj);
      continue;
    }
    cj["model"] = c.model;
    cj["device"] = c.device;
    cj["parameters"] = c.parameters;
    cj["src_vocab"] = c.src_vocab;
    cj["tgt_vocab"] = c.tgt_vocab;
    const auto& t = c.training;
    cj["training"] = {{"data", t.data},
                      {"steps", t.steps},
                      {"warmup", t.warmup},
                      {"tokens_per_s", t.tokens_per_s},
                      {"model_gflops", t.model_gflops},
                      {"pct_of_sgemm_peak", t.pct_of_sgemm_peak},
                      {"pct_of_paired_sgemm", t.pct_of_paired_sgemm},
                      {"paired_sgemm_gflops", t.paired_sgemm_gflops},
                      {"step_model_gflops", t.step_model_gflops},
                      {"step_sgemm_gflops", t.step_sgemm_gflops},
                      {"padding_ratio", t.padding_ratio},
                      {"src_padding_ratio", t.src_padding_ratio},
                      {"tgt_padding_ratio", t.tgt_padding_ratio},
                      {"step_seconds", t.step_seconds},
                      {"phase_seconds",
                       {{"batch", t.batch_seconds},
                        {"forward", t.forward_seconds},
                        {"backward", t.backward_seconds},
                        {"clip", t.clip_seconds},
                        {"optimizer", t.optimizer_seconds}}},
                      {"tokens_per_step", t.tokens_per_step},
                      {"gflop_per_step", t.gflop_per_step},
                      {"peak_rss_mb", t.peak_rss_mb},
                      {"peak_rss_scope", t.peak_rss_scope},
                      {"last_loss", t.last_loss}};
    if (!t.profile.empty()) cj["training"]["profile"] = t.profile;
    if (c.decoding.measured) {
      const auto& d = c.decoding;
      cj["decoding"] = {{"data", d.data},
                        {"weights", d.weights},
                        {"batch_size", d.batch_size},
                        {"greedy", search_json(d.greedy)},
                        {"beam5", search_json(d.beam5)}};
    }
    j["configs"].push_back(cj);
  }
  return j;
}

std::string format_table(const BenchReport& r) {
  std::string out = fmt::format(
      "sgemm {}x{} float32, {} threads{}: {:.1f} GFLOP/s (median of {}); LibTorch {}{}, {}\n",
      r.sgemm.n, r.sgemm.n, r.threads, r.threads_bound ? " (bound to CPUs)" : "", r.sgemm.gflops,
      r.sgemm.repeats, r.build.torch_version,
      r.build.cuda_compiled ? fmt::format(" with CUDA {} ({} devices)", r.build.cuda_version, r.build.cuda_devices)
                      : std::string(" (CPU only)"),
      r.date);
  out += fmt::format("{:<44} {:>9} {:>10} {:>8} {:>6} {:>6} {:>6} {:>8} | {:>9} {:>9} | {:>9} {:>9} {}\n",
                     "config (training data)", "train", "tok/s", "GFLOP/s", "%peak", "%pair", "pad%",
                     "RSS MB", "greedy/s", "tok/s", "beam5/s", "tok/s", "weights");
  for (const auto& c : r.configs) {
    std::string name = fs::path(c.config).stem().string();
    if (!c.error.empty()) {
      out += fmt::format("{:<44} error: {}\n", name, c.error);
      continue;
    }
    const auto& t = c.training;
    out += fmt::format("{:<44} {:>9} {:>10.0f} {:>8.1f} {:>6.1f} {:>6.1f} {:>6.1f} {:>8.0f}",
                       name, t.data, t.tokens_per_s, t.model_gflops, t.pct_of_sgemm_peak,
                       t.pct_of_paired_sgemm, 100 * t.padding_ratio, t.peak_rss_mb);
    const auto& d = c.decoding;
    if (d.measured)
      out += fmt::format(" | {:>9.1f} {:>9.0f} | {:>9.1f} {:>9.0f} {} ({} dev, {} sentences)\n",
                         d.greedy.sentences_per_s, d.greedy.tokens_per_s, d.beam5.sentences_per_s,
                         d.beam5.tokens_per_s, d.weights, d.data, d.greedy.sentences);
    else
      out += " | decoding not measured\n";
  }
  return out;
}

}  // namespace tinynmt::bench
