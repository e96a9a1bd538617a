#include "train/trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>


#include <csignal>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "align/curves.h"
#include "data/batching.h"
#include "data/corpus.h"
#include "data/tokenizer.h"
#include "decode/search.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "run/checkpoint.h"
#include "run/run_dir.h"
#include "train/loss.h"
#include "train/schedule.h"
#include "train/train_step.h"
#include "util/runtime.h"

namespace tinynmt {
namespace {

namespace fs = std::filesystem;

void on_signal(int sig) { stop_signal().store(sig); }



bool higher_is_better(const std::string& metric) { return metric == "bleu" || metric == "chrf"; }

/// Appends JSON lines to RUN_DIR/metrics.jsonl, flushed per record.
class MetricsLog {
 public:
  explicit MetricsLog(const std::string& path) : out_(path, std::ios::app) {
    if (!out_) throw std::runtime_error(fmt::format("{}: cannot open for writing", path));
  }
  void write(const nlohmann::json& j) {
    out_ << j.dump() << '\n';
    out_.flush();
  }

 private:
  std::ofstream out_;
};

/// Reads the points of an existing metrics log (to redraw the curves after a resume).
std::vector<align::CurvePoint> read_curve_points(const std::string& path) {
  std::vector<align::CurvePoint> points;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("step")) continue;
    align::CurvePoint p;
    p.step = j["step"].get<int64_t>();
    if (j.value("type", "") == "train" && j.contains("loss")) p.train_loss = j["loss"].get<double>();
    if (j.value("type", "") == "valid" && j.contains("bleu")) p.val_bleu = j["bleu"].get<double>();
    points.push_back(p);
  }
  return points;
}

struct DevSet {
  EncodedCorpus encoded;
  std::vector<std::string> refs;  // raw target sentences, aligned with encoded (same order)
};

struct Validation {
  double loss = 0, ppl = 0, bleu = 0, chrf = 0;
  int64_t sentences = 0;
};

Validation validate_model(Seq2SeqImpl& model, const DevSet& dev, const Tokenizer& tok,
                          const Config& cfg, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model.eval();
  Validation v;
  // Teacher-forced loss and perplexity over the whole dev set.
  double nll = 0;
  int64_t tokens = 0;
  for (const auto& idx : plan_decode_batches(dev.encoded.src_lengths(), 256,
                                             std::max<int64_t>(cfg.training.batch_size, 512))) {
    Batch b = make_batch(dev.encoded, idx).to(device);
    auto sums = teacher_forced_loss(model, b, 0.0);
    nll += sums.nll.item<double>();
    tokens += b.num_tgt_tokens;
  }
  v.loss = tokens ? nll / tokens : 0;
  v.ppl = std::exp(v.loss);
  // Greedy BLEU / chrF on (a prefix of) the dev set.
  int64_t n = static_cast<int64_t>(dev.encoded.size());
  if (cfg.training.validate_max_sentences > 0) n = std::min(n, cfg.training.validate_max_sentences);
  std::vector<int64_t> lengths(dev.encoded.src.size());
  for (int64_t i = 0; i < n; ++i) lengths[i] = static_cast<int64_t>(dev.encoded.src[i].size());
  lengths.resize(n);
  std::vector<std::string> hyps(n), refs(dev.refs.begin(), dev.refs.begin() + n);
  for (const auto& idx : plan_decode_batches(lengths, cfg.decoding.batch_size)) {
    Batch b = make_batch(dev.encoded.src, nullptr, idx).to(device);
    decode::SearchOptions so;  // greedy
    so.beam = 1;
    so.alpha = 0.0;
    so.max_len_ratio = cfg.decoding.max_len_ratio;
    auto hyp = decode::search(model, b.src, b.src_mask, so);
    for (size_t k = 0; k < idx.size(); ++k) hyps[idx[k]] = tok.decode_tgt(hyp[k].front().tokens);
  }
  v.sentences = n;
  if (n > 0) {
    v.bleu = eval::corpus_bleu(hyps, refs).score;
    v.chrf = eval::corpus_chrf(hyps, refs).score;
  }
  model.train();
  return v;
}

