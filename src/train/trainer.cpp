#include "train/trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "eval/bleu.h"
#include "run/load_model.h"
#include "run/run_dir.h"
#include "train/run_report.h"
#include "train/train_step.h"
#include "util/runtime.h"

namespace tinynmt {
namespace {

namespace fs = std::filesystem;

void on_signal(int sig) { stop_signal().store(sig); }

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

TrainResult train(const Config& cfg) { return Trainer(cfg).run(); }

Trainer::Trainer(const Config& cfg, std::unique_ptr<Communicator> comm)
    : cfg_(cfg),
      t_(cfg.training),
      comm_(comm ? std::move(comm) : std::make_unique<SingleProcessCommunicator>()) {}

Trainer::~Trainer() {
  std::error_code ignored;
  if (!scratch_dir_.empty()) fs::remove_all(scratch_dir_, ignored);
}

// ---- The loop -----------------------------------------------------------------------------

TrainResult Trainer::run() {
  setup();
  if (step_limit_reached() || epoch_limit_reached()) return already_finished();
  if (device_.is_cpu())
    for (const std::string& line : prepare_cpu_compute())
      if (is_main()) spdlog::info("{}", line);
  for (;;) {
    Flow flow = train_epoch();
    if (flow == Flow::kReturn) return result_;
    if (flow == Flow::kFinish) return finish();
  }
}

Trainer::Flow Trainer::train_epoch() {
  BatchPlan plan = batcher_->plan(state_.epoch);
  while (state_.batch_in_epoch < static_cast<int64_t>(plan.size())) {
    Flow flow = step(plan);
    if (flow == Flow::kContinue) flow = log_progress();
    if (flow == Flow::kContinue) flow = after_step();
    if (flow != Flow::kContinue) return flow;
  }
  return end_epoch();
}

Trainer::Flow Trainer::step(const BatchPlan& plan) {
  // One optimiser step over `accumulate` batches.
  lr_ = schedule_->lr_at(state_.step + 1);
  set_learning_rate(*optimizer_, lr_);
  clear_gradients(*optimizer_);
  const int64_t plan_size = static_cast<int64_t>(plan.size());
  int64_t step_tokens = 0;      // target tokens of the whole group's step: the loss normaliser
  int64_t step_supervised = 0;  // the group's supervised target pieces (guided alignment)
  std::vector<Batch> micro;     // this rank's shares of the step's global batches
  for (int64_t a = 0; a < t_.accumulate && state_.batch_in_epoch < plan_size; ++a) {
    const std::vector<int64_t>& rows = plan[state_.batch_in_epoch];
    ++state_.batch_in_epoch;
    step_tokens += target_tokens(train_data_, rows);
    step_supervised += supervised_rows_of(rows);
    std::vector<int64_t> mine = rank_share(rows, comm_->rank(), comm_->world_size());
    if (!mine.empty()) micro.push_back(make_batch(train_data_, mine));
  }
  torch::Tensor step_loss;  // [] summed over the step's target tokens
  for (auto& mb : micro) {
    Batch b = mb.to(device_);
    auto guided = guided_term(b, step_supervised);
    torch::Tensor guided_sum;
    auto loss = forward_backward(*model_, b, t_.label_smoothing, static_cast<double>(step_tokens),
                                 use_bf16_, guided ? &*guided : nullptr, &guided_sum);
    if (guided_sum.defined())  // no host sync: read at log steps only
      window_guided_ = window_guided_.defined() ? window_guided_ + guided_sum.to(torch::kDouble)
                                                : guided_sum.to(torch::kDouble);
    step_loss = step_loss.defined() ? step_loss + loss : loss;
  }
  if (!step_loss.defined()) step_loss = torch::zeros({}, torch::TensorOptions().device(device_));
  if (state_.step + 1 == nan_step_) step_loss = step_loss * std::nan("");
  if (dist()) step_loss = reduce_gradients(step_loss);  // the group's loss sum
  // A NaN/inf loss: stop before the update, keeping the last good checkpoint. On CPU this
  // check costs nothing; on CUDA it is deferred to log steps to avoid a sync per step.
  bool check_now = device_.is_cpu() || (state_.step + 1) % t_.log_every == 0;
  if (check_now && !std::isfinite(step_loss.item<double>()))
    return diverged(step_loss.item<double>(), state_.step + 1);
  if (t_.clip_norm > 0) torch::nn::utils::clip_grad_norm_(model_->parameters(), t_.clip_norm);
  optimizer_->step();
  ++state_.step;
  if (ema_) ema_->update(state_.step);
  state_.target_tokens += step_tokens;
  window_tokens_ += step_tokens;
  window_loss_ += step_loss.to(torch::kDouble);
  window_loss_tokens_ += step_tokens;
  window_guided_rows_ += step_supervised;
  return Flow::kContinue;
}

Trainer::Flow Trainer::log_progress() {
  const bool log_step = state_.step % t_.log_every == 0;
  if (!log_step && !tty_) return Flow::kContinue;
  double now = now_seconds();
  if (!log_step && !(now - window_start_ > 0.5)) return Flow::kContinue;
  double tok_s = window_tokens_ / std::max(1e-9, now - window_start_);
  double loss = window_loss_.item<double>() / std::max<int64_t>(1, window_loss_tokens_);
  std::string line = progress_line(state_.epoch, state_.step, loss, lr_, tok_s, elapsed(), eta());
  if (tty_ && is_main()) fmt::print(stderr, "\r{}   ", line);
  if (!log_step) return Flow::kContinue;
  if (!std::isfinite(loss)) return diverged(loss, state_.step);
  if (is_main()) {
    if (!tty_) spdlog::info("{}", line);
    nlohmann::json record = {
        {"type", "train"},       {"step", state_.step},    {"epoch", state_.epoch + 1},
        {"loss", loss},          {"ppl", std::exp(loss)},  {"lr", lr_},
        {"tokens_per_s", tok_s}, {"elapsed_s", elapsed()}, {"target_tokens", state_.target_tokens}};
    add_guided_record(record);
    if (dist()) {  // the group's throughput above; the all-reduce's cost per step here
      record["world_size"] = comm_->world_size();
      record["allreduce_ms"] =
          1e3 * window_allreduce_s_ / std::max<int64_t>(1, window_allreduce_steps_);
      record["allreduce_bytes"] = allreduce_bytes_;
    }
    metrics_->write(record);
  }
  window_allreduce_s_ = 0;
  window_allreduce_steps_ = 0;
  curve_.push_back({state_.step, loss, std::nullopt});
  window_loss_.zero_();
  window_loss_tokens_ = 0;
  window_guided_ = torch::Tensor();
  window_guided_rows_ = 0;
  reset_window();
  return Flow::kContinue;
}

// The stop decision after a step: validation (early stopping), max_steps, max_minutes, signals.
Trainer::Flow Trainer::after_step() {
  state_.elapsed_seconds = elapsed();
  // A group decides on what its ranks reported in the step's all-reduce, so all stop together.
  bool out_of_time = dist() ? agreed_out_of_time_ : budget_s_ > 0 && elapsed() >= budget_s_;
  if (state_.step % t_.validate_every == 0 || step_limit_reached() || out_of_time) {
    if (validate()) {
      result_.outcome = TrainOutcome::kEarlyStopped;
      stop_reason_ = "early_stopping";
      result_.message =
          fmt::format("early stopping at step {}: no {} improvement in {} validations", state_.step,
                      t_.early_stopping.metric, t_.early_stopping.patience);
      return Flow::kFinish;
    }
  }
  if (step_limit_reached()) {
    stop_reason_ = "max_steps";
    result_.message = fmt::format("reached training.max_steps = {}", t_.max_steps);
    return Flow::kFinish;
  }
  if (out_of_time) {
    stop_reason_ = "max_minutes";
    result_.message = time_cap_message();
    return Flow::kFinish;
  }
  int sig = stop_signal().load();
  if (dist()) sig = agreed_stop_ ? (sig != 0 ? sig : SIGTERM) : 0;
  if (sig != 0) return interrupted(sig);
  return Flow::kContinue;
}

Trainer::Flow Trainer::end_epoch() {
  ++state_.epoch;
  state_.batch_in_epoch = 0;
  if (!epoch_limit_reached()) return Flow::kContinue;
  if (state_.step % t_.validate_every != 0) validate();
  stop_reason_ = "max_epochs";
  result_.message = fmt::format("reached training.max_epochs = {}", t_.max_epochs);
  return Flow::kFinish;
}

TrainResult Trainer::finish() {
  if (tty_ && is_main()) fmt::print(stderr, "\n");
  state_.elapsed_seconds = elapsed();
  save_last();
  if (!dev_ && !fs::exists(best_path_))  // no validation: the last model is the best we know
    save_best();
  result_.steps = state_.step;
  result_.best_score = state_.best_score;
  if (is_main()) {
    spdlog::info("trained {} steps, {} target tokens in {}; best {} {:.2f}", state_.step,
                 state_.target_tokens, format_duration(state_.elapsed_seconds),
                 t_.early_stopping.metric, state_.best_score);
    write_stop_record();
  }
  return result_;
}

// The last line of a run stopped by its time cap: the cap, and the steps reached against the
// steps the config plans, so that a model cut short by a slow machine is not taken for the one
// the config describes.
std::string Trainer::time_cap_message() const {
  std::string msg = fmt::format("stopped by the time cap training.max_minutes = {} at step {}",
                                t_.max_minutes, state_.step);
  if (t_.max_steps > 0)
    return msg + fmt::format(" of the {} planned by training.max_steps ({:.0f}%)", t_.max_steps,
                             100.0 * state_.step / t_.max_steps);
  return msg + " (no training.max_steps planned)";
}

// metrics.jsonl's last record: why the run stopped, the step reached and the steps planned.
void Trainer::write_stop_record() {
  if (!metrics_) return;
  metrics_->write({{"type", "stop"},
                   {"reason", stop_reason_},
                   {"step", state_.step},
                   {"planned_steps", t_.max_steps},
                   {"epoch", state_.epoch},
                   {"elapsed_s", state_.elapsed_seconds},
                   {"max_minutes", t_.max_minutes},
                   {"time_capped", stop_reason_ == "max_minutes"}});
}

TrainResult Trainer::already_finished() {
  result_.message = fmt::format("training already finished at step {} ({})", state_.step, run_dir_);
  result_.steps = state_.step;
  return result_;
}

Trainer::Flow Trainer::diverged(double loss, int64_t at_step) {
  result_.outcome = TrainOutcome::kDiverged;
  result_.steps = state_.step;
  result_.message =
      fmt::format("loss is {} at step {}: training stopped; the last good checkpoint {} is kept",
                  loss, at_step, last_path_.string());
  return Flow::kReturn;
}

Trainer::Flow Trainer::interrupted(int sig) {
  if (tty_ && is_main()) fmt::print(stderr, "\n");
  state_.elapsed_seconds = elapsed();
  save_last();
  result_.outcome = TrainOutcome::kInterrupted;
  result_.steps = state_.step;
  const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
  result_.message =
      is_main() ? fmt::format(
                      "interrupted by {} at step {}: saved {}; run `tinynmt train --resume {}` "
                      "to continue",
                      name, state_.step, last_path_.string(), run_dir_)
                : fmt::format(
                      "rank {}: stopped by {} at step {} with the group; rank 0 saved "
                      "the checkpoint",
                      comm_->rank(), name, state_.step);
  return Flow::kReturn;
}

bool Trainer::step_limit_reached() const { return t_.max_steps > 0 && state_.step >= t_.max_steps; }

bool Trainer::epoch_limit_reached() const {
  return t_.max_epochs > 0 && state_.epoch >= t_.max_epochs;
}

double Trainer::elapsed() const { return now_seconds() - start_; }

double Trainer::eta() const {
  double e = elapsed();
  double eta_steps = std::numeric_limits<double>::infinity();
  if (t_.max_steps > 0 && state_.step > 0) {
    double run_steps = std::max<double>(1.0, state_.step);
    eta_steps = e / run_steps * (t_.max_steps - state_.step);
  }
  double eta_time = budget_s_ > 0 ? budget_s_ - e : std::numeric_limits<double>::infinity();
  return std::max(0.0, std::min(eta_steps, eta_time));
}

void Trainer::reset_window() {
  window_start_ = now_seconds();
  window_tokens_ = 0;
}

// ---- Validation and checkpoints -----------------------------------------------------------

bool Trainer::validate() {
  if (!cfg_.data.dev.defined()) {  // no validation, but the checkpoints of one
    save_last();
    save_numbered();
    return false;
  }
  EmaSwapGuard averaged(ema());  // validation, `best` and numbered checkpoints use the average
  double t0 = now_seconds();
  const std::string& m = t_.early_stopping.metric;
  std::optional<Validation> v;  // rank 0 validates; the others learn its score
  double score = 0;
  if (is_main()) {
    v = validate_model(*model_, *dev_, *tok_, cfg_, device_);
    score = metric_value(*v, m);
  }
  if (dist()) score = share_score(score);
  bool better = !state_.has_best ||
                (higher_is_better(m) ? score > state_.best_score : score < state_.best_score);
  schedule_->on_validation(score, higher_is_better(m));
  if (better) {
    state_.best_score = score;
    state_.has_best = true;
    state_.bad_validations = 0;
  } else {
    ++state_.bad_validations;
  }
  state_.elapsed_seconds = elapsed();
  state_.schedule_state = schedule_->state_json();
  if (better) save_best();
  if (v) {
    log_validation(*v, better, t0);
    update_report();
  }
  save_last();
  save_numbered();
  reset_window();  // validation time is not training throughput
  return t_.early_stopping.patience > 0 && state_.bad_validations >= t_.early_stopping.patience;
}

void Trainer::update_report() {
  if (!is_main() || !dev_ || report_failed_) return;
  try {
    update_run_report(RunDir{run_dir_}, state_.step,
                      training_view(cfg_, *tok_, model_, device_, run_dir_), dev_->srcs, dev_->refs,
                      t_.report_sentences);
  } catch (const std::exception& e) {
    spdlog::warn("{}: not written, and not tried again in this run: {}",
                 RunDir{run_dir_}.report_page(), e.what());
    report_failed_ = true;
  }
}

void Trainer::log_validation(const Validation& v, bool better, double t0) {
  curve_.push_back({state_.step, std::nullopt, v.bleu});
  if (!is_main()) return;
  metrics_->write({{"type", "valid"},
                   {"step", state_.step},
                   {"epoch", state_.epoch + 1},
                   {"loss", v.loss},
                   {"ppl", v.ppl},
                   {"bleu", v.bleu},
                   {"chrf", v.chrf},
                   {"sentences", v.sentences},
                   {"best", better},
                   {"lr", schedule_->lr_at(state_.step)},
                   {"elapsed_s", state_.elapsed_seconds},
                   {"seconds", now_seconds() - t0}});
  if (tty_) fmt::print(stderr, "\n");
  spdlog::info(
      "validation at step {}: loss {:.4f} ppl {:.2f} BLEU {:.2f} chrF {:.2f}{} ({:.0f}s; BLEU {})",
      state_.step, v.loss, v.ppl, v.bleu, v.chrf, better ? " *best*" : "", now_seconds() - t0,
      eval::bleu_signature(false));
  render_curves();
}

void Trainer::render_curves() {
  try {
    align::render_curves(curve_, curves_path_.string(),
                         fmt::format("{} ({})", fs::path(run_dir_).filename().string(),
                                     cfg_.model.decoder.attention));
  } catch (const std::exception& e) {
    spdlog::warn("curves.png not written: {}", e.what());
  }
}

}  // namespace tinynmt