std::string progress_line(int64_t epoch, int64_t step, double loss, double lr, double tok_s,
                          double elapsed, double eta) {
  return fmt::format("epoch {} step {} loss {:.4f} lr {:.2e} {:.0f} tok/s elapsed {} ETA {}",
                     epoch + 1, step, loss, lr, tok_s, format_duration(elapsed),
                     format_duration(eta));
}

}  // namespace

std::atomic<int>& stop_signal() {
  static std::atomic<int> s{0};
  return s;
}

void install_stop_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

TrainResult train(const Config& cfg) {
  const auto& t = cfg.training;
  const std::string run_dir = cfg.run.dir;
  fs::create_directories(run_dir);
  const RunDir dir{run_dir};
  tune_allocator();
  const int64_t threads = configure_threads(cfg.run.threads);
  const torch::Device device = resolve_device(cfg.run.device);
  if (t.precision == "bf16" && !device.is_cuda())
    throw ConfigError("training.precision: bf16 is supported on CUDA only; use fp32 on CPU");
  const bool use_bf16 = t.precision == "bf16";
  seed_everything(static_cast<uint64_t>(cfg.run.seed));
  const std::string config_yaml = to_yaml_string(cfg);
  {
    std::ofstream out(dir.config_file());
    out << config_yaml;
  }
  spdlog::info("run directory {} (device {}, {} threads)", run_dir, device.str(), threads);

  // Data and tokenizer.
  ParallelText train_text = read_parallel(cfg.data.train);
  if (train_text.skipped_empty > 0)
    spdlog::warn("{}: skipped {} empty pairs", cfg.data.train.tsv.empty() ? cfg.data.train.src
                                                                          : cfg.data.train.tsv,
                 train_text.skipped_empty);
  bool trained_tok = false;
  Tokenizer tok = Tokenizer::train_or_load(cfg.data.tokenizer, run_dir, train_text.src,
                                           train_text.tgt, &trained_tok);
  spdlog::info("{} SentencePiece vocabulary: src {} tgt {} ({})", tok.joint() ? "joint" : "separate",
               tok.src_vocab_size(), tok.tgt_vocab_size(), trained_tok ? "trained" : "reused");
  EncodedCorpus train_data = encode_corpus(tok, train_text, cfg.data.max_length);
  spdlog::info("training pairs: {} kept, {} longer than {} pieces dropped", train_data.size(),
               train_data.dropped_long, cfg.data.max_length);
  if (train_data.size() == 0) throw std::runtime_error("no training pairs left after filtering");
  train_text = ParallelText{};  // free the raw text

  std::optional<DevSet> dev;
  if (cfg.data.dev.defined()) {
    ParallelText dev_text = read_parallel(cfg.data.dev);
    DevSet d;
    d.encoded = encode_corpus(tok, dev_text, 0);
    for (auto i : d.encoded.origin) d.refs.push_back(dev_text.tgt[i]);
    spdlog::info("dev pairs: {}", d.encoded.size());
    dev = std::move(d);
  }

  // Model and optimiser.
  auto model = make_seq2seq(cfg.model, tok.src_vocab_size(), tok.tgt_vocab_size());
  model->to(device);
  model->train();
  spdlog::info("model: {} encoder, {} decoder with {} attention, {} parameters",
               cfg.model.encoder.type, cfg.model.decoder.type, cfg.model.decoder.attention,
               count_parameters(*model));
  auto optimizer = make_optimizer(t, model->parameters());
  LrSchedule schedule(t);
  TrainState state;
  state.src_vocab = tok.src_vocab_size();
  state.tgt_vocab = tok.tgt_vocab_size();
  state.metric = t.early_stopping.metric;

  const fs::path last_path = dir.last_checkpoint();
  const fs::path best_path = dir.best_checkpoint();
  const std::string metrics_path = dir.metrics_file();
  if (fs::exists(last_path)) {
    auto info = load_checkpoint(last_path.string(), *model, optimizer.get(), device, true);
    state = info.state;
    state.metric = t.early_stopping.metric;
    schedule.load_state_json(state.schedule_state);
    spdlog::info("resuming from {} at step {} (epoch {}, batch {})", last_path.string(), state.step,
                 state.epoch + 1, state.batch_in_epoch);
  } else if (fs::exists(metrics_path)) {
    fs::remove(metrics_path);  // a fresh run: no stale records
  }
  MetricsLog metrics(metrics_path);
  std::vector<align::CurvePoint> curve = read_curve_points(metrics_path);

  auto save_last = [&]() {
    state.schedule_state = schedule.state_json();
    save_checkpoint(last_path.string(), *model, optimizer.get(), state, config_yaml);
  };
  // Numbered model checkpoints (weights, state, config; no optimiser) at each validation, the
  // newest training.keep_checkpoints kept.
  auto save_numbered = [&]() {
    if (t.keep_checkpoints <= 0) return;
    save_checkpoint(dir.step_checkpoint(state.step), *model, nullptr, state, config_yaml);
    std::vector<std::pair<int64_t, fs::path>> numbered;
    for (const auto& e : fs::directory_iterator(run_dir)) {
      if (auto step = RunDir::step_of_checkpoint(e.path().filename().string()))
        numbered.emplace_back(*step, e.path());
    }
    std::sort(numbered.rbegin(), numbered.rend());
    for (size_t i = static_cast<size_t>(t.keep_checkpoints); i < numbered.size(); ++i)
      fs::remove(numbered[i].second);
  };
  auto step_limit_reached = [&]() { return t.max_steps > 0 && state.step >= t.max_steps; };
  auto epoch_limit_reached = [&]() { return t.max_epochs > 0 && state.epoch >= t.max_epochs; };

  TokenBatcher batcher(train_data, t.batch_size, static_cast<uint64_t>(cfg.run.seed));
  {
    auto stats = batcher.stats(batcher.plan(state.epoch));
    spdlog::info("batches per epoch: {} (budget {} target tokens, padding src {:.1f}% tgt {:.1f}%)",
                 stats.batches, t.batch_size, 100 * stats.src_padding(), 100 * stats.tgt_padding());
  }

  install_stop_handlers();
  // Test hook: TINYNMT_TEST_NAN_STEP=N turns the loss of step N into NaN (tests the divergence
  // stop without having to provoke a real one).
  const int64_t nan_step = std::getenv("TINYNMT_TEST_NAN_STEP")
                               ? std::atoll(std::getenv("TINYNMT_TEST_NAN_STEP"))
                               : -1;
  const bool tty = ::isatty(STDERR_FILENO);
  const double start = now_seconds() - state.elapsed_seconds;
  const double budget_s = t.max_minutes > 0 ? t.max_minutes * 60.0 : 0;
  double window_start = now_seconds();
  int64_t window_tokens = 0, window_steps = 0;
  torch::Tensor window_loss = torch::zeros({}, torch::TensorOptions().dtype(torch::kDouble).device(device));
  int64_t window_loss_tokens = 0;
  TrainResult result;
  bool stop = false;

  auto elapsed = [&]() { return now_seconds() - start; };
  auto eta = [&]() {
    double e = elapsed();
    double eta_steps = std::numeric_limits<double>::infinity();
    if (t.max_steps > 0 && state.step > 0) {
      double run_steps = std::max<double>(1.0, state.step);
      eta_steps = e / run_steps * (t.max_steps - state.step);
    }
    double eta_time = budget_s > 0 ? budget_s - e : std::numeric_limits<double>::infinity();
    return std::max(0.0, std::min(eta_steps, eta_time));
  };

  auto run_validation = [&]() -> bool {  // returns true when early stopping triggers
    if (!dev) return false;
    double t0 = now_seconds();
    Validation v = validate_model(*model, *dev, tok, cfg, device);
    const std::string& m = t.early_stopping.metric;
    double score = m == "bleu" ? v.bleu : m == "chrf" ? v.chrf : m == "loss" ? v.loss : v.ppl;
    bool better = !state.has_best ||
                  (higher_is_better(m) ? score > state.best_score : score < state.best_score);
    schedule.on_validation(score, higher_is_better(m));
    if (better) {
      state.best_score = score;
      state.has_best = true;
      state.bad_validations = 0;
    } else {
      ++state.bad_validations;
    }
    state.elapsed_seconds = elapsed();
    state.schedule_state = schedule.state_json();
    if (better) save_checkpoint(best_path.string(), *model, nullptr, state, config_yaml);
    metrics.write({{"type", "valid"}, {"step", state.step}, {"epoch", state.epoch + 1},
                   {"loss", v.loss}, {"ppl", v.ppl}, {"bleu", v.bleu}, {"chrf", v.chrf},
                   {"sentences", v.sentences}, {"best", better}, {"lr", schedule.lr_at(state.step)},
                   {"elapsed_s", state.elapsed_seconds}, {"seconds", now_seconds() - t0}});
    if (tty) fmt::print(stderr, "\n");
    spdlog::info("validation at step {}: loss {:.4f} ppl {:.2f} BLEU {:.2f} chrF {:.2f}{} ({:.0f}s; "
                 "BLEU {})",
                 state.step, v.loss, v.ppl, v.bleu, v.chrf, better ? " *best*" : "",
                 now_seconds() - t0, eval::bleu_signature(false));
    curve.push_back({state.step, std::nullopt, v.bleu});
    try {
      align::render_curves(curve, dir.curves_image(),
                           fmt::format("{} ({})", fs::path(run_dir).filename().string(),
                                       cfg.model.decoder.attention));
    } catch (const std::exception& e) {
      spdlog::warn("curves.png not written: {}", e.what());
    }
    save_last();
    save_numbered();
    window_start = now_seconds();  // validation time is not training throughput
    window_tokens = 0;
    window_steps = 0;
    return t.early_stopping.patience > 0 && state.bad_validations >= t.early_stopping.patience;
  };

  if (step_limit_reached() || epoch_limit_reached()) {
    result.message = fmt::format("training already finished at step {} ({})", state.step, run_dir);
    result.steps = state.step;
    return result;
  }

  if (device.is_cpu() && bind_threads_to_cpus())
    spdlog::info("bound the {} compute threads to one CPU each (OMP_PROC_BIND=false: unbound)",
                 threads);
  while (!stop) {
    BatchPlan plan = batcher.plan(state.epoch);
    while (state.batch_in_epoch < static_cast<int64_t>(plan.size())) {
      // One optimiser step over `accumulate` batches.
      const double lr = schedule.lr_at(state.step + 1);
      set_learning_rate(*optimizer, lr);
      clear_gradients(*optimizer);
      int64_t step_tokens = 0;
      std::vector<Batch> micro;
      for (int64_t a = 0; a < t.accumulate && state.batch_in_epoch < static_cast<int64_t>(plan.size());
           ++a) {
        micro.push_back(make_batch(train_data, plan[state.batch_in_epoch]));
        ++state.batch_in_epoch;
        step_tokens += micro.back().num_tgt_tokens;
      }
      torch::Tensor step_loss;
      for (auto& mb : micro) {
        auto loss = forward_backward(*model, mb.to(device), t.label_smoothing,
                                     static_cast<double>(step_tokens), use_bf16);
        step_loss = step_loss.defined() ? step_loss + loss : loss;
      }
      if (state.step + 1 == nan_step) step_loss = step_loss * std::nan("");
      // A NaN/inf loss: stop before the update, keeping the last good checkpoint. On CPU this
      // check costs nothing; on CUDA it is deferred to log steps to avoid a sync per step.
      bool check_now = device.is_cpu() || (state.step + 1) % t.log_every == 0;
      if (check_now && !std::isfinite(step_loss.item<double>())) {
        result.outcome = TrainOutcome::kDiverged;
        result.steps = state.step;
        result.message = fmt::format(
            "loss is {} at step {}: training stopped; the last good checkpoint {} is kept",
            step_loss.item<double>(), state.step + 1, last_path.string());
        return result;
      }
      if (t.clip_norm > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), t.clip_norm);
      optimizer->step();
      ++state.step;
      state.target_tokens += step_tokens;
      window_tokens += step_tokens;
      ++window_steps;
      window_loss += step_loss.to(torch::kDouble);
      window_loss_tokens += step_tokens;

      if (state.step % t.log_every == 0 || tty) {
        double now = now_seconds();
        bool log_step = state.step % t.log_every == 0;
        if (log_step || now - window_start > 0.5) {
          double tok_s = window_tokens / std::max(1e-9, now - window_start);
          double loss = window_loss.item<double>() / std::max<int64_t>(1, window_loss_tokens);
          std::string line = progress_line(state.epoch, state.step, loss, lr, tok_s, elapsed(), eta());
          if (tty) fmt::print(stderr, "\r{}   ", line);
          if (log_step) {
            if (!std::isfinite(loss)) {
              result.outcome = TrainOutcome::kDiverged;
              result.steps = state.step;
              result.message = fmt::format("loss is {} at step {}: training stopped; the last good "
                                           "checkpoint {} is kept",
                                           loss, state.step, last_path.string());
              return result;
            }
            if (!tty) spdlog::info("{}", line);
            metrics.write({{"type", "train"}, {"step", state.step}, {"epoch", state.epoch + 1},
                           {"loss", loss}, {"ppl", std::exp(loss)}, {"lr", lr},
                           {"tokens_per_s", tok_s}, {"elapsed_s", elapsed()},
                           {"target_tokens", state.target_tokens}});
            curve.push_back({state.step, loss, std::nullopt});
            window_loss.zero_();
            window_loss_tokens = 0;
            window_start = now_seconds();
            window_tokens = 0;
            window_steps = 0;
          }
        }
      }
      state.elapsed_seconds = elapsed();
      bool out_of_time = budget_s > 0 && elapsed() >= budget_s;
      if (state.step % t.validate_every == 0 || step_limit_reached() || out_of_time) {
        if (run_validation()) {
          result.outcome = TrainOutcome::kEarlyStopped;
          result.message = fmt::format("early stopping at step {}: no {} improvement in {} validations",
                                       state.step, t.early_stopping.metric, t.early_stopping.patience);
          stop = true;
          break;
        }
      }
      if (step_limit_reached()) {
        result.message = fmt::format("reached training.max_steps = {}", t.max_steps);
        stop = true;
        break;
      }
      if (out_of_time) {
        result.message = fmt::format("reached training.max_minutes = {}", t.max_minutes);
        stop = true;
        break;
      }
      if (int sig = stop_signal().load()) {
        if (tty) fmt::print(stderr, "\n");
        state.elapsed_seconds = elapsed();
        save_last();
        result.outcome = TrainOutcome::kInterrupted;
        result.steps = state.step;
        result.message = fmt::format(
            "interrupted by {} at step {}: saved {}; run `tinynmt train --resume {}` to continue",
            sig == SIGINT ? "SIGINT" : "SIGTERM", state.step, last_path.string(), run_dir);
        return result;
      }
    }
    if (stop) break;
    ++state.epoch;
    state.batch_in_epoch = 0;
    if (epoch_limit_reached()) {
      if (state.step % t.validate_every != 0) run_validation();
      result.message = fmt::format("reached training.max_epochs = {}", t.max_epochs);
      break;
    }
  }
  if (tty) fmt::print(stderr, "\n");
  state.elapsed_seconds = elapsed();
  save_last();
  if (!dev && !fs::exists(best_path))  // no validation: the last model is the best we know
    save_checkpoint(best_path.string(), *model, nullptr, state, config_yaml);
  result.steps = state.step;
  result.best_score = state.best_score;
  spdlog::info("trained {} steps, {} target tokens in {}; best {} {:.2f}", state.step,
               state.target_tokens, format_duration(state.elapsed_seconds),
               t.early_stopping.metric, state.best_score);
  return result;
}

}  // namespace tinynmt
